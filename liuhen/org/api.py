"""Org API."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["组织与用户"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    agency_code: str | None
    roles: list[str]


@router.get("/me", response=MeOut, summary="当前用户")
def me(request: HttpRequest) -> Any:
    u = request.user
    return {
        "id": u.pk,
        "username": u.username,
        "display_name": u.display_name,
        "agency_code": u.agency.code if u.agency else None,
        "roles": sorted(u.role_codes),
    }
