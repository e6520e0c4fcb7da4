"""Reads of retention for pages and the API: a record's terms with their history and holds, the
disposal batches, and what the user may do with them now (clause integ-no-destroy-within-retention).

Who may read and act is the archive's policies' to say; the states in which a batch can be decided or
run are ``disposal``'s; the pages offer exactly what the services would accept.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liuhen.archive.models import DisposalBatch, DisposalItemState, LegalHold
from liuhen.archive.policies import disposal_batch_policy, legal_hold_policy, retention_record_policy
from liuhen.archive.retention.disposal import DECIDABLE, RUNNABLE, refusal_for
from liuhen.archive.retention.holds import holds_covering
from liuhen.archive.retention.records import RecordRef
from liuhen.archive.retention.terms import class_label, current_assignments, history


def _term(row: Any, current_ids: set[int]) -> dict[str, Any]:
    return {
        **{f: getattr(row, f) for f in ("id", "blob_sha256", "retention_class", "starts_on", "keep_until")},
        **{f: getattr(row, f) for f in ("permanent", "trigger", "reason", "supersedes_id", "assigned_at")},
        "class_label": class_label(row.retention_class),
        "current": row.pk in current_ids,
    }


def hold_view(hold: LegalHold, *, released: bool | None = None) -> dict[str, Any]:
    return {
        "id": hold.pk,
        **{f: getattr(hold, f) for f in ("scope", "reason", "set_by_name", "set_at")},
        "released": hasattr(hold, "release") if released is None else released,
    }


def record_view(ref: RecordRef) -> dict[str, Any]:
    """A record's current terms, their history, the holds on it, and whether it may be disposed now."""
    current = current_assignments(ref.object_type, ref.object_id)
    ids = {r.pk for r in current}
    refusals = [refusal_for(r) for r in current]
    first = next((e for e in refusals if e is not None), None)
    return {
        "object_type": ref.object_type,
        "object_id": ref.object_id,
        "label": ref.label,
        "case_id": ref.case_id,
        "current": [_term(r, ids) for r in current],
        "history": [_term(r, ids) for r in history(ref.object_type, ref.object_id)],
        "holds": [hold_view(h) for h in holds_covering(ref)],
        "disposable": bool(current) and first is None,
        "refusal": first.code if first else None,
    }


def record_offers(user: Any, ref: RecordRef) -> dict[str, bool]:
    """The forms the record's page shows this user."""
    hold = LegalHold(agency_id=ref.agency_id)
    return {
        "extend": retention_record_policy.user_can(user, "extend", ref),
        "hold": legal_hold_policy.user_can(user, "set", hold),
        "release": legal_hold_policy.user_can(user, "release", hold),
        "dispose": disposal_batch_policy.user_can(user, "propose"),
    }


def batches_for(user: Any) -> QuerySet[DisposalBatch]:
    return disposal_batch_policy.visible(user)


def batch_get(*, actor: Any, batch_id: Any) -> DisposalBatch:
    """A batch of the actor's agency (404 otherwise) the actor may read (403 otherwise)."""
    return disposal_batch_policy.get(actor, batch_id)


def batch_view(batch: DisposalBatch) -> dict[str, Any]:
    items = list(batch.items.order_by("id"))
    fields = (
        "id",
        "status",
        "reason",
        "proposed_by_id",
        "proposed_at",
        "approval_role",
        "approved_by_name",
        "approved_at",
        "approval_opinion",
        "items_count",
        "started_at",
        "finished_at",
        "error",
    )
    return {
        **{f: getattr(batch, f) for f in fields},
        "disposed": sum(1 for i in items if i.state == DisposalItemState.DISPOSED),
        "items": [
            {
                "object_type": i.object_type,
                "object_id": i.object_id,
                "blob_sha256": i.blob_sha256,
                "state": i.state,
                "note": i.note,
            }
            for i in items
        ],
    }


def batch_offers(user: Any, batch: DisposalBatch) -> dict[str, bool]:
    """The buttons the batch's page shows this user: 批准/不批准 and 执行 only to who may use them now."""
    decidable = batch.status in DECIDABLE
    return {
        "approve": decidable and disposal_batch_policy.user_can(user, "approve", batch),
        "decline": decidable and disposal_batch_policy.user_can(user, "decline", batch),
        "run": batch.status in RUNNABLE and disposal_batch_policy.user_can(user, "run", batch),
    }
