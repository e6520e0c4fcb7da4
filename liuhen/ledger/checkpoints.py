"""Signed checkpoints of the ledger tree, and the copy of each kept outside the database.

Clause integ-audit-trail-traceability. A checkpoint (C2SP tlog-checkpoint, signed with the deployment's
Ed25519 key) states the tree's size and root; each new one is proven to extend the one before. ``record``
schedules one every ``LIUHEN_CHECKPOINT_EVERY_EVENTS`` events or ``LIUHEN_CHECKPOINT_EVERY_MINUTES`` after
the first unsigned event; the worker signs it (``checkpoint_create_task``). Every checkpoint is also
appended to ``DATA_DIR/ledger/checkpoints.jsonl``: a database restored from an older copy cannot take
those back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from liuhen.ledger import merkle, signing, tree
from liuhen.ledger.errors import LedgerError
from liuhen.ledger.models import Checkpoint, LedgerHead

DEFAULT_CHECKPOINT_EVERY_EVENTS = 1000
DEFAULT_CHECKPOINT_EVERY_MINUTES = 10


def _every_events() -> int:
    return int(getattr(settings, "LIUHEN_CHECKPOINT_EVERY_EVENTS", DEFAULT_CHECKPOINT_EVERY_EVENTS))


def _every_minutes() -> float:
    return float(getattr(settings, "LIUHEN_CHECKPOINT_EVERY_MINUTES", DEFAULT_CHECKPOINT_EVERY_MINUTES))


def schedule(head: LedgerHead) -> None:
    """Queue a checkpoint after commit: at every N-th unsigned event, and T minutes after the first one."""
    pending = head.size - head.checkpoint_size
    every = _every_events()
    if every > 0 and pending >= every and pending % every == 0:
        transaction.on_commit(lambda: _enqueue_checkpoint(None), robust=True)
    elif pending == 1:
        run_after = timezone.now() + dt.timedelta(minutes=_every_minutes())
        transaction.on_commit(lambda: _enqueue_checkpoint(run_after), robust=True)


def _enqueue_checkpoint(run_after: dt.datetime | None) -> None:
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
    head = tree.head()
    if head.size <= head.checkpoint_size:
        return False
    if head.size - head.checkpoint_size >= _every_events():
        return True
    last = Checkpoint.objects.order_by("-size", "-id").first()
    now = now or timezone.now()
    return last is None or now - last.created_at >= dt.timedelta(minutes=_every_minutes())


def checkpoint_create(*, on_signed: Callable[[Checkpoint], None] | None = None) -> Checkpoint | None:
    """Sign the tree as it stands, after proving it extends the previous checkpoint.

    Returns the latest checkpoint unchanged when nothing was appended since; None for an empty ledger.
    Refuses (``ledger_inconsistent``) when the tree does not extend the previous checkpoint.
    ``on_signed`` runs inside the transaction when a new checkpoint was signed (the caller's event).
    """
    with transaction.atomic():
        head, _ = LedgerHead.objects.select_for_update().get_or_create(pk=1)
        if head.size == 0:
            return None
        root = merkle.Frontier.load(head.size, head.frontier).root()
        if merkle.root(head.size, tree.tree_fetch) != root:
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
        if on_signed is not None:
            on_signed(cp)
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
        proof = merkle.consistency_proof(last.size, size, tree.tree_fetch)
        merkle.verify_consistency(last.size, size, last_root, root, proof)
    except merkle.ProofError as exc:
        raise LedgerError(f"账本与上一个检查点不一致：{exc}", **fail) from None


@task()
def checkpoint_create_task() -> int | None:
    cp = checkpoint_create()
    return cp.size if cp else None
