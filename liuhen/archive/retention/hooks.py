"""What the archive does on the kernel's hooks: stored records get their retention; refused deletions of
retained rows are logged.

Clauses store-av-retention-min, store-text-retention, integ-no-destroy-within-retention.

- ``record_stored`` (called by the services that store a DocumentVersion, MediaRecord or
  MediaDerivative): the record gets its class in the same transaction, so a failure here fails the
  store. The archive's own records are given theirs by its own services: a case file when it is
  archived (``casefiles.archiving``), an evidence disc when it is requested (``discs.requests``).
- ``deletion_refused`` (called by the models that refuse an ORM deletion: write-once rows, blobs, case
  files and discs): one ``disposal.early_refused`` event. It is written in its own atomic block: when
  the caller runs inside a transaction that the refusal rolls back, the entry goes with it (the Python
  logger still has it).
- ``disposed_blobs`` tells ``verify`` which blobs' content a disposal removed (their tombstones say so).

``ArchiveConfig.ready`` registers these.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from liuhen.archive.models import ObjectType, RetentionAssignment, Tombstone
from liuhen.archive.retention.terms import expired, retention_assign
from liuhen.ledger.services import record

log = logging.getLogger(__name__)

#: Model label -> the object type its retention rows name ("" for a blob: its rows name the SHA-256).
RETAINED_MODELS: dict[str, str] = {
    "documents.DocumentVersion": ObjectType.DOCUMENT_VERSION,
    "media.MediaRecord": ObjectType.AV_RECORD,
    "media.MediaDerivative": "",
    "blobstore.Blob": "",
    "archive.CaseFile": ObjectType.CASE_FILE,
    "archive.EvidenceDisc": ObjectType.DISC,
}


def on_record_stored(*, obj: Any, actor: Any) -> None:
    retention_assign(actor=actor, obj=obj)


def log_refusal(*, model: str, pks: list[Any], via: str, reason: str = "orm_delete") -> None:
    """One ``disposal.early_refused`` event per refused ORM deletion of retained rows."""
    ids = [str(pk) for pk in pks][:200]
    if model == "blobstore.Blob":
        rows = RetentionAssignment.objects.filter(blob_sha256__in=ids, superseded_by__isnull=True)
    else:
        otype = RETAINED_MODELS.get(model, "")
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


def disposed_blobs() -> set[str]:
    """SHA-256 of every blob whose content a disposal removed (its tombstone says so), for ``verify``."""
    return set(Tombstone.objects.exclude(sha256="").values_list("sha256", flat=True))
