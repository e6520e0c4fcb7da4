"""The life of a text record: draft, sign (or refuse with a witness), finalise, correct, attach paper.

Clauses doc-text-primary, doc-standard-templates, doc-signatures, doc-refusal-record,
doc-officer-credentials-in-transcript, doc-electronic-signature, integ-no-tamper-original.

Finalising renders the form to PDF, seals it with the agency's electronic seal, stores the PDF and
the canonical JSON of the data as blobs and records their hashes in the ledger, in one transaction
with the version row. From then on the version cannot change; a correction is a new version with
its reason, and the old one stays on the timeline. Who may do each, in which state of the document and
its case, is the document policy's (``liuhen.documents.policies``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases import services as case_services
from liuhen.cases.models import Case
from liuhen.core.hooks import record_stored
from liuhen.core.people import display_name
from liuhen.documents.errors import DocumentInvalid, DocumentRefused
from liuhen.documents.models import Document, DocumentKind, DocumentStatus, DocumentVersion, Signature
from liuhen.documents.pdf.render import render_pdf
from liuhen.documents.pdf.seal import seal_pdf
from liuhen.documents.policies import document_policy
from liuhen.documents.rights import missing_text, prerequisites
from liuhen.documents.rules import (
    IMPLICIT_SIGNERS,
    OFFICER_FIELDS,
    PNG_MAGIC,
    clean_values,
    doc_type_of,
    finalise_problems,
    image_kind,
    officer_blocks,
    scan_kind,
)
from liuhen.documents.storage import read_blob
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.services import record
from liuhen.ledger.tree import canonical_json
from liuhen.policy.schema import SIGNERS, DocumentType, Profile

# The rules' names that callers read here too.
__all__ = [
    "IMPLICIT_SIGNERS",
    "OFFICER_FIELDS",
    "PNG_MAGIC",
    "DocumentInvalid",
    "DocumentRefused",
    "document_correct",
    "document_create",
    "document_draft_save",
    "document_finalise",
    "document_pdf",
    "paper_document_attach",
    "require_prerequisites",
    "signature_capture",
]


# ---------------------------------------------------------------- helpers


def _locked(document: Document) -> Document:
    """The document row, locked until the caller's transaction ends (with its case as already read)."""
    row = Document.objects.select_for_update().get(pk=document.pk)
    row.case = document.case
    return row


def _officer_prefill(case: Case) -> dict[str, str]:
    officers = [h.officer for h in case.handlers.select_related("officer").order_by("pk") if h.officer_id]
    return {
        "officer_count": str(len(officers)),
        "officer_names": "、".join(o.name for o in officers),
        "certificate_nos": "、".join(o.certificate_no for o in officers),
    }


# ---------------------------------------------------------------- drafting


def _check_responds_to(profile: Profile, case: Case, doc: DocumentType, doc_type: str, target: Document) -> None:
    """An answer (复核意见) names a finalised record of this case whose form it answers."""
    if target.case_id != case.pk:
        raise DocumentInvalid("所针对的文书不属于本案", code="responds_to_invalid")
    answer = doc_type_of(profile, target.doc_type).answered_by
    if answer != doc_type:
        raise DocumentInvalid(
            f"{doc.name}不是对{target.doc_name}的答复（本机关规定由"
            f"{doc_type_of(profile, answer).name if answer else '无需答复'}答复）",
            code="responds_to_invalid",
        )
    if target.version_count == 0:
        raise DocumentInvalid(f"{target.doc_name}（{target.number}）尚未定稿，不能复核", code="responds_to_invalid")


def require_prerequisites(case: Case, profile: Profile, doc: DocumentType, doc_type: str) -> None:
    """doc-rights-notice, doc-defense-review: what must be served or answered before this form."""
    missing = missing_text(prerequisites(case, profile, doc_type))
    if missing:
        raise DocumentRefused(
            f"{doc.name}尚不能定稿：{'；'.join(missing)}", code="prerequisite_missing", problems=missing
        )


def document_create(
    *,
    actor: Any,
    case: Case,
    doc_type: str,
    stage_id: str | None = None,
    values: Mapping[str, Any] | None = None,
    responds_to: Document | None = None,
) -> Document:
    """Start a draft from the agency's form for this stage; officers' names and certificates prefilled.
    ``responds_to``: the record this one answers (a 复核意见 names the 陈述申辩笔录 it reviews)."""
    document_policy.require(actor, "create", case)
    profile = case_services.profile_of(case)
    doc = doc_type_of(profile, doc_type)
    stage_id = stage_id or case.stage
    if profile.stage(case.enforcement_type, stage_id) is None:
        raise DocumentInvalid(f"本案没有环节“{stage_id}”", code="stage_unknown")
    if responds_to is not None:
        _check_responds_to(profile, case, doc, doc_type, responds_to)
    field_ids = {f.id for f in doc.fields}
    prefill = {k: v for k, v in _officer_prefill(case).items() if k in field_ids}
    clean = {**prefill, **clean_values(doc, values or {})}
    with transaction.atomic():
        case = case_services.case_lock(case)
        now = timezone.now()
        n = Document.objects.filter(case=case).count() + 1
        document = Document.objects.create(
            case=case,
            doc_type=doc_type,
            doc_name=doc.name,
            stage_id=stage_id,
            number=f"{case.number}-W{n:03d}",
            draft_values=clean,
            draft_updated_at=now,
            draft_updated_by=actor,
            created_by=actor,
            created_at=now,
            responds_to=responds_to,
        )
        case_services.timeline_record(
            case,
            actor=actor,
            action="document.drafted",
            stage_id=stage_id,
            obj=("document", document.pk),
            summary=f"起草{doc.name}（{document.number}）"
            + (f"，针对{responds_to.doc_name}（{responds_to.number}）" if responds_to else ""),
            payload={
                "document_id": document.pk,
                "doc_type": doc_type,
                "number": document.number,
                "responds_to": responds_to.pk if responds_to else None,
            },
        )
    return document


def document_draft_save(*, actor: Any, document: Document, values: Mapping[str, Any]) -> Document:
    """Autosave: replace the draft's values (only while it is a draft or being corrected)."""
    case = document.case
    document_policy.require(actor, "edit", document)
    doc = doc_type_of(case_services.profile_of(case), document.doc_type)
    clean = clean_values(doc, values)
    with transaction.atomic():
        document = _locked(document)
        document_policy.require(actor, "edit", document)
        changed = sorted(
            k for k in set(clean) | set(document.draft_values) if clean.get(k) != document.draft_values.get(k)
        )
        document.draft_values = clean
        document.draft_updated_at, document.draft_updated_by = timezone.now(), actor
        document.save(update_fields=["draft_values", "draft_updated_at", "draft_updated_by"])
        record(
            actor=actor,
            action="document.draft_saved",
            obj_type="document",
            obj_id=document.pk,
            payload={
                "document_id": document.pk,
                "changed_fields": changed,
                "values_sha256": _sha(canonical_json(clean)),
            },
            agency_id=case.agency_id,
        )
    return document


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- signatures


def signature_capture(
    *,
    actor: Any,
    document: Document,
    role: str,
    signer_name: str,
    image: bytes | None = None,
    refused: bool = False,
    refusal_reason: str = "",
    witness_name: str = "",
    witness_image: bytes | None = None,
) -> Signature:
    """A party's, witness's or recipient's signature captured on screen (or signed on paper and
    scanned), or their refusal to sign with the reason and a witness who signs (doc-refusal-record)."""
    case = document.case
    document_policy.require(actor, "sign", document)
    doc = doc_type_of(case_services.profile_of(case), document.doc_type)
    if role not in doc.signers or role in IMPLICIT_SIGNERS:
        allowed = "、".join(SIGNERS[r] for r in doc.signers if r not in IMPLICIT_SIGNERS) or "无"
        raise DocumentInvalid(
            f"{doc.name}不需要“{SIGNERS.get(role, role)}”签名（需要：{allowed}）", code="signer_role_invalid"
        )
    signer_name = (signer_name or "").strip()
    if not signer_name:
        raise DocumentInvalid("请填写签名人姓名", code="field_required")
    if refused:
        if not (refusal_reason or "").strip():
            raise DocumentInvalid("拒绝签名须写明理由", code="refusal_reason_required")
        if not (witness_name or "").strip() or not witness_image:
            raise DocumentInvalid("拒绝签名须有见证人在场并签名", code="refusal_witness_required")
        image_kind(witness_image)
    else:
        if not image:
            raise DocumentInvalid("请采集签名（手写签名图像或签字后的扫描件）", code="signature_image_required")
        image_kind(image)
    image_sha = blob_put(actor=actor, stream=image, agency_id=case.agency_id).sha256 if image and not refused else ""
    witness_sha = (
        blob_put(actor=actor, stream=witness_image, agency_id=case.agency_id).sha256
        if refused and witness_image
        else ""
    )
    with transaction.atomic():
        document = _locked(document)
        document_policy.require(actor, "sign", document)
        sig = Signature.objects.create(
            document=document,
            role=role,
            signer_name=signer_name,
            image_sha256=image_sha,
            refused=refused,
            refusal_reason=(refusal_reason or "").strip(),
            witness_name=(witness_name or "").strip(),
            witness_image_sha256=witness_sha,
            captured_by=actor,
            captured_at=timezone.now(),
            for_version=document.version_count + 1,
        )
        who = f"{SIGNERS.get(role, role)}{signer_name}"
        case_services.timeline_record(
            case,
            actor=actor,
            action="document.signature_refused" if refused else "document.signed",
            stage_id=document.stage_id,
            obj=("signature", sig.pk),
            summary=(
                f"{who}拒绝在{document.doc_name}上签名，理由：{sig.refusal_reason}；见证人：{sig.witness_name}"
                if refused
                else f"{who}在{document.doc_name}上签名"
            ),
            payload={
                "document_id": document.pk,
                "role": role,
                "signer_name": signer_name,
                "refused": refused,
                "image_sha256": image_sha,
                "witness_image_sha256": witness_sha,
            },
        )
    return sig


def _current_signatures(document: Document) -> list[Signature]:
    """The latest act of each signer role for the version being finalised."""
    latest: dict[str, Signature] = {}
    for sig in document.signatures.filter(for_version=document.version_count + 1).order_by("captured_at", "id"):
        latest[sig.role] = sig
    return list(latest.values())


# ---------------------------------------------------------------- finalising


def _signature_blocks(signatures: list[Signature]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for sig in signatures:
        when = timezone.localtime(sig.captured_at).strftime("%Y-%m-%d %H:%M")
        block: dict[str, Any] = {"role": sig.role, "name": sig.signer_name, "signed_at": when}
        if sig.refused:
            blocks.append(block | {"refused": True, "refusal_reason": sig.refusal_reason, "witness": sig.witness_name})
            if sig.witness_image_sha256:
                blocks.append(
                    {
                        "role": "witness",
                        "name": sig.witness_name,
                        "signed_at": when,
                        "image": read_blob(sig.witness_image_sha256),
                    }
                )
        else:
            blocks.append(block | {"image": read_blob(sig.image_sha256)})
    return blocks


def render(document: Document, values: Mapping[str, str], signatures: list[Signature], version: int) -> bytes:
    """The sealed PDF of one version."""
    case = document.case
    doc = doc_type_of(case_services.profile_of(case), document.doc_type)
    fields = [(f.label, values.get(f.id, "")) for f in doc.fields]
    pdf = render_pdf(
        title=doc.name,
        form_no=doc.form_no,
        agency_name=case.agency.name,
        case_number=f"{case.number}　文书编号 {document.number}" + (f"　第 {version} 版" if version > 1 else ""),
        fields=[
            (label, value) for (label, value), f in zip(fields, doc.fields, strict=True) if f.id not in OFFICER_FIELDS
        ],
        officers=officer_blocks(values) if doc.names_officers else None,
        signatures=_signature_blocks(signatures),
        footer="本文书由留痕系统生成，电子印章可在系统中核验",
    )
    return seal_pdf(pdf, agency_code=case.agency.code, agency_name=case.agency.name)


def document_finalise(*, actor: Any, document: Document) -> DocumentVersion:
    """Finalise the draft: every required field, the officers' credentials and every signer's
    signature or witnessed refusal must be there. The sealed PDF and the data become blobs."""
    document = Document.objects.select_related("case", "case__agency").get(pk=document.pk)  # the saved draft
    case = document.case
    document_policy.require(actor, "finalise", document)
    doc = doc_type_of(case_services.profile_of(case), document.doc_type)
    values = {f.id: document.draft_values.get(f.id, "") for f in doc.fields}
    signatures = _current_signatures(document)
    problems = finalise_problems(doc, values, signatures)
    if problems:
        raise DocumentInvalid(
            f"{doc.name}尚不能定稿：{'；'.join(problems)}", code="document_incomplete", problems=problems
        )
    require_prerequisites(case, case_services.profile_of(case), doc, document.doc_type)
    version = document.version_count + 1
    pdf = render(document, values, signatures, version)
    data = canonical_json(
        {
            "document": document.number,
            "doc_type": document.doc_type,
            "version": version,
            "values": values,
            "signatures": [s.pk for s in signatures],
        }
    )
    pdf_blob = blob_put(actor=actor, stream=pdf, agency_id=case.agency_id)
    data_blob = blob_put(actor=actor, stream=data, agency_id=case.agency_id)
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.status == DocumentStatus.FINAL or document.version_count + 1 != version:
            raise DocumentRefused("文书已被他人定稿", code="document_final")
        row = DocumentVersion.objects.create(
            document=document,
            version=version,
            values=values,
            reason=document.correction_reason if version > 1 else "",
            data_sha256=data_blob.sha256,
            pdf_sha256=pdf_blob.sha256,
            sealed=True,
            signature_ids=[s.pk for s in signatures],
            finalised_by=actor,
            finalised_by_name=display_name(actor),
            finalised_at=timezone.now(),
        )
        record_stored(obj=row, actor=actor)  # retention class, same transaction
        document.status = DocumentStatus.FINAL
        document.version_count = version
        document.correction_reason = ""
        document.save(update_fields=["status", "version_count", "correction_reason"])
        case_services.timeline_record(
            case,
            actor=actor,
            action="document.finalised",
            stage_id=document.stage_id,
            obj=("document_version", row.pk),
            summary=f"{document.doc_name}（{document.number}）定稿第 {version} 版"
            + (f"，更正理由：{row.reason}" if row.reason else "")
            + "，已加盖电子印章",
            payload={
                "document_id": document.pk,
                "version": version,
                "data_sha256": row.data_sha256,
                "pdf_sha256": row.pdf_sha256,
            },
        )
    return row


def document_correct(*, actor: Any, document: Document, reason: str) -> Document:
    """Start a correction: a new draft from the current version; the finalised versions stay."""
    case = document.case
    document_policy.require(actor, "correct", document)
    reason = (reason or "").strip()
    if not reason:
        raise DocumentInvalid("更正文书须写明理由", code="correction_reason_required")
    with transaction.atomic():
        document = _locked(document)
        document_policy.require(actor, "correct", document)
        current = document.current_version
        assert current is not None
        document.status = DocumentStatus.CORRECTING
        document.draft_values = dict(current.values)
        document.correction_reason = reason
        document.draft_updated_at, document.draft_updated_by = timezone.now(), actor
        document.save(
            update_fields=["status", "draft_values", "correction_reason", "draft_updated_at", "draft_updated_by"]
        )
        case_services.timeline_record(
            case,
            actor=actor,
            action="document.correction_started",
            stage_id=document.stage_id,
            obj=("document", document.pk),
            summary=f"更正{document.doc_name}（{document.number}）第 {current.version} 版：{reason}",
            payload={"document_id": document.pk, "from_version": current.version, "reason": reason},
        )
    return document


def paper_document_attach(
    *,
    actor: Any,
    case: Case,
    doc_type: str,
    values: Mapping[str, Any],
    scan: bytes,
    stage_id: str | None = None,
    responds_to: Document | None = None,
) -> Document:
    """A paper record made in the field, scanned: same metadata, same immutability (finalised at once).
    Its signatures are on the paper, so the scan is the signed original."""
    document_policy.require(actor, "create", case)
    profile = case_services.profile_of(case)
    doc = doc_type_of(profile, doc_type)
    clean = clean_values(doc, values)
    missing = [f.label for f in doc.fields if f.required and not clean.get(f.id)]
    if missing:
        raise DocumentInvalid(
            f"请登记纸质文书的栏目：{'、'.join(missing)}", code="document_incomplete", problems=missing
        )
    if responds_to is not None:
        _check_responds_to(profile, case, doc, doc_type, responds_to)
    require_prerequisites(case, profile, doc, doc_type)
    kind = scan_kind(scan)
    stage_id = stage_id or case.stage
    scan_blob = blob_put(actor=actor, stream=scan, agency_id=case.agency_id)
    data = canonical_json({"doc_type": doc_type, "version": 1, "values": clean, "scan": scan_blob.sha256})
    data_blob = blob_put(actor=actor, stream=data, agency_id=case.agency_id)
    with transaction.atomic():
        case = case_services.case_lock(case)
        now = timezone.now()
        n = Document.objects.filter(case=case).count() + 1
        document = Document.objects.create(
            case=case,
            doc_type=doc_type,
            doc_name=doc.name,
            stage_id=stage_id,
            kind=DocumentKind.PAPER,
            number=f"{case.number}-W{n:03d}",
            status=DocumentStatus.FINAL,
            draft_values=clean,
            draft_updated_at=now,
            draft_updated_by=actor,
            created_by=actor,
            created_at=now,
            version_count=1,
            responds_to=responds_to,
        )
        row = DocumentVersion.objects.create(
            document=document,
            version=1,
            values=clean,
            data_sha256=data_blob.sha256,
            pdf_sha256=scan_blob.sha256 if kind == "pdf" else "",
            scan_sha256=scan_blob.sha256,
            finalised_by=actor,
            finalised_by_name=display_name(actor),
            finalised_at=now,
        )
        record_stored(obj=row, actor=actor)  # retention class, same transaction
        case_services.timeline_record(
            case,
            actor=actor,
            action="document.paper_attached",
            stage_id=stage_id,
            obj=("document_version", row.pk),
            summary=f"附加纸质{doc.name}扫描件（{document.number}）",
            payload={
                "document_id": document.pk,
                "version": 1,
                "data_sha256": row.data_sha256,
                "pdf_sha256": row.pdf_sha256,
                "scan_sha256": row.scan_sha256,
                "responds_to": responds_to.pk if responds_to else None,
            },
        )
    return document


def document_pdf(*, actor: Any, version: DocumentVersion) -> bytes:
    """The stored PDF (or scan) of a version; reading it leaves a trace."""
    document = version.document
    document_policy.require(actor, "download", document)
    sha = version.pdf_sha256 or version.scan_sha256
    if not sha:
        raise DocumentRefused("此版本没有 PDF", code="document_no_pdf")
    data = read_blob(sha)
    with transaction.atomic():
        record(
            actor=actor,
            action="document.downloaded",
            obj_type="document_version",
            obj_id=version.pk,
            payload={"document_id": document.pk, "version": version.version, "sha256": sha},
            agency_id=document.case.agency_id,
        )
    return data
