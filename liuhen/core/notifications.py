"""Sending and reading notifications (see ``liuhen.core.models.Notification``).

``notify`` must run inside the caller's transaction, so a notification exists exactly when the change
it reports was committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from liuhen.core.errors import DomainError, NotFound
from liuhen.core.models import Notification


class NotificationOutsideTransaction(DomainError):
    code = "notification_outside_transaction"
    status = 500
    message = "通知必须与所通知的变更在同一事务中写入"


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    obj: tuple[str, Any] | None = None,
) -> list[Notification]:
    """One notification per distinct recipient. Must run inside ``transaction.atomic``."""
    if not connection.in_atomic_block:
        raise NotificationOutsideTransaction()
    now = timezone.now()
    seen: set[int] = set()
    rows = []
    for person in recipients:
        if person.pk in seen:
            continue
        seen.add(person.pk)
        rows.append(
            Notification(
                recipient=person,
                kind=kind,
                title=title[:200],
                body=body,
                link=link[:300],
                object_type=obj[0] if obj else "",
                object_id=str(obj[1]) if obj else "",
                created_at=now,
            )
        )
    return Notification.objects.bulk_create(rows)


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def notification_mark_read(*, actor: Any, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (another person's is simply not found)."""
    with transaction.atomic():
        row = Notification.objects.select_for_update().filter(pk=notification_id, recipient=actor).first()
        if row is None:
            raise NotFound("通知不存在", code="notification_not_found")
        if row.read_at is None:
            row.read_at = timezone.now()
            row.save(update_fields=["read_at"])
    return row
