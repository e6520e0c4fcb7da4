"""送达接口 (deliveries API), mounted at /api/deliveries/: record a delivery of a finalised version with
its proof files (JSON with base64, or multipart), list a version's deliveries with what is missing, a
case's served documents, and read a proof file (recorded in the ledger).

Refusals are ``{code, message, detail}``: ``delivery_proof_missing`` (``detail.missing`` lists what
the method still needs), ``electronic_delivery_not_allowed``, ``delivery_before_finalised``, ...
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Form, Router, Schema, Status

from liuhen.cases import services as case_services
from liuhen.cases.policies import case_policy
from liuhen.core.api import ERRORS
from liuhen.core.errors import NotFound
from liuhen.core.inputs import Count, Id
from liuhen.documents import delivery, selectors
from liuhen.documents.models import Delivery, DocumentVersion
from liuhen.documents.policies import delivery_policy

router = Router(tags=["送达"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _b64(text: str, what: str) -> bytes:
    text = (text or "").strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise delivery.DeliveryInvalid(f"{what}不是有效的 base64 编码", code="base64_invalid") from exc


# ---------------------------------------------------------------- schemas


class ProofIn(Schema):
    kind: str = Field(description="证明类型：" + " / ".join(f"{k} {v}" for k, v in delivery.PROOF_KINDS.items()))
    name: str = Field("", description="文件名")
    content_base64: str = Field(description="文件内容的 base64（可带 data: 前缀）")


class DeliveryIn(Schema):
    method: str = Field(description="送达方式：" + " / ".join(f"{k} {v}" for k, v in delivery.METHODS.items()))
    recipient: str = Field(description="受送达人")
    delivered_at: dt.datetime = Field(description="送达时间（不早于文书定稿、不晚于现在）")
    deliverers: str = Field("", description="送达人；空则为记录人")
    address: str = Field("", description="送达地点；留置送达、邮寄送达必填")
    signer_name: str = Field("", description="签收人（非受送达人本人签收时）")
    signer_relation: str = Field("", description="签收人与受送达人的关系（代收时必填）")
    refusal_reason: str = Field("", description="留置送达：拒收事由")
    refusal_date: dt.date | None = Field(None, description="留置送达：拒收日期")
    witnesses: list[str] = Field([], description="留置送达：见证人")
    details: dict[str, Any] = Field(
        {},
        description="方式特有的事项：委托/转交 reason、intermediary；邮寄 carrier（registered/ems）、mail_number、"
        "returned、return_note；电子 channel（fax/email）、electronic_address；公告 other_methods_failed、medium、"
        "notice_text、period",
    )
    proofs: list[ProofIn] = Field([], description="送达证明文件")
    receipt_version_id: Id | None = Field(None, description="本案已定稿的送达回证版本（代替回证扫描件）")
    supersedes_id: Id | None = Field(None, description="更正的送达记录")
    correction_reason: str = ""


class ProofOut(Schema):
    kind: str
    label: str
    sha256: str
    name: str
    size: int
    type: str


class RequirementOut(Schema):
    code: str
    label: str
    status: str
    note: str = ""


class DeliveryOut(Schema):
    id: int
    document_id: int
    version: int
    method: str
    method_label: str
    recipient: str
    signer_name: str
    signer_relation: str
    deliverers: str
    delivered_at: dt.datetime
    address: str
    refusal_reason: str
    refusal_date: dt.date | None
    witnesses: list[str]
    details: dict[str, Any]
    proofs: list[ProofOut]
    complete: bool = Field(description="送达证明齐全、计为已送达")
    missing: list[str] = Field(description="不计为已送达的原因")
    av: list[RequirementOut] = Field(description="本机关规定须同步音像记录的，其核验状态")
    supersedes_id: int | None
    superseded: bool
    correction_reason: str
    recorded_by_name: str
    recorded_at: dt.datetime


class ServedOut(Schema):
    document_id: int
    number: str
    doc_name: str
    version: int
    requirement: RequirementOut | None


def _out(row: Delivery, *, superseded: bool = False) -> dict[str, Any]:
    profile = case_services.profile_of(row.case)
    state = delivery.delivery_state(profile, row)
    return {
        "id": row.pk,
        "document_id": row.version.document_id,
        "version": row.version.version,
        "method": row.method,
        "method_label": state["method"],
        "recipient": row.recipient,
        "signer_name": row.signer_name,
        "signer_relation": row.signer_relation,
        "deliverers": row.deliverers,
        "delivered_at": row.delivered_at,
        "address": row.address,
        "refusal_reason": row.refusal_reason,
        "refusal_date": row.refusal_date,
        "witnesses": row.witnesses,
        "details": row.proof,
        "proofs": [{"type": "", "name": "", "size": 0, **f} for f in state["files"]],
        "complete": row.complete,
        "missing": row.missing,
        "av": [r.as_dict() for r in state["av"]],
        "supersedes_id": row.supersedes_id,
        "superseded": superseded,
        "correction_reason": row.correction_reason,
        "recorded_by_name": row.recorded_by_name,
        "recorded_at": row.recorded_at,
    }


def _version(request: HttpRequest, document_id: Id, version: Count) -> DocumentVersion:
    return selectors.version_get(_user(request), document_id, version)


def _record(request: HttpRequest, row: DocumentVersion, body: DeliveryIn, proofs: list[delivery.ProofFile]) -> Any:
    actor = _user(request)
    receipt = supersedes = None
    if body.receipt_version_id is not None:
        receipt = DocumentVersion.objects.filter(
            pk=body.receipt_version_id, document__case_id=row.document.case_id
        ).first()
        if receipt is None:
            raise NotFound("送达回证不存在或不属于本案", code="document_version_not_found")
    if body.supersedes_id is not None:
        supersedes = Delivery.objects.filter(pk=body.supersedes_id, version=row).first()
        if supersedes is None:
            raise NotFound("被更正的送达记录不存在或不属于本文书版本", code="delivery_not_found")
    made = delivery.delivery_record(
        actor=actor,
        version=row,
        method=body.method,
        recipient=body.recipient,
        delivered_at=body.delivered_at,
        deliverers=body.deliverers,
        address=body.address,
        signer_name=body.signer_name,
        signer_relation=body.signer_relation,
        refusal_reason=body.refusal_reason,
        refusal_date=body.refusal_date,
        witnesses=body.witnesses,
        details=body.details,
        proofs=proofs,
        receipt=receipt,
        supersedes=supersedes,
        correction_reason=body.correction_reason,
    )
    return Status(201, _out(made))


# ---------------------------------------------------------------- endpoints


@router.get(
    "/documents/{document_id}/versions/{version}",
    response={200: list[DeliveryOut], **ERRORS},
    summary="文书版本的送达记录",
)
def delivery_list(request: HttpRequest, document_id: Id, version: Count) -> Any:
    row = _version(request, document_id, version)
    rows = delivery.deliveries_of_version(actor=_user(request), version=row)
    replaced = {d.supersedes_id for d in rows if d.supersedes_id}
    return [_out(d, superseded=d.pk in replaced) for d in rows]


@router.post(
    "/documents/{document_id}/versions/{version}",
    response={201: DeliveryOut, **ERRORS},
    summary="记录送达（JSON，证明文件为 base64）",
)
def delivery_create(request: HttpRequest, document_id: Id, version: Count, body: DeliveryIn) -> Any:
    row = _version(request, document_id, version)
    proofs = [delivery.ProofFile(p.kind, _b64(p.content_base64, p.name or p.kind), p.name) for p in body.proofs]
    return _record(request, row, body, proofs)


@router.post(
    "/documents/{document_id}/versions/{version}/multipart",
    response={201: DeliveryOut, **ERRORS},
    summary="记录送达（multipart：data 为 JSON 字符串，字段同 JSON 接口；文件字段名为 proof_<证明类型>，可多个）",
)
def delivery_create_multipart(request: HttpRequest, document_id: Id, version: Count, data: Form[str]) -> Any:
    row = _version(request, document_id, version)
    try:
        parsed = json.loads(data)
        body = DeliveryIn(**parsed)
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        raise delivery.DeliveryInvalid("data 须为送达记录的 JSON 对象", code="data_invalid") from exc
    proofs = []
    for key in request.FILES:
        kind = key.removeprefix("proof_")
        if not key.startswith("proof_") or kind not in delivery.PROOF_KINDS:
            raise delivery.DeliveryInvalid(f"未知的送达证明类型：{key}", code="delivery_proof_kind_unknown")
        for upload in request.FILES.getlist(key):
            proofs.append(delivery.ProofFile(kind, upload.read(), upload.name or ""))
    return _record(request, row, body, proofs)


@router.get("/cases/{case_id}", response={200: list[ServedOut], **ERRORS}, summary="案件须送达的文书及其送达情况")
def case_served(request: HttpRequest, case_id: Id) -> Any:
    case = case_policy.get(_user(request), case_id)
    reqs = {r.code: r for r in delivery.delivery_requirements(case, case_services.profile_of(case))}
    out = []
    for version in delivery.served_versions(case):
        document = version.document
        req = reqs.get(f"delivery:{document.number}")
        out.append(
            {
                "document_id": document.pk,
                "number": document.number,
                "doc_name": document.doc_name,
                "version": version.version,
                "requirement": req.as_dict() if req else None,
            }
        )
    return out


@router.get("/{delivery_id}/proofs/{sha256}", response={200: None, **ERRORS}, summary="送达证明文件（查阅留痕）")
def proof_get(request: HttpRequest, delivery_id: Id, sha256: str) -> Any:
    row = delivery_policy.get(_user(request), delivery_id)
    data, mime = delivery.delivery_proof_read(actor=_user(request), delivery=row, sha256=sha256)
    response = HttpResponse(data, content_type=mime)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
