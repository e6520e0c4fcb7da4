"""Writing to the ledger: ``record`` is the only way in, always inside the caller's transaction.

Clause integ-audit-trail-traceability: every create, change, view, export and approval leaves an
event that commits with the change or not at all.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from liuhen.core.errors import DomainError
from liuhen.ledger.actions import ACTIONS
from liuhen.ledger.models import Event, LedgerHead


class LedgerError(DomainError):
    code = "ledger_error"
    status = 500
    message = "账本写入失败"


def canonical_json(value: Any) -> bytes:
    """One byte form for a JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def leaf_hash(data: bytes) -> str:
    return hashlib.sha256(b"\x00" + data).hexdigest()


def entry_bytes(event: Event) -> bytes:
    """The bytes a Merkle leaf commits to: every column but the derived hashes."""
    return canonical_json(
        {
            "seq": event.seq,
            "recorded_at": event.recorded_at.isoformat(),
            "actor_id": event.actor_id,
            "actor": event.actor_label,
            "agency_id": event.agency_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "payload_hash": event.payload_hash,
        }
    )


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if actor is None:
        return None, "系统"
    if isinstance(actor, str):
        return None, actor
    label = getattr(actor, "display_name", "") or getattr(actor, "username", "") or str(actor)
    return getattr(actor, "pk", None), label


def record(
    *,
    actor: Any,
    action: str,
    obj_type: str,
    obj_id: Any,
    payload: dict[str, Any] | None = None,
    agency_id: int | None = None,
) -> Event:
    """Append one event. Must run inside the caller's ``transaction.atomic`` block."""
    if action not in ACTIONS:
        raise LedgerError(f"未登记的账本动作：{action}", code="ledger_unknown_action")
    if not connection.in_atomic_block:
        raise LedgerError("账本事件必须与业务变更在同一事务中写入", code="ledger_outside_transaction")
    if agency_id is None and actor is not None and not isinstance(actor, str):
        agency_id = getattr(actor, "agency_id", None)
    actor_id, actor_label = _actor_fields(actor)
    body = canonical_json(payload or {})
    with transaction.atomic():
        head, _ = LedgerHead.objects.select_for_update().get_or_create(pk=1)
        event = Event(
            seq=head.size,
            recorded_at=timezone.now(),
            actor_id=actor_id,
            actor_label=actor_label[:120],
            agency_id=agency_id,
            action=action,
            object_type=obj_type,
            object_id=str(obj_id),
            payload=body.decode(),
            payload_hash=hashlib.sha256(body).hexdigest(),
        )
        event.leaf_hash = leaf_hash(entry_bytes(event))
        event.chain_hash = hashlib.sha256(bytes.fromhex(head.chain_hash) + bytes.fromhex(event.leaf_hash)).hexdigest()
        event.save(force_insert=True)
        head.size += 1
        head.chain_hash = event.chain_hash
        head.save(update_fields=["size", "chain_hash"])
    return event
