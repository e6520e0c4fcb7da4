"""Log-in, log-out and failed log-in attempts go into the ledger (every access leaves a trace).

Receivers of Django's own authentication signals (the framework's extension point for its log-in view),
connected when ``OrgConfig.ready`` imports this module.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from liuhen.ledger.services import record
from liuhen.org.models import User


def _ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        record(actor=user, action="user.logged_in", obj_type="user", obj_id=user.pk, payload={"ip": _ip(request)})


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        record(actor=user, action="user.logged_out", obj_type="user", obj_id=user.pk, payload={"ip": _ip(request)})


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    known = User.objects.filter(username=username).only("pk", "agency_id").first()
    with transaction.atomic():
        record(
            actor=f"未登录（{username}）",
            action="user.login_failed",
            obj_type="user",
            obj_id=known.pk if known else "",
            agency_id=known.agency_id if known else None,
            payload={"username": username, "ip": _ip(request)},
        )
