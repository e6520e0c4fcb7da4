"""Writing to the ledger: ``record`` is the only way in, always inside the caller's transaction.

Clause integ-audit-trail-traceability: every create, change, view, export and approval leaves an
event that commits with the change or not at all. Each event is also a leaf of the RFC 9162 tree
(``liuhen.ledger.tree``): ``record`` stores the complete subtrees it closes in the same transaction and
schedules a signed checkpoint (``liuhen.ledger.checkpoints``). An event that creates a write-once row
carries the row's seal (``liuhen.ledger.records``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from liuhen.core.people import display_name
from liuhen.ledger import checkpoints, merkle, records, tree
from liuhen.ledger.actions import ACTIONS
from liuhen.ledger.errors import LedgerError
from liuhen.ledger.models import Checkpoint, Event, LedgerHead, TreeNode

log = logging.getLogger(__name__)

__all__ = ["LedgerError", "checkpoint_sign", "record"]


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if actor is None or isinstance(actor, str):
        return None, display_name(actor, default="系统")
    return getattr(actor, "pk", None), display_name(actor)


def record(
    *,
    actor: Any,
    action: str,
    obj_type: str,
    obj_id: Any,
    payload: Mapping[str, Any] | None = None,
    agency_id: int | None = None,
    seals: Mapping[str, Any] | None = None,
) -> Event:
    """Append one event. Must run inside the caller's ``transaction.atomic`` block.

    When the event creates a row of a registered write-once table (``liuhen.ledger.records``), the
    row, saved before, is read back and its seal goes into the payload. ``seals`` adds the seals of
    rows created right after the event that point to it (``records.seal_instance``).
    """
    if action not in ACTIONS:
        raise LedgerError(f"未登记的账本动作：{action}", code="ledger_unknown_action")
    if not connection.in_atomic_block:
        raise LedgerError("账本事件必须与业务变更在同一事务中写入", code="ledger_outside_transaction")
    if agency_id is None and actor is not None and not isinstance(actor, str):
        agency_id = getattr(actor, "agency_id", None)
    actor_id, actor_label = _actor_fields(actor)
    body = tree.canonical_json(_sealed(action, obj_type, obj_id, payload, seals))
    # Plain SQL on the hot path (the ORM tripled the cost of an append); no savepoint, since a failed
    # append must fail the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        head = _lock_head(cursor)
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
        leaf = merkle.leaf_hash(tree.entry_bytes(event))
        event.leaf_hash = leaf.hex()
        event.chain_hash = hashlib.sha256(bytes.fromhex(head.chain_hash) + leaf).hexdigest()
        cursor.execute(
            "INSERT INTO ledger_event (seq, recorded_at, actor_id, actor_label, agency_id, action, object_type,"
            " object_id, payload, payload_hash, leaf_hash, chain_hash)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [
                event.seq,
                connection.ops.adapt_datetimefield_value(event.recorded_at),
                event.actor_id,
                event.actor_label,
                event.agency_id,
                event.action,
                event.object_type,
                event.object_id,
                event.payload,
                event.payload_hash,
                event.leaf_hash,
                event.chain_hash,
            ],
        )
        event.pk = cursor.fetchone()[0]
        event._state.adding = False
        frontier = merkle.Frontier.load(head.size, head.frontier)
        for lvl, idx, h in frontier.append(leaf):
            cursor.execute(
                f"INSERT INTO ledger_treenode (id, level, {connection.ops.quote_name('index')}, hash)"
                " VALUES (%s, %s, %s, %s)",
                [TreeNode.key(lvl, idx), lvl, idx, h.hex()],
            )
        head.size += 1
        head.chain_hash = event.chain_hash
        head.frontier = frontier.dump()
        cursor.execute(
            "UPDATE ledger_ledgerhead SET size = %s, chain_hash = %s, frontier = %s WHERE id = 1",
            [head.size, head.chain_hash, head.frontier],
        )
        checkpoints.schedule(head)
    return event


def _sealed(
    action: str, obj_type: str, obj_id: Any, payload: Mapping[str, Any] | None, seals: Mapping[str, Any] | None
) -> dict[str, Any]:
    body = dict(payload or {})
    found = dict(seals or {})
    spec = records.creating(action, obj_type)
    if spec is not None:
        seal = records.seal_row(spec, obj_id)
        if seal is None:
            raise LedgerError(
                f"{spec.label}记录须先保存再写入创建它的账本事件", code="ledger_row_unsaved", model=spec.model
            )
        found[spec.model] = seal
    if found:
        if records.SEAL_KEY in body:
            raise LedgerError("账本事件内容不能使用保留字段 seal", code="ledger_payload_reserved")
        body[records.SEAL_KEY] = found
    return body


def _lock_head(cursor: Any) -> LedgerHead:
    """The head row, locked until commit (SQLite: the IMMEDIATE transaction already holds the write lock)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT size, chain_hash, frontier, checkpoint_size FROM ledger_ledgerhead WHERE id = 1{lock}"
    cursor.execute(sql)
    row = cursor.fetchone()
    if row is None:
        LedgerHead.objects.get_or_create(pk=1)
        cursor.execute(sql)
        row = cursor.fetchone()
    return LedgerHead(pk=1, size=row[0], chain_hash=row[1], frontier=row[2], checkpoint_size=row[3])


def checkpoint_sign(*, actor: Any) -> Checkpoint | None:
    """A checkpoint signed at someone's request (the audit page, ``manage.py checkpoint``), with its event."""

    def signed(cp: Checkpoint) -> None:
        record(
            actor=actor,
            action="ledger.checkpoint_signed",
            obj_type="checkpoint",
            obj_id=cp.size,
            payload={"size": cp.size, "root": cp.root_hash},
        )

    return checkpoints.checkpoint_create(on_signed=signed)
