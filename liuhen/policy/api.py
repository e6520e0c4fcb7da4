"""Policy API."""

from ninja import Router

router = Router(tags=["执法规则"])
