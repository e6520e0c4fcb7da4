"""送达, the service (clauses doc-service-direct, doc-service-lien, doc-service-entrusted,
doc-service-mail, doc-service-electronic, doc-service-public-notice): recording one delivery of a
finalised version with the facts and proof files its method requires (``liuhen.documents.delivery.rules``),
in one transaction with its ledger event and timeline entry; and reading a proof file, which leaves a
trace. Rows are write-once; a correction is a new row that supersedes the old one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases import services as case_services
from liuhen.cases.models import Case
from liuhen.core.clock import not_in_future
from liuhen.core.people import display_name
from liuhen.documents.delivery.rules import (
    ELECTRONIC_CHANNELS,
    METHOD_RULES,
    METHODS,
    POSTAL_CARRIERS,
    PROOF_KINDS,
    ProofFile,
    as_date,
    av_item,
    aware,
    facts_of,
    file_kind,
    is_decision,
    text,
)
from liuhen.documents.errors import DeliveryInvalid, DeliveryRefused
from liuhen.documents.models import Delivery, Document, DocumentVersion, Signature
from liuhen.documents.policies import delivery_policy, document_policy
from liuhen.documents.storage import read_blob
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.services import record


def _receipt_problems(receipt: DocumentVersion, case: Case, method: str) -> list[str]:
    """A 送达回证 finalised in the system stands for the scanned receipt when it carries the
    recipient's signature (or, for 留置送达, the witnessed refusal)."""
    if receipt.document.case_id != case.pk or receipt.document.doc_type != "delivery_receipt":
        return ["所附送达回证不是本案的送达回证"]
    sigs = list(Signature.objects.filter(pk__in=receipt.signature_ids, role="recipient"))
    if method == "left_at_premises":
        if not any(s.refused and s.witness_name for s in sigs):
            return ["送达回证上没有受送达人拒收及见证人签名的记录"]
    elif not any(not s.refused for s in sigs):
        return ["送达回证上没有受送达人（签收人）的签名"]
    return []


def delivery_record(
    *,
    actor: Any,
    version: DocumentVersion,
    method: str,
    recipient: str,
    delivered_at: dt.datetime | str,
    address: str = "",
    deliverers: str = "",
    signer_name: str = "",
    signer_relation: str = "",
    refusal_reason: str = "",
    refusal_date: dt.date | str | None = None,
    witnesses: Sequence[str] | str = (),
    details: Mapping[str, Any] | None = None,
    proofs: Sequence[ProofFile | tuple[str, bytes]] = (),
    receipt: DocumentVersion | None = None,
    supersedes: Delivery | None = None,
    correction_reason: str = "",
) -> Delivery:
    """Record one delivery of ``version``. ``details`` holds the method's facts (``reason``,
    ``intermediary``, ``carrier``, ``mail_number``, ``returned``, ``return_note``, ``channel``,
    ``electronic_address``, ``other_methods_failed``, ``medium``, ``notice_text``); ``proofs`` the
    files, each tagged with its kind (``PROOF_KINDS``); ``receipt`` a finalised 送达回证 of the case."""
    version = DocumentVersion.objects.select_related("document", "document__case").get(pk=version.pk)
    document: Document = version.document
    case = document.case
    document_policy.require(actor, "deliver", document)
    profile = case_services.profile_of(case)

    if method not in METHOD_RULES:
        raise DeliveryInvalid(
            f"未知的送达方式“{method}”，应为：{'、'.join(METHODS.values())}", code="delivery_method_unknown"
        )
    if method == "electronic" and is_decision(document.doc_type, document.doc_name):
        raise DeliveryRefused(
            f"{document.doc_name}不得以传真、电子邮件等电子方式送达，请采用直接、留置、委托、邮寄或公告等方式",
            code="electronic_delivery_not_allowed",
        )
    if version.version != document.version_count:
        raise DeliveryRefused(
            f"{document.doc_name}第 {version.version} 版已被第 {document.version_count} 版更正，请送达最新版本",
            code="delivery_version_superseded",
        )

    when = aware(delivered_at, "送达时间")
    if when < version.finalised_at.replace(second=0, microsecond=0):  # pages give the time to the minute
        finalised = timezone.localtime(version.finalised_at).strftime("%Y-%m-%d %H:%M")
        raise DeliveryInvalid(
            f"送达时间不能早于文书定稿时间（{finalised}）", code="delivery_before_finalised", finalised_at=finalised
        )
    not_in_future(when, label="送达时间", code="delivery_in_future")

    facts = facts_of(method, details or {})
    if isinstance(witnesses, str):
        witnesses = [w for w in (p.strip() for p in witnesses.replace("，", "、").replace(",", "、").split("、")) if w]
    witness_list = [text(w) for w in witnesses if text(w)]
    refusal = as_date(refusal_date, "拒收日期")
    files = [p if isinstance(p, ProofFile) else ProofFile(kind=p[0], data=p[1]) for p in proofs]
    unknown = sorted({p.kind for p in files} - set(PROOF_KINDS))
    if unknown:
        raise DeliveryInvalid(f"未知的送达证明类型：{'、'.join(unknown)}", code="delivery_proof_kind_unknown")
    if "notice_text" in facts and method == "public_notice":
        files.append(ProofFile("notice_text", str(facts.pop("notice_text")).encode(), "公告文本.txt"))
    types = [file_kind(p.data, p.kind) for p in files]

    rule = METHOD_RULES[method]
    recipient, signer_name, signer_relation = text(recipient), text(signer_name), text(signer_relation)
    deliverers = text(deliverers) or display_name(actor)
    missing: list[str] = []
    if not recipient:
        missing.append("受送达人")
    if rule.address_required and not text(address):
        missing.append("送达地点（文书留置或寄达的地址）" if method != "postal" else "邮寄地址")
    if signer_name and signer_name != recipient and not signer_relation:
        missing.append("签收人与受送达人的关系（代收人须符合法定条件）")
    columns = {"refusal_reason": text(refusal_reason), "refusal_date": refusal, "witnesses": witness_list}
    for key, label in rule.fields.items():
        value = columns[key] if key in columns else facts.get(key)
        if not value:
            missing.append(label)
    kinds = {p.kind for p in files}
    receipt_problems: list[str] = []
    if receipt is not None:
        receipt = DocumentVersion.objects.select_related("document").get(pk=receipt.pk)
        receipt_problems = _receipt_problems(receipt, case, method)
        if not receipt_problems:
            kinds.add("receipt_scan")
    for alternatives, label in rule.files_any:
        if not kinds & alternatives:
            missing.append(label)
    missing += receipt_problems
    if method == "electronic" and facts.get("channel") == "fax" and "fax_copy" not in kinds:
        missing.append("注明传真时间和受送达人传真号码的传真件")
    returned = method == "postal" and bool(facts.get("returned"))
    if returned and (not facts.get("return_note") or "returned_mail" not in kinds):
        missing.append("邮件被退回的具体情况及退件记录")
    if missing:
        raise DeliveryInvalid(
            f"{METHODS[method]}尚缺：{'；'.join(missing)}", code="delivery_proof_missing", missing=missing
        )
    if method == "postal" and facts["carrier"] not in POSTAL_CARRIERS:
        raise DeliveryInvalid("邮寄送达须用挂号信或邮政特快专递", code="postal_carrier_not_allowed")
    if method == "electronic" and facts["channel"] not in ELECTRONIC_CHANNELS:
        raise DeliveryInvalid("电子送达须为传真或电子邮件", code="electronic_channel_unknown")
    if refusal is not None and not (timezone.localdate(version.finalised_at) <= refusal <= timezone.localdate()):
        raise DeliveryInvalid("拒收日期须在文书定稿之后、不晚于今天", code="delivery_invalid_date")
    if supersedes is not None:
        if supersedes.version_id != version.pk:
            raise DeliveryInvalid("被更正的送达记录不是本文书版本的送达", code="delivery_supersedes_invalid")
        if not text(correction_reason):
            raise DeliveryInvalid("更正送达记录须写明理由", code="correction_reason_required")

    # What the record cannot show yet: it is kept, but the delivery does not count.
    open_items: list[str] = []
    if method == "postal":
        if returned:
            open_items.append(f"邮件被退回（{facts['return_note']}），未送达")
        elif "return_receipt" not in kinds:
            open_items.append("尚未取得邮件回执")
    if method == "public_notice":
        facts["earlier_attempts"] = list(
            Delivery.objects.filter(version=version, complete=False).values_list("pk", flat=True)
        )
    if receipt is not None:
        facts["receipt_version_id"] = receipt.pk
    item = av_item(profile, method)
    if item is not None:
        facts["av_required"] = item.name

    stored = [blob_put(actor=actor, stream=p.data, agency_id=case.agency_id) for p in files]
    proof_files = [
        {"kind": p.kind, "sha256": b.sha256, "name": p.name[:200], "size": b.size, "type": t}
        for p, b, t in zip(files, stored, types, strict=True)
    ]
    with transaction.atomic():
        case_services.case_lock(case)
        if supersedes is not None and Delivery.objects.filter(supersedes=supersedes).exists():
            raise DeliveryRefused("这条送达记录已被更正过，请更正最新的记录", code="delivery_already_superseded")
        row = Delivery.objects.create(
            case=case,
            version=version,
            method=method,
            recipient=recipient,
            signer_name=signer_name if signer_name != recipient else "",
            signer_relation=signer_relation if signer_name and signer_name != recipient else "",
            deliverers=deliverers,
            delivered_at=when.astimezone(dt.UTC),  # UTC, so the event payload and the row read back agree
            address=text(address),
            refusal_reason=columns["refusal_reason"] if method == "left_at_premises" else "",
            refusal_date=refusal if method == "left_at_premises" else None,
            witnesses=witness_list,
            proof=facts,
            proof_files=proof_files,
            complete=not open_items,
            missing=open_items,
            supersedes=supersedes,
            correction_reason=text(correction_reason) if supersedes else "",
            recorded_by=actor,
            recorded_by_name=display_name(actor),
            recorded_at=timezone.now(),
        )
        when_text = timezone.localtime(row.delivered_at).strftime("%Y-%m-%d %H:%M")
        outcome = "送达证明齐全" if row.complete else "不计为已送达：" + "；".join(open_items)
        case_services.timeline_record(
            case,
            actor=actor,
            action="document.delivered",
            stage_id=case.stage,
            obj=("delivery", row.pk),
            summary=f"{when_text} 以{METHODS[method]}方式向{recipient}送达{document.doc_name}（{document.number}"
            + (f" 第 {version.version} 版" if version.version > 1 else "")
            + f"），{outcome}"
            + (f"；更正第 {supersedes.pk} 号送达记录：{row.correction_reason}" if supersedes else ""),
            payload=record_payload(row),
        )
    return row


def record_payload(row: Delivery) -> dict[str, Any]:
    """The event payload; ``manage.py verify`` compares these columns with the row."""
    return {
        "document_id": row.version.document_id,
        "version_id": row.version_id,
        "method": row.method,
        "recipient": row.recipient,
        "signer_name": row.signer_name,
        "delivered_at": str(row.delivered_at),
        "proof": row.proof,
        "proof_files": row.proof_files,
        "witnesses": row.witnesses,
        "complete": row.complete,
        "supersedes_id": row.supersedes_id,
    }


def delivery_proof_read(*, actor: Any, delivery: Delivery, sha256: str) -> tuple[bytes, str]:
    """A proof file of a delivery (bytes, content type); reading it leaves a trace."""
    delivery_policy.require(actor, "view", delivery)
    match = next((f for f in delivery.proof_files if f["sha256"] == sha256), None)
    if match is None:
        raise DeliveryInvalid("此送达记录没有这个证明文件", code="delivery_proof_not_found")
    data = read_blob(sha256)
    with transaction.atomic():
        record(
            actor=actor,
            action="document.delivery_proof_viewed",
            obj_type="delivery",
            obj_id=delivery.pk,
            payload={"sha256": sha256, "kind": match["kind"]},
            agency_id=delivery.case.agency_id,
        )
    return data, match.get("type") or "application/octet-stream"
