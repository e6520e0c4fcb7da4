"""文书接口 (documents API), mounted at /api/documents/: drafts, signatures and refusals, finalising,
corrections, paper scans, the PDF of each version and its seal status.

The same services as the pages. A document is visible to exactly the people who see its case;
otherwise ``404 document_not_found``. Refusals are ``{code, message, detail}``: finalising a draft
that is not complete answers ``422 document_incomplete`` with ``detail.problems``; an edit after
finalising answers ``409 document_final``; a signature that is not a PNG ``422 signature_not_an_image``;
a decision before the rights notice is served, or before a statement is answered, ``409
prerequisite_missing`` with ``detail.problems``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from liuhen.cases.api import RequirementOut
from liuhen.cases.policies import case_policy
from liuhen.core.api import ERRORS, ErrorOut
from liuhen.core.inputs import Count, Id
from liuhen.documents import selectors, services
from liuhen.documents.models import Document, DocumentVersion, Signature
from liuhen.policy.schema import SIGNERS

router = Router(tags=["文书"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _b64(text: str, what: str) -> bytes:
    text = (text or "").strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise services.DocumentInvalid(f"{what}不是有效的 base64 编码", code="base64_invalid") from exc


# ---------------------------------------------------------------- schemas


class FieldOut(Schema):
    id: str
    label: str
    required: bool


class SignatureOut(Schema):
    id: int
    role: str = Field(description="签名人身份代码：" + "、".join(f"{k} {v}" for k, v in SIGNERS.items()))
    signer_name: str
    refused: bool = Field(description="拒绝签名（有理由和见证人）")
    refusal_reason: str
    witness_name: str
    image_sha256: str
    witness_image_sha256: str
    captured_at: dt.datetime
    for_version: int = Field(description="用于第几版")


class VersionOut(Schema):
    version: int
    reason: str = Field(description="更正理由（第 2 版起）")
    values: dict[str, str]
    data_sha256: str = Field(description="结构化数据（JSON）的 SHA-256，记入账本")
    pdf_sha256: str = Field(description="盖章 PDF 的 SHA-256，记入账本；纸质扫描件为 PDF 时即扫描件")
    scan_sha256: str = Field(description="纸质文书扫描件的 SHA-256")
    sealed: bool
    finalised_by_name: str
    finalised_at: dt.datetime


class DocumentOut(Schema):
    id: int
    case_id: int
    number: str = Field(description="文书编号")
    doc_type: str = Field(description="文书类型代码（本机关文书目录）")
    doc_name: str
    stage_id: str
    kind: str = Field(description="electronic 电子文书 / paper 纸质文书扫描件")
    status: str = Field(description="draft 草稿 / final 已定稿 / correcting 更正中")
    version_count: int = Field(description="已定稿的版本数")
    draft_updated_at: dt.datetime
    created_at: dt.datetime
    responds_to_id: int | None = Field(None, description="所针对的文书（如复核意见针对的陈述申辩笔录）")


class DocumentDetailOut(DocumentOut):
    draft_values: dict[str, str]
    correction_reason: str
    fields: list[FieldOut] = Field(description="本文书类型的栏目（来自文书目录）")
    signer_roles: list[str] = Field(description="须在系统中采集签名（或记录拒签）的身份")
    problems: list[str] = Field(description="定稿前还缺少的内容（中文）；为空即可定稿")
    signatures: list[SignatureOut]
    versions: list[VersionOut]
    prerequisites: list[RequirementOut] = Field(
        description="定稿前须已送达或已复核的事项（如作出决定书前送达权利告知书、复核陈述申辩）"
    )
    answered_by: str | None = Field(description="本机关规定答复本文书的文书类型（如陈述申辩笔录由复核意见答复）")
    answers: list[DocumentOut] = Field(description="针对本文书的答复文书")


class CreateIn(Schema):
    doc_type: str = Field(description="文书类型代码，见执法规则配置的文书目录（/api/policy/）")
    stage_id: str | None = Field(None, description="所属环节代码；缺省为案件当前环节")
    values: dict[str, str] = Field(default_factory=dict, description="初始栏目内容（执法人员与证件号自动预填）")
    responds_to_id: Id | None = Field(
        None, description="所针对的本案已定稿文书（如复核意见针对的陈述申辩笔录，doc-defense-review）"
    )


class DraftIn(Schema):
    values: dict[str, str] = Field(description="草稿全部栏目（整体替换）")


class SignIn(Schema):
    role: str = Field(description="签名人身份代码，如 party 当事人、interviewee 被询问人、witness 见证人")
    signer_name: str
    image_base64: str = Field(description="手写签名 PNG 图像的 base64（可带 data:image/png;base64, 前缀）")


class RefuseIn(Schema):
    role: str
    signer_name: str = Field(description="拒绝签名的人")
    refusal_reason: str = Field(description="拒签理由")
    witness_name: str = Field(description="见证人姓名")
    witness_image_base64: str = Field(description="见证人手写签名 PNG 的 base64")


class CorrectIn(Schema):
    reason: str = Field(description="更正理由")


class SealOut(Schema):
    version: int
    state: str = Field(description="valid 有效 / invalid 无效（被改动或证书不可信） / none 无电子印章（纸质扫描件）")
    message: str = Field(description="中文核验结论，如“电子印章有效，文件未被改动”")
    signer: str
    signed_at: dt.datetime | None


# ---------------------------------------------------------------- helpers


def _signature(s: Signature) -> dict[str, Any]:
    return {f: getattr(s, f) for f in SignatureOut.model_fields}


def _version(v: DocumentVersion) -> dict[str, Any]:
    return {f: getattr(v, f) for f in VersionOut.model_fields}


def _detail(document: Document) -> dict[str, Any]:
    doc = selectors.doc_type(document)
    out = DocumentOut.from_orm(document).dict()
    out.update(
        draft_values={k: str(v) for k, v in document.draft_values.items()},
        correction_reason=document.correction_reason,
        fields=[{"id": f.id, "label": f.label, "required": f.required} for f in doc.fields],
        signer_roles=[r for r, _ in selectors.signer_roles(doc)],
        problems=selectors.problems(document),
        signatures=[_signature(s) for s in document.signatures.order_by("captured_at", "id")],
        versions=[_version(v) for v in document.versions.order_by("version")],
        prerequisites=[r.as_dict() for r in selectors.prerequisites(document)],
        answered_by=doc.answered_by,
        answers=[DocumentOut.from_orm(d).dict() for d in selectors.answers(document)],
    )
    return out


def _responds_to(request: HttpRequest, document_id: Id | None) -> Document | None:
    return None if document_id is None else selectors.document_get(_user(request), document_id)


def _get(request: HttpRequest, document_id: Id) -> Document:
    return selectors.document_get(_user(request), document_id)


# ---------------------------------------------------------------- endpoints


@router.get("/cases/{case_id}", response={200: list[DocumentOut], **ERRORS}, summary="案件的文书列表")
def document_list(request: HttpRequest, case_id: Id) -> Any:
    case = case_policy.get(_user(request), case_id)
    return list(selectors.case_documents(case))


@router.post("/cases/{case_id}", response={201: DocumentDetailOut, **ERRORS}, summary="起草文书（按本机关文书目录）")
def document_create(request: HttpRequest, case_id: Id, body: CreateIn) -> Any:
    actor = _user(request)
    case = case_policy.get(actor, case_id)
    document = services.document_create(
        actor=actor,
        case=case,
        doc_type=body.doc_type,
        stage_id=body.stage_id,
        values=body.values,
        responds_to=_responds_to(request, body.responds_to_id),
    )
    return Status(201, _detail(document))


@router.post(
    "/cases/{case_id}/paper",
    response={201: DocumentDetailOut, **ERRORS},
    summary="附加纸质文书扫描件（multipart：doc_type、stage_id、values 为 JSON 字符串、scan 为 PDF/PNG/JPEG 文件）",
)
def paper_attach(
    request: HttpRequest,
    case_id: Id,
    doc_type: Form[str],
    scan: File[UploadedFile],
    values: Form[str] = "{}",
    stage_id: Form[str] = "",
    responds_to_id: Form[Id | None] = None,
) -> Any:
    actor = _user(request)
    case = case_policy.get(actor, case_id)
    try:
        parsed = json.loads(values or "{}")
    except json.JSONDecodeError as exc:
        raise services.DocumentInvalid("values 须为 JSON 对象（栏目代码: 内容）", code="values_invalid") from exc
    if not isinstance(parsed, dict):
        raise services.DocumentInvalid("values 须为 JSON 对象（栏目代码: 内容）", code="values_invalid")
    document = services.paper_document_attach(
        actor=actor,
        case=case,
        doc_type=doc_type,
        values=parsed,
        scan=scan.read(),
        stage_id=stage_id or None,
        responds_to=_responds_to(request, responds_to_id),
    )
    return Status(201, _detail(document))


@router.get("/{document_id}", response={200: DocumentDetailOut, **ERRORS}, summary="文书（含定稿前还缺少的内容）")
def document_get(request: HttpRequest, document_id: Id) -> Any:
    document = _get(request, document_id)
    selectors.document_view_record(actor=_user(request), document=document)
    return _detail(document)


@router.put("/{document_id}/draft", response={200: DocumentDetailOut, **ERRORS}, summary="保存草稿")
def draft_save(request: HttpRequest, document_id: Id, body: DraftIn) -> Any:
    document = services.document_draft_save(
        actor=_user(request), document=_get(request, document_id), values=body.values
    )
    return _detail(document)


@router.post("/{document_id}/signatures", response={201: SignatureOut, **ERRORS}, summary="采集签名（PNG 图像）")
def sign(request: HttpRequest, document_id: Id, body: SignIn) -> Any:
    sig = services.signature_capture(
        actor=_user(request),
        document=_get(request, document_id),
        role=body.role,
        signer_name=body.signer_name,
        image=_b64(body.image_base64, "签名图像"),
    )
    return Status(201, _signature(sig))


@router.post(
    "/{document_id}/refusals", response={201: SignatureOut, **ERRORS}, summary="记录拒绝签名（理由、见证人及其签名）"
)
def refuse(request: HttpRequest, document_id: Id, body: RefuseIn) -> Any:
    sig = services.signature_capture(
        actor=_user(request),
        document=_get(request, document_id),
        role=body.role,
        signer_name=body.signer_name,
        refused=True,
        refusal_reason=body.refusal_reason,
        witness_name=body.witness_name,
        witness_image=_b64(body.witness_image_base64, "见证人签名图像") or None,
    )
    return Status(201, _signature(sig))


@router.post(
    "/{document_id}/finalise",
    response={201: VersionOut, **ERRORS},
    summary="定稿（生成 PDF、加盖电子印章、摘要记入账本）",
)
def finalise(request: HttpRequest, document_id: Id) -> Any:
    return Status(201, _version(services.document_finalise(actor=_user(request), document=_get(request, document_id))))


@router.post(
    "/{document_id}/correct", response={200: DocumentDetailOut, **ERRORS}, summary="发起更正（定稿后生成新版本）"
)
def correct(request: HttpRequest, document_id: Id, body: CorrectIn) -> Any:
    document = services.document_correct(actor=_user(request), document=_get(request, document_id), reason=body.reason)
    return _detail(document)


@router.get(
    "/{document_id}/versions/{version}/pdf",
    response={200: None, **ERRORS},
    summary="下载定稿版本的 PDF（或纸质扫描件），记入账本",
    openapi_extra={"responses": {200: {"description": "PDF 或扫描件", "content": {"application/pdf": {}}}}},
)
def version_pdf(request: HttpRequest, document_id: Id, version: Count) -> Any:
    actor = _user(request)
    row = selectors.version_get(actor, document_id, version)
    data = services.document_pdf(actor=actor, version=row)
    mime, ext = selectors.content_type(data)
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = f'inline; filename="{row.document.number}-v{row.version}.{ext}"'
    return response


@router.get(
    "/{document_id}/versions/{version}/seal", response={200: SealOut, **ERRORS}, summary="核验定稿版本的电子印章"
)
def seal(request: HttpRequest, document_id: Id, version: Count) -> Any:
    row = selectors.version_get(_user(request), document_id, version)
    status = selectors.seal_status(row)
    return {
        "version": row.version,
        "state": status.state,
        "message": status.message,
        "signer": status.signer,
        "signed_at": status.signed_at,
    }


__all__ = ["ErrorOut", "router"]
