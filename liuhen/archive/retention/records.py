"""A stored record as retention sees it: its key, its owner and the blobs that hold its content.

A record is a document version (文书定稿版本), an AV record (音像记录, with its previews: derivatives
follow their original), a case file (案卷) or an evidence disc (证据光盘), addressed by
``(object_type, object_id)``. ``retention_record_get`` looks one up for a user: another agency's (or none) is
not found, then ``retention_record_policy`` says whether the user may ``action`` it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps

from liuhen.archive.models import ObjectType
from liuhen.archive.policies import retention_record_policy
from liuhen.core.errors import NotFound
from liuhen.core.inputs import parse_id


@dataclass(frozen=True)
class RecordRef:
    """A record as retention sees it: its key, owner and the blobs holding its content."""

    object_type: str
    object_id: str
    agency_id: int
    case_id: int | None
    kind: str  # "av" | "text" (the profile's applies_to), also used for case files and discs
    blobs: tuple[str, ...]  # SHA-256 of each blob; "" for a record with no blob of its own
    stored_at: dt.datetime
    label: str
    profile_id: str


def ref_of(obj: Any) -> RecordRef:
    """The RecordRef of a DocumentVersion, MediaRecord, MediaDerivative, CaseFile or EvidenceDisc."""
    name = obj._meta.label
    if name == "documents.DocumentVersion":
        doc = obj.document
        case = doc.case
        blobs = tuple(b for b in (obj.data_sha256, obj.pdf_sha256, obj.scan_sha256) if b)
        return RecordRef(
            ObjectType.DOCUMENT_VERSION,
            str(obj.pk),
            case.agency_id,
            case.pk,
            "text",
            blobs,
            obj.finalised_at,
            f"{doc} 第{obj.version}版",
            case.agency.profile_id,
        )
    if name == "media.MediaRecord":
        return RecordRef(
            ObjectType.AV_RECORD,
            str(obj.pk),
            obj.agency_id,
            obj.case_id,
            "av",
            (obj.blob_id,),
            obj.uploaded_at,
            obj.filename,
            obj.agency.profile_id,
        )
    if name == "media.MediaDerivative":
        rec = obj.record
        base = ref_of(rec)
        return RecordRef(**{**base.__dict__, "blobs": (obj.blob_id,), "stored_at": obj.made_at})
    if name == "archive.CaseFile":
        return RecordRef(
            ObjectType.CASE_FILE,
            str(obj.pk),
            obj.agency_id,
            obj.case_id,
            "text",
            (obj.package_sha256,) if obj.package_sha256 else ("",),
            obj.archived_at or obj.opened_at,
            str(obj),
            obj.agency.profile_id,
        )
    if name == "archive.EvidenceDisc":
        return RecordRef(
            ObjectType.DISC,
            str(obj.pk),
            obj.agency_id,
            obj.case_id,
            "av",
            ("",),
            obj.requested_at,
            f"证据光盘 #{obj.pk}",
            obj.agency.profile_id,
        )
    raise NotFound("不是受保管期限管理的记录", code="retention_object_unknown")


def resolve(object_type: str, object_id: str) -> Any:
    """The model instance behind an (object_type, object_id) pair."""
    models = {
        ObjectType.DOCUMENT_VERSION: "documents.DocumentVersion",
        ObjectType.AV_RECORD: "media.MediaRecord",
        ObjectType.CASE_FILE: "archive.CaseFile",
        ObjectType.DISC: "archive.EvidenceDisc",
    }
    label = models.get(object_type)
    if label is None:
        raise NotFound("不是受保管期限管理的记录", code="retention_object_unknown")
    pk = parse_id(object_id)
    obj = apps.get_model(label)._base_manager.filter(pk=pk).first() if pk is not None else None
    if obj is None:
        raise NotFound("记录不存在", code="retention_object_not_found")
    return obj


def retention_record_get(user: Any, object_type: str, object_id: str, *, action: str = "view") -> tuple[Any, RecordRef]:
    """The record and its RecordRef for ``action``: 404 when unknown or another agency's, then 403."""
    obj = resolve(object_type, object_id)
    ref = ref_of(obj)
    if ref.agency_id != getattr(user, "agency_id", None):
        raise retention_record_policy.missing()
    retention_record_policy.require(user, action, ref)
    return obj, ref
