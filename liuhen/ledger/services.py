"""Writing to the ledger: ``record`` is the only way in, always inside the caller's transaction.

Clause integ-audit-trail-traceability: every create, change, view, export and approval leaves an
event that commits with the change or not at all. Each event is also a leaf of the RFC 9162 tree:
``record`` stores the complete subtrees it closes in the same transaction, and schedules a signed
checkpoint every ``LIUHEN_CHECKPOINT_EVERY_EVENTS`` events or ``LIUHEN_CHECKPOINT_EVERY_MINUTES``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from liuhen.core import roles
from liuhen.core.errors import DomainError, NotFound, PermissionDenied
from liuhen.core.people import display_name
from liuhen.ledger import merkle, records, signing
from liuhen.ledger.actions import ACTIONS
from liuhen.ledger.findings import Finding
from liuhen.ledger.models import Checkpoint, Event, LedgerHead, TreeNode, VerificationReport

log = logging.getLogger(__name__)

DEFAULT_CHECKPOINT_EVERY_EVENTS = 1000
DEFAULT_CHECKPOINT_EVERY_MINUTES = 10
BUNDLE_FORMAT = "liuhen-proof/1"


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
    body = canonical_json(_sealed(action, obj_type, obj_id, payload, seals))
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
        leaf = merkle.leaf_hash(entry_bytes(event))
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
        _schedule_checkpoint(head)
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


# --- the tree in the database ------------------------------------------------------------------


def tree_fetch(nodes: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """``merkle.Fetch`` over the database: leaves from ``Event``, higher subtrees from ``TreeNode``."""
    nodes = list(nodes)
    leaves = [index for level, index in nodes if level == 0]
    keys = [TreeNode.key(level, index) for level, index in nodes if level > 0]
    found: dict[merkle.Node, bytes] = {}
    if leaves:
        for seq, h in Event.objects.filter(seq__in=leaves).values_list("seq", "leaf_hash"):
            found[(0, seq)] = bytes.fromhex(h)
    if keys:
        for level, index, h in TreeNode.objects.filter(pk__in=keys).values_list("level", "index", "hash"):
            found[(level, index)] = bytes.fromhex(h)
    return found


def _head() -> LedgerHead:
    return LedgerHead.objects.filter(pk=1).first() or LedgerHead(pk=1)


def tree_root(size: int | None = None) -> tuple[int, bytes]:
    """The tree's size and root: from the head's frontier, or from stored nodes for an earlier size."""
    head = _head()
    if size is None or size == head.size:
        return head.size, merkle.Frontier.load(head.size, head.frontier).root()
    return size, merkle.root(size, tree_fetch)


# --- checkpoints ---------------------------------------------------------------------------------


def _every_events() -> int:
    return int(getattr(settings, "LIUHEN_CHECKPOINT_EVERY_EVENTS", DEFAULT_CHECKPOINT_EVERY_EVENTS))


def _every_minutes() -> float:
    return float(getattr(settings, "LIUHEN_CHECKPOINT_EVERY_MINUTES", DEFAULT_CHECKPOINT_EVERY_MINUTES))


def _schedule_checkpoint(head: LedgerHead) -> None:
    """Queue a checkpoint after commit: at every N-th unsigned event, and T minutes after the first one."""
    pending = head.size - head.checkpoint_size
    every = _every_events()
    if every > 0 and pending >= every and pending % every == 0:
        transaction.on_commit(lambda: _enqueue_checkpoint(None), robust=True)
    elif pending == 1:
        run_after = timezone.now() + dt.timedelta(minutes=_every_minutes())
        transaction.on_commit(lambda: _enqueue_checkpoint(run_after), robust=True)


def _enqueue_checkpoint(run_after: dt.datetime | None) -> None:
    from liuhen.ledger.tasks import checkpoint_create_task

    task = checkpoint_create_task.using(run_after=run_after) if run_after else checkpoint_create_task
    task.enqueue()


def witness_path() -> Path:
    """A copy of every checkpoint outside the database: a database restored from an older copy
    cannot take these back (``verify`` compares them; replication carries them off-site)."""
    return Path(settings.DATA_DIR) / "ledger" / "checkpoints.jsonl"


def _witness_append(cp: Checkpoint) -> None:
    path = witness_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"size": cp.size, "root": cp.root_hash, "note": cp.note}, ensure_ascii=False) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def checkpoint_due(*, now: dt.datetime | None = None) -> bool:
    head = _head()
    if head.size <= head.checkpoint_size:
        return False
    if head.size - head.checkpoint_size >= _every_events():
        return True
    last = Checkpoint.objects.order_by("-size", "-id").first()
    now = now or timezone.now()
    return last is None or now - last.created_at >= dt.timedelta(minutes=_every_minutes())


def checkpoint_create(*, actor: Any = None) -> Checkpoint | None:
    """Sign the tree as it stands, after proving it extends the previous checkpoint.

    Returns the latest checkpoint unchanged when nothing was appended since; None for an empty ledger.
    Refuses (``ledger_inconsistent``) when the tree does not extend the previous checkpoint.
    """
    with transaction.atomic():
        head, _ = LedgerHead.objects.select_for_update().get_or_create(pk=1)
        if head.size == 0:
            return None
        root = merkle.Frontier.load(head.size, head.frontier).root()
        if merkle.root(head.size, tree_fetch) != root:
            raise LedgerError("账本树节点与账本头不一致，拒绝签署检查点", code="ledger_inconsistent")
        last = Checkpoint.objects.order_by("-size", "-id").first()
        if last is not None:
            _check_extends(last, head.size, root)
            if last.size == head.size:
                return last
        note = signing.sign_note(signing.checkpoint_body(signing.origin(), head.size, root))
        cp = Checkpoint.objects.create(
            size=head.size,
            root_hash=root.hex(),
            note=note,
            key_id=signing.deployment_verifier().key_id.hex(),
            created_at=timezone.now(),
        )
        head.checkpoint_size = head.size
        head.save(update_fields=["checkpoint_size"])
        if actor is not None:
            record(
                actor=actor,
                action="ledger.checkpoint_signed",
                obj_type="checkpoint",
                obj_id=cp.size,
                payload={"size": cp.size, "root": cp.root_hash},
            )
        transaction.on_commit(lambda: _witness_append(cp), robust=True)
    return cp


def _check_extends(last: Checkpoint, size: int, root: bytes) -> None:
    fail = {"code": "ledger_inconsistent", "previous_size": last.size, "size": size}
    try:
        signing.open_checkpoint(last.note, [signing.deployment_verifier()])
    except signing.NoteError as exc:
        raise LedgerError(f"上一个检查点的签名无效：{exc}", **fail) from None
    if last.size > size:
        raise LedgerError("账本比上一个检查点小：数据库可能被回滚或截断", **fail)
    last_root = bytes.fromhex(last.root_hash)
    try:
        proof = merkle.consistency_proof(last.size, size, tree_fetch)
        merkle.verify_consistency(last.size, size, last_root, root, proof)
    except merkle.ProofError as exc:
        raise LedgerError(f"账本与上一个检查点不一致：{exc}", **fail) from None


# --- proofs for outside auditors -----------------------------------------------------------------


def _require_auditor(actor: Any) -> None:
    if not roles.has_any_permission(actor, roles.P_AUDIT_READ, roles.P_SUPERVISE):
        raise PermissionDenied("只有安全审计员和监督人员可以导出账本证明")


def proof_bundle(event: Event, cp: Checkpoint, *, note: str | None = None) -> dict[str, Any]:
    """The ``liuhen-proof/1`` bundle that ``tools/liuhen_verify_proof.py`` checks: ``event`` is in
    signed checkpoint ``cp`` (verified here before it is handed out). No access check and no event:
    the caller's act records the export (an auditor's export, a case file, an evidence disc).

    ``checkpoint`` is the note with the witnesses' cosignature lines after the log's signature
    (``cosigning.cosigned_note``; ADR 0013): still a valid signed note for verifiers that know no
    witness. A caller building several bundles on one checkpoint passes the ``note`` it got once, so
    that a cosignature arriving meanwhile cannot make them differ."""
    from liuhen.ledger.cosigning import cosigned_note

    path = merkle.inclusion_proof(event.seq, cp.size, tree_fetch)
    leaf = bytes.fromhex(event.leaf_hash)
    merkle.verify_inclusion(event.seq, cp.size, leaf, path, bytes.fromhex(cp.root_hash))
    return {
        "format": BUNDLE_FORMAT,
        "leaf_index": event.seq,
        "tree_size": cp.size,
        "leaf_data": entry_bytes(event).decode(),
        "leaf_hash": base64.b64encode(leaf).decode(),
        "payload": event.payload,
        "inclusion_proof": [base64.b64encode(h).decode() for h in path],
        "checkpoint": note if note is not None else cosigned_note(cp),
        "vkey": signing.deployment_verifier().vkey,
    }


def proof_bundle_export(*, actor: Any, seq: int) -> dict[str, Any]:
    """An auditor's export of the proof that event ``seq`` is in the ledger (recorded).

    Uses the newest checkpoint a quorum of witnesses co-signed that covers the event, else the latest
    one, signing a new one first when it does not yet cover the event.
    """
    from liuhen.ledger.cosigning import checkpoint_for_proof

    event = Event.objects.filter(seq=seq).first()
    if event is None or event.agency_id not in (None, getattr(actor, "agency_id", None)):
        raise NotFound("账本事件不存在或无权查看", code="ledger_event_not_found")
    _require_auditor(actor)  # after the lookup: another agency's event is 404 for every role
    cp = checkpoint_for_proof(min_size=seq + 1)
    bundle = proof_bundle(event, cp)
    with transaction.atomic():
        record(
            actor=actor,
            action="ledger.proof_exported",
            obj_type="event",
            obj_id=seq,
            payload={"tree_size": cp.size},
        )
    return bundle


# --- verification reports ------------------------------------------------------------------------


def verification_report_save(
    *,
    findings: list[Finding],
    summary: str,
    stats: Mapping[str, Any] | None = None,
    actor: Any = None,
) -> VerificationReport:
    """Keep one ``verify`` run's outcome for the audit page, and leave a trace of the run."""
    with transaction.atomic():
        report = VerificationReport.objects.create(
            created_at=timezone.now(),
            ok=not findings,
            summary=summary,
            findings=[f.as_dict() for f in findings],
            stats=dict(stats or {}),
        )
        record(
            actor=actor,
            action="ledger.verified",
            obj_type="verification_report",
            obj_id=report.pk,
            payload={"ok": report.ok, "findings": len(findings)},
        )
    return report


def integrity_verify_enqueue(*, actor: Any, sample: float | None = None, with_sm3: bool = False) -> Any:
    """Queue a verification run for the worker (the page and the API never hash terabytes in a request).

    Leaves a ``ledger.verify_requested`` event naming who asked. Returns the task result handle.
    """
    from liuhen.ledger.integrity import VerifyArgumentInvalid
    from liuhen.ledger.tasks import integrity_verify_task

    _require_auditor(actor)
    if sample is not None and not 0 < sample <= 1:
        raise VerifyArgumentInvalid("抽样比例必须大于 0 且不超过 1（例如 0.05 表示 5%）", sample=sample)
    with transaction.atomic():
        result = integrity_verify_task.enqueue(actor_id=actor.pk, sample=sample, with_sm3=with_sm3)
        record(
            actor=actor,
            action="ledger.verify_requested",
            obj_type="task",
            obj_id=result.id,
            payload={"sample": sample, "sm3": with_sm3},
        )
    return result
