"""Stored records get their retention; ORM deletions of retained rows are refused and logged.

Clauses store-av-retention-min, store-text-retention, integ-no-destroy-within-retention.

- The kernel's ``record_stored`` hook, called by the services that store a DocumentVersion, MediaRecord
  or MediaDerivative, gives it its class in the same transaction (a failure here fails the store). A
  CaseFile gets its term when it is saved as archived; an EvidenceDisc when it is requested, and its AV
  records count as used as evidence where the profile lengthens that (``post_save`` of the archive's own
  rows).
- Deleting a retained row or a Blob through the ORM is refused by the models themselves (write-once);
  the ``deletion_refused`` hook they call is logged here as ``disposal.early_refused``. CaseFile and
  EvidenceDisc are ordinary rows: a ``pre_delete`` guard refuses and logs their deletion.
  The log entry is written in its own atomic block: when the caller itself runs inside a
  transaction that the refusal rolls back, the entry goes with it (the Python logger still has it).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save, pre_delete

from liuhen.core.hooks import deletion_refused, record_stored

log = logging.getLogger(__name__)

RETAINED_MODELS = ("documents.DocumentVersion", "media.MediaRecord", "media.MediaDerivative", "blobstore.Blob")


def _actor_of(instance: Any) -> Any:
    for field in ("finalised_by", "uploaded_by", "requested_by", "archived_by"):
        if getattr(instance, f"{field}_id", None):
            return getattr(instance, field)
    return None


def on_record_stored(*, obj: Any, actor: Any) -> None:
    from liuhen.archive.retention import retention_assign

    retention_assign(actor=actor, obj=obj)


def on_case_file_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    from liuhen.archive.models import CaseFileStatus, ObjectType, RetentionAssignment
    from liuhen.archive.retention import retention_case_archived

    if raw or instance.status != CaseFileStatus.ARCHIVED or instance.archived_at is None:
        return
    if RetentionAssignment.objects.filter(object_type=ObjectType.CASE_FILE, object_id=str(instance.pk)).exists():
        return
    retention_case_archived(actor=_actor_of(instance), case_file=instance)


def on_disc_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if not created or raw:
        return
    from liuhen.archive.models import ObjectType
    from liuhen.archive.retention import resolve, retention_assign, retention_extend
    from liuhen.archive.retention_errors import RetentionError

    retention_assign(actor=_actor_of(instance), obj=instance)
    for item in instance.selection or []:
        if item.get("type") != ObjectType.AV_RECORD:
            continue
        try:
            with transaction.atomic():
                retention_extend(
                    actor=None,
                    obj=resolve(ObjectType.AV_RECORD, str(item.get("id"))),
                    event="used_as_evidence",
                    reason=f"刻入证据光盘 #{instance.pk}",
                )
        except (RetentionError, Exception) as exc:  # no such trigger in the profile, already longer ...
            log.info("disc %s: retention of AV %s not lengthened (%s)", instance.pk, item.get("id"), exc)


def log_refusal(*, model: str, pks: list[Any], via: str, reason: str = "orm_delete") -> None:
    """One ``disposal.early_refused`` event per refused ORM deletion of retained rows."""
    from liuhen.archive.models import RetentionAssignment
    from liuhen.archive.retention import expired
    from liuhen.ledger.services import record

    ids = [str(pk) for pk in pks][:200]
    if model == "blobstore.Blob":
        rows = RetentionAssignment.objects.filter(blob_sha256__in=ids, superseded_by__isnull=True)
    else:
        otype = {
            "documents.DocumentVersion": "document_version",
            "media.MediaRecord": "av_record",
            "archive.CaseFile": "case_file",
            "archive.EvidenceDisc": "disc",
        }.get(model, "")
        rows = RetentionAssignment.objects.filter(object_type=otype, object_id__in=ids, superseded_by__isnull=True)
    within = any(not expired(r) for r in rows)
    agency_id = next((r.agency_id for r in rows), None)
    try:
        with transaction.atomic():
            record(
                actor=None,
                action="disposal.early_refused",
                obj_type=model,
                obj_id=",".join(ids)[:200] or "-",
                payload={"via": via, "reason": reason, "pks": ids, "within_retention": within},
                agency_id=agency_id,
            )
    except Exception:  # a broken transaction of the caller: the refusal itself still stands
        log.warning("refused deletion of %s %s could not be logged in the ledger", model, ids, exc_info=True)


def on_deletion_refused(*, model: str, pks: list[Any], via: str) -> None:
    if model in RETAINED_MODELS:
        log_refusal(model=model, pks=pks, via=f"orm_{via}")


def guard_plain_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """CaseFile and EvidenceDisc rows are not write-once models: refuse their deletion here."""
    from liuhen.archive.retention_errors import RecordNotExpired

    log_refusal(model=sender._meta.label, pks=[instance.pk], via="orm_instance")
    raise RecordNotExpired("案卷和证据光盘只能经批准的销毁批次处置，不能直接删除", code="retention_delete_refused")


def connect() -> None:
    from django.apps import apps

    record_stored.register(on_record_stored)
    case_file = apps.get_model("archive.CaseFile")
    disc = apps.get_model("archive.EvidenceDisc")
    post_save.connect(on_case_file_saved, sender=case_file, dispatch_uid="retention:casefile")
    post_save.connect(on_disc_saved, sender=disc, dispatch_uid="retention:disc")
    pre_delete.connect(guard_plain_delete, sender=case_file, dispatch_uid="retention:casefile-delete")
    pre_delete.connect(guard_plain_delete, sender=disc, dispatch_uid="retention:disc-delete")
    deletion_refused.register(on_deletion_refused)


def disposed_blobs() -> set[str]:
    """SHA-256 of every blob whose content a disposal removed (its tombstone says so), for ``verify``."""
    from liuhen.archive.models import Tombstone

    return set(Tombstone.objects.exclude(sha256="").values_list("sha256", flat=True))
