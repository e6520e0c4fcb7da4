"""Reads of text records for pages and the API, scoped by who may see the case (clause
integ-audit-trail-traceability: opening a document, like opening a case, leaves a trace).

A document is seen by exactly the people who see its case (``liuhen.documents.policies``); anyone else
gets "not found", never "forbidden", so another agency's numbers do not leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from liuhen.cases.models import Case, CaseStatus
from liuhen.cases.profiles import profile_of
from liuhen.cases.requirements import Requirement
from liuhen.documents import rights
from liuhen.documents.errors import DocumentNotFound
from liuhen.documents.models import Document, DocumentKind, DocumentStatus, DocumentVersion, Signature
from liuhen.documents.pdf.seal import verify_seal
from liuhen.documents.policies import document_policy
from liuhen.documents.rules import IMPLICIT_SIGNERS, PNG_MAGIC, doc_type_of, finalise_problems, stage_forms
from liuhen.documents.storage import read_blob
from liuhen.ledger.services import record
from liuhen.policy.schema import SIGNERS, DocumentType, Profile


def document_get(user: Any, pk: int) -> Document:
    """As its case: another agency's is not found; one of the user's agency is refused with a code to a
    role that never sees cases, and not found to one who does not see the case."""
    return document_policy.get(user, pk)


def version_get(user: Any, document_pk: int, version: int) -> DocumentVersion:
    document = document_get(user, document_pk)
    row = document.versions.filter(version=version).first()
    if row is None:
        raise DocumentNotFound("该文书没有这一版本", code="document_version_not_found")
    return row


def case_documents(case: Case) -> QuerySet[Document]:
    return case.documents.order_by("created_at", "id")


def doc_type(document: Document) -> DocumentType:
    return doc_type_of(profile_of(document.case), document.doc_type)


def signer_roles(doc: DocumentType) -> list[tuple[str, str]]:
    """The roles whose signature is captured in the page (officers and approvers sign by finalising)."""
    return [(r, SIGNERS.get(r, r)) for r in doc.signers if r not in IMPLICIT_SIGNERS]


def current_signatures(document: Document) -> list[Signature]:
    """The latest act of each role for the version being drafted (what finalising will use), or, once
    finalised, for the latest version."""
    version = document.version_count + (0 if document.status == DocumentStatus.FINAL else 1)
    latest: dict[str, Signature] = {}
    for sig in document.signatures.filter(for_version=version).order_by("captured_at", "id"):
        latest[sig.role] = sig
    return list(latest.values())


def prerequisites(document: Document) -> list[Requirement]:
    """What must be served or answered before this form (met or missing; doc-rights-notice, doc-defense-review)."""
    return rights.prerequisites(document.case, profile_of(document.case), document.doc_type)


def problems(document: Document) -> list[str]:
    """What still stops the draft from being finalised (empty for a finalised document)."""
    if document.status == DocumentStatus.FINAL:
        return []
    doc = doc_type(document)
    values = {f.id: str(document.draft_values.get(f.id, "") or "") for f in doc.fields}
    return finalise_problems(doc, values, current_signatures(document)) + rights.missing_text(prerequisites(document))


def answers(document: Document) -> list[Document]:
    """The records that answer this one (the 复核意见 of a 陈述申辩笔录)."""
    return list(document.answers.order_by("created_at", "id"))


def answer_form(document: Document) -> tuple[str, str] | None:
    """(code, name) of the form that answers this finalised record, where the profile names one."""
    code = doc_type(document).answered_by
    if not code or document.version_count == 0:
        return None
    other = profile_of(document.case).document_types.get(code)
    return (code, other.name if other else code)


def stored_file(version: DocumentVersion) -> bytes:
    return read_blob(version.pdf_sha256 or version.scan_sha256)


def content_type(data: bytes) -> tuple[str, str]:
    """(MIME type, file extension) of a stored PDF or scan."""
    if data.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if data.startswith(PNG_MAGIC):
        return "image/png", "png"
    return "image/jpeg", "jpg"


@dataclass(frozen=True)
class Seal:
    state: str  # valid / invalid / none
    message: str
    signer: str = ""
    signed_at: Any = None


def seal_status(version: DocumentVersion) -> Seal:
    """Open the stored PDF and check the agency's electronic seal (not a download: no event)."""
    if not version.pdf_sha256 or not version.sealed:
        note = "纸质文书扫描件，无电子印章（签名在纸质原件上）" if version.scan_sha256 else "未盖电子印章"
        return Seal("none", note)
    status = verify_seal(stored_file(version))
    return Seal("valid" if status.valid else "invalid", status.message, status.signer, status.signed_at)


def document_view_record(*, actor: Any, document: Document) -> None:
    """Opening a document page is a recorded act, in the ledger like ``case.viewed``."""
    with transaction.atomic():
        record(
            actor=actor,
            action="document.viewed",
            obj_type="document",
            obj_id=document.pk,
            payload={"document_id": document.pk, "number": document.number, "case_id": document.case_id},
            agency_id=document.case.agency_id,
        )


# ---------------------------------------------------------------- the case page's 文书 section


@dataclass
class StartGroup:
    stage_id: str
    stage_name: str
    special: bool
    required: list[tuple[str, str, bool]] = field(default_factory=list)  # (code, name, finalised already)
    if_applicable: list[tuple[str, str]] = field(default_factory=list)


def start_groups(case: Case, profile: Profile) -> list[StartGroup]:
    """The forms that may be started now: the current stage's and each open special stage's."""
    if case.status in (CaseStatus.CLOSED, CaseStatus.REFERRED):
        return []
    filing_form = profile.filing.form if profile.filing else None
    stage_ids = [(case.stage, False)] + [
        (v.stage_id, True) for v in case.visits.filter(special=True, left_at__isnull=True).order_by("entered_at")
    ]
    final = set(case.documents.filter(version_count__gt=0).values_list("doc_type", flat=True))
    groups = []
    for stage_id, special in stage_ids:
        stage = profile.stage(case.enforcement_type, stage_id)
        if stage is None:
            continue
        required, optional = stage_forms(profile, case, stage_id)
        group = StartGroup(stage_id, stage.name, special)
        for code in required:
            if code != filing_form and code in profile.document_types:
                group.required.append((code, profile.document_types[code].name, code in final))
        for code in optional:
            if code in profile.document_types:
                group.if_applicable.append((code, profile.document_types[code].name))
        groups.append(group)
    return groups


def requirement_links(case: Case) -> dict[str, int]:
    """doc_type -> the newest unfinished draft of it (a requirement "X未定稿" links to that draft)."""
    drafts: dict[str, int] = {}
    for pk, code in case.documents.filter(version_count=0, kind=DocumentKind.ELECTRONIC).values_list("pk", "doc_type"):
        drafts[code] = pk
    return drafts
