"""Disposal (销毁) in batches: propose → approve (the role the profile names, never the proposer) → run.

Clause integ-no-destroy-within-retention. Only records whose every current term has ended (a dated
``keep_until`` before today), that no hold covers, and whose blob no other record still keeps, can be
disposed. Every refused attempt — naming an unexpired, permanent, open or held record when proposing,
or finding one when running — is logged as ``disposal.early_refused`` in a transaction of its own.

Running a batch disposes item by item, each in one transaction: the Tombstone (what, SHA-256 and SM3,
size, class and keep-until, why, whose approval, when) and its ``disposal.tombstoned`` event are
written, the item marked disposed, then the blob's content is removed from the store, and only then
does the transaction commit. A failure (or a kill) before the commit leaves the item untouched; a
rerun resumes with the items still pending. The Blob row stays (the table is append-only): its
tombstone tells ``verify`` the content is disposed, not missing. Record rows (document versions, AV
records) stay too: they are write-once and checked against the ledger; only their content goes.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from liuhen.archive.models import (
    DisposalBatch,
    DisposalItem,
    DisposalItemState,
    DisposalStatus,
    RetentionAssignment,
    Tombstone,
)
from liuhen.archive.policies import disposal_batch_policy, retention_record_policy
from liuhen.archive.retention.errors import (
    DisposalEmpty,
    DisposalStateInvalid,
    ReasonRequired,
    RecordHeld,
    RecordNotExpired,
    RetentionError,
)
from liuhen.archive.retention.holds import is_held
from liuhen.archive.retention.records import ref_of, resolve
from liuhen.archive.retention.terms import current_assignments, expired, today
from liuhen.core.errors import NotFound
from liuhen.core.people import display_name
from liuhen.ledger.blobstore.backends import LocalBlobStore, check_key, get_store
from liuhen.ledger.blobstore.models import Blob
from liuhen.ledger.services import record
from liuhen.org.models import Agency
from liuhen.policy.loader import get_profile

#: The states in which a batch may be approved or declined, and run (or resumed after a failure).
DECIDABLE = frozenset({DisposalStatus.PROPOSED})
RUNNABLE = frozenset({DisposalStatus.APPROVED, DisposalStatus.FAILED})

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- eligibility


def refusal_for(row: RetentionAssignment) -> RetentionError | None:
    """Why this current term may not be disposed now, or None when it may."""
    if row.permanent:
        return RecordNotExpired("永久保管的记录不得销毁", code="retention_permanent")
    if row.keep_until is None:
        return RecordNotExpired("保管期限尚未确定（长期保管或待归档确定），不得销毁", code="retention_open")
    if not expired(row):
        return RecordNotExpired(keep_until=str(row.keep_until))
    if is_held(object_type=row.object_type, object_id=row.object_id, case_id=row.case_id):
        return RecordHeld()
    if row.blob_sha256:
        for other in RetentionAssignment.objects.filter(
            blob_sha256=row.blob_sha256, superseded_by__isnull=True
        ).exclude(pk=row.pk):
            if Tombstone.objects.filter(
                object_type=other.object_type, object_id=other.object_id, sha256=other.blob_sha256
            ).exists():
                continue
            if not expired(other) or is_held(
                object_type=other.object_type, object_id=other.object_id, case_id=other.case_id
            ):
                return RecordNotExpired("同一原始文件仍被其他未到期或已冻结的记录使用", code="blob_still_retained")
    return None


def _tombstoned(row: RetentionAssignment) -> bool:
    return Tombstone.objects.filter(
        object_type=row.object_type, object_id=row.object_id, sha256=row.blob_sha256
    ).exists()


def eligible(agency_id: int) -> list[RetentionAssignment]:
    """Current terms of the agency that may be disposed today (expired, not held, not yet tombstoned)."""
    rows = RetentionAssignment.objects.filter(
        agency_id=agency_id, superseded_by__isnull=True, permanent=False, keep_until__lt=today()
    ).order_by("keep_until", "id")
    return [r for r in rows if not _tombstoned(r) and refusal_for(r) is None]


def log_refused(
    *, actor: Any, agency_id: int | None, object_type: str, object_id: str, via: str, error: RetentionError
) -> None:
    """Record a refused disposal in its own transaction, so it stays when the caller's request fails."""
    with transaction.atomic():
        record(
            actor=actor,
            action="disposal.early_refused",
            obj_type=object_type,
            obj_id=object_id,
            payload={
                "via": via,
                "code": error.code,
                "message": error.message,
                **{k: str(v) for k, v in error.detail.items()},
            },
            agency_id=agency_id,
        )


# ---------------------------------------------------------------- propose / approve / decline


def _name(actor: Any) -> str:
    return display_name(actor, max_length=120)


def _agency_profile(agency_id: int) -> Any:
    return get_profile(Agency.objects.get(pk=agency_id).profile_id)


def disposal_propose(
    *, actor: Any, reason: str, records: list[tuple[str, str]] | None = None, via: str = "service"
) -> DisposalBatch:
    """A batch of ``records`` ((object_type, object_id) pairs), or of everything eligible when None.

    Naming a record that may not be disposed refuses the whole request and logs the refusal.
    """
    disposal_batch_policy.require(actor, "propose")
    if not reason.strip():
        raise ReasonRequired()
    agency_id = actor.agency_id
    rows: list[RetentionAssignment] = []
    if records is None:
        rows = eligible(agency_id)
    else:
        for object_type, object_id in records:
            resolve(object_type, str(object_id))  # an unknown record: not found
            current = [r for r in current_assignments(object_type, str(object_id)) if r.agency_id == agency_id]
            if not current:
                raise retention_record_policy.missing()
            for row in current:
                if _tombstoned(row):
                    continue
                error = refusal_for(row)
                if error is not None:
                    log_refused(
                        actor=actor,
                        agency_id=agency_id,
                        object_type=object_type,
                        object_id=str(object_id),
                        via=via,
                        error=error,
                    )
                    raise error
                rows.append(row)
    if not rows:
        raise DisposalEmpty()
    profile = _agency_profile(agency_id)
    with transaction.atomic():
        batch = DisposalBatch(
            agency_id=agency_id,
            status=DisposalStatus.PROPOSED,
            reason=reason.strip(),
            proposed_by=actor,
            proposed_at=timezone.now(),
            approval_role=",".join(profile.retention.disposal.approvers),
            items_count=len(rows),
        )
        batch.save()
        DisposalItem.objects.bulk_create(
            DisposalItem(
                batch=batch, object_type=r.object_type, object_id=r.object_id, blob_sha256=r.blob_sha256, retention=r
            )
            for r in rows
        )
        record(
            actor=actor,
            action="disposal.proposed",
            obj_type="disposal_batch",
            obj_id=batch.pk,
            payload={
                "reason": batch.reason,
                "approval_role": batch.approval_role,
                "items": [[r.object_type, r.object_id, r.blob_sha256, str(r.keep_until)] for r in rows],
            },
            agency_id=agency_id,
        )
    return batch


def batch_for_update(actor: Any, batch_id: Any, *, action: str) -> DisposalBatch:
    """The batch locked for ``action``: another agency's (or none) is not found, then the policy asks."""
    return disposal_batch_policy.get(
        actor, batch_id, action=action, queryset=disposal_batch_policy.in_agency(actor).select_for_update()
    )


def disposal_approve(*, actor: Any, batch_id: int, opinion: str = "") -> DisposalBatch:
    with transaction.atomic():
        batch = batch_for_update(actor, batch_id, action="approve")
        if batch.status not in DECIDABLE:
            raise DisposalStateInvalid(status=batch.status)
        batch.status = DisposalStatus.APPROVED
        batch.approved_by = actor
        batch.approved_by_name = _name(actor)
        batch.approved_at = timezone.now()
        batch.approval_opinion = opinion.strip()
        batch.save()
        record(
            actor=actor,
            action="disposal.approved",
            obj_type="disposal_batch",
            obj_id=batch.pk,
            payload={"opinion": batch.approval_opinion, "items": batch.items_count},
            agency_id=batch.agency_id,
        )
    return batch


def disposal_decline(*, actor: Any, batch_id: int, opinion: str) -> DisposalBatch:
    with transaction.atomic():
        batch = batch_for_update(actor, batch_id, action="decline")  # another agency's: 404 before anything else
        if not opinion.strip():
            raise ReasonRequired()
        if batch.status not in DECIDABLE:
            raise DisposalStateInvalid(status=batch.status)
        batch.status = DisposalStatus.REFUSED
        batch.approval_opinion = opinion.strip()
        batch.approved_by = actor
        batch.approved_by_name = _name(actor)
        batch.approved_at = timezone.now()
        batch.save()
        record(
            actor=actor,
            action="disposal.refused",
            obj_type="disposal_batch",
            obj_id=batch.pk,
            payload={"opinion": batch.approval_opinion},
            agency_id=batch.agency_id,
        )
    return batch


# ---------------------------------------------------------------- run


def remove_content(sha256: str) -> bool:
    """Remove a blob's bytes from the configured store; False when they were already gone.

    Not a method of the stores on purpose (ADR 0005: a store has no delete): this is the one audited
    path. On S3 every version is deleted; an object lock still in force refuses, and the item fails.
    """
    check_key(sha256)
    store = get_store()
    if isinstance(store, LocalBlobStore):
        try:
            os.unlink(store.path(sha256))
        except FileNotFoundError:
            return False
        return True
    client, bucket, key = store.client, store.bucket, store.object_key(sha256)  # type: ignore[attr-defined]
    found = False
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if item["Key"] != key:
                continue
            found = True
            args = {"Bucket": bucket, "Key": key}
            if item.get("VersionId") and item["VersionId"] != "null":
                args["VersionId"] = item["VersionId"]
            client.delete_object(**args)
    return found


def _describe(object_type: str, object_id: str) -> tuple[str, int | None]:
    try:
        ref = ref_of(resolve(object_type, object_id))
    except NotFound:
        return f"{object_type}:{object_id}", None
    return ref.label[:300], ref.case_id


def _dispose_item(item_id: int, batch: DisposalBatch, actor: Any) -> str:
    """One item in one transaction: tombstone + event + state, content removed, then commit."""
    with transaction.atomic():
        item = DisposalItem.objects.select_for_update(of=("self",)).select_related("retention").get(pk=item_id)
        if item.state != DisposalItemState.PENDING:
            return item.state
        row = item.retention
        current = row is not None and not RetentionAssignment.objects.filter(supersedes=row).exists()
        error = refusal_for(row) if current else RecordNotExpired("保管期限在批准后已被延长", code="retention_extended")
        if error is not None:
            item.state = DisposalItemState.SKIPPED
            item.note = f"{error.code}：{error.message}"
            item.save()
            record(
                actor=actor,
                action="disposal.early_refused",
                obj_type=item.object_type,
                obj_id=item.object_id,
                payload={"via": "disposal_run", "batch_id": batch.pk, "code": error.code, "message": error.message},
                agency_id=batch.agency_id,
            )
            return item.state
        blob = Blob.objects.filter(pk=item.blob_sha256).first() if item.blob_sha256 else None
        description, case_id = _describe(item.object_type, item.object_id)
        stone = Tombstone(
            agency_id=batch.agency_id,
            case_id=case_id,
            batch=batch,
            object_type=item.object_type,
            object_id=item.object_id,
            description=description,
            sha256=item.blob_sha256,
            sm3=blob.sm3 if blob else "",
            size=blob.size if blob else None,
            retention_class=row.retention_class,
            keep_until=row.keep_until,
            reason=batch.reason,
            approved_by_id=batch.approved_by_id,
            approved_by_name=batch.approved_by_name,
            approved_at=batch.approved_at,
            disposed_by=actor if actor is not None and not isinstance(actor, str) else None,
            disposed_at=timezone.now(),
        )
        stone.save()
        record(
            actor=actor,
            action="disposal.tombstoned",
            obj_type="tombstone",
            obj_id=stone.pk,
            payload={
                "batch_id": stone.batch_id,
                "object_type": stone.object_type,
                "object_id": stone.object_id,
                "sha256": stone.sha256,
                "sm3": stone.sm3,
                "size": stone.size,
                "approved_by_id": stone.approved_by_id,
                "retention_class": stone.retention_class,
                "keep_until": stone.keep_until,
                "reason": stone.reason,
                "description": stone.description,
            },
            agency_id=batch.agency_id,
        )
        item.state = DisposalItemState.DISPOSED
        item.save()
        if item.blob_sha256:
            remove_content(item.blob_sha256)  # last: a failure here rolls everything above back
    return DisposalItemState.DISPOSED


def disposal_run(*, batch_id: int, actor: Any = None) -> DisposalBatch:
    """Run (or resume) an approved batch. Raises what stopped it; what was done stays done."""
    with transaction.atomic():
        batch = DisposalBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            raise disposal_batch_policy.missing(id=str(batch_id))
        if actor is not None and not isinstance(actor, str) and getattr(actor, "agency_id", None) != batch.agency_id:
            raise disposal_batch_policy.missing(id=str(batch_id))
        if batch.status == DisposalStatus.DONE:
            return batch
        if batch.status not in (DisposalStatus.APPROVED, DisposalStatus.RUNNING, DisposalStatus.FAILED):
            error = DisposalStateInvalid(
                "销毁批次未经批准，不得执行", code="disposal_not_approved", status=batch.status
            )
            raise error
        batch.status = DisposalStatus.RUNNING
        batch.started_at = batch.started_at or timezone.now()
        batch.error = ""
        batch.save()
        record(
            actor=actor,
            action="disposal.started",
            obj_type="disposal_batch",
            obj_id=batch.pk,
            agency_id=batch.agency_id,
        )
    pending = list(batch.items.filter(state=DisposalItemState.PENDING).order_by("id").values_list("pk", flat=True))
    try:
        for item_id in pending:
            _dispose_item(item_id, batch, actor)
    except BaseException as exc:
        with transaction.atomic():
            DisposalBatch.objects.filter(pk=batch.pk).update(status=DisposalStatus.FAILED, error=str(exc)[:2000])
            record(
                actor=actor,
                action="disposal.failed",
                obj_type="disposal_batch",
                obj_id=batch.pk,
                payload={"error": str(exc)[:500]},
                agency_id=batch.agency_id,
            )
        raise
    with transaction.atomic():
        counts = {s: batch.items.filter(state=s).count() for s in DisposalItemState.values}
        DisposalBatch.objects.filter(pk=batch.pk).update(status=DisposalStatus.DONE, finished_at=timezone.now())
        record(
            actor=actor,
            action="disposal.finished",
            obj_type="disposal_batch",
            obj_id=batch.pk,
            payload=counts,
            agency_id=batch.agency_id,
        )
    batch.refresh_from_db()
    return batch


@task()
def disposal_run_task(*, batch_id: int, actor_id: int | None = None) -> str:
    """``disposal_run`` in the worker (a thin wrapper, beside its service: ADR 0016)."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return disposal_run(batch_id=batch_id, actor=actor).status


def disposal_start(*, actor: Any, batch_id: int) -> DisposalBatch:
    """From a page or the API: check the batch now, then queue the run as a task after commit."""
    with transaction.atomic():
        batch = batch_for_update(actor, batch_id, action="run")
        if batch.status not in RUNNABLE:
            raise DisposalStateInvalid("销毁批次未经批准，不得执行", code="disposal_not_approved", status=batch.status)
        pk, actor_id = batch.pk, actor.pk
        transaction.on_commit(lambda: disposal_run_task.enqueue(batch_id=pk, actor_id=actor_id), robust=True)
    return batch
