"""送达: delivering a finalised document by a lawful method, with the proof that method requires.

Clauses doc-service-direct, doc-service-lien, doc-service-entrusted, doc-service-mail,
doc-service-electronic, doc-service-public-notice (and av-lien-service for the AV part).

Each method has its facts and its proof files (``METHOD_RULES``); a delivery that lacks them is
refused and the refusal lists what is missing (code ``delivery_proof_missing``). What the record
cannot yet show (a posted letter whose return receipt has not come back, a returned letter) is
recorded with ``complete = False`` and the missing items, so the case guard still blocks. A decision
letter is never delivered electronically. Where the agency's 音像记录事项清单 makes AV mandatory for a
method (留置送达 in several seeds), the delivery carries a ``pending`` AV requirement until the media
module can check it. Rows are write-once; a correction is a new row that supersedes the old one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases import services as case_services
from liuhen.cases.models import Case
from liuhen.cases.requirements import MET, MISSING, PENDING, Requirement
from liuhen.core.clock import not_in_future
from liuhen.core.people import display_name
from liuhen.documents.models import Delivery, DeliveryMethod, Document, DocumentVersion, Signature
from liuhen.documents.services import (
    PNG_MAGIC,
    DocumentInvalid,
    DocumentRefused,
    _require_handler,
    _require_open,
    _require_reader,
)
from liuhen.ledger.blobstore.services import blob_put
from liuhen.policy.schema import AvChecklistItem, Profile

METHODS: dict[str, str] = dict(DeliveryMethod.choices)

PROOF_KINDS: dict[str, str] = {
    "receipt_scan": "签收的送达回证（回执）扫描件",
    "photo": "照片",
    "screenshot": "截图截屏",
    "recording": "录音录像（电话录音、屏幕录像、执法记录仪视频）",
    "fax_copy": "注明传真时间和受送达人传真号码的传真件",
    "postage_record": "邮寄登记及付邮资凭证",
    "return_receipt": "邮件回执",
    "returned_mail": "被退回的邮件或邮政退件记录",
    "notice_text": "书面公告",
}
POSTAL_CARRIERS: dict[str, str] = {"registered": "挂号信", "ems": "邮政特快专递（EMS）"}
ELECTRONIC_CHANNELS: dict[str, str] = {"fax": "传真", "email": "电子邮件"}
# Documents that must be served on the party (the case guard of the delivery stage).
SERVED_SUFFIXES = ("决定书", "通知书", "告知书")
MAX_PROOF_BYTES = 50 * 1024 * 1024
MAX_RECORDING_BYTES = 500 * 1024 * 1024


class DeliveryInvalid(DocumentInvalid):
    code = "delivery_invalid"


class DeliveryRefused(DocumentRefused):
    code = "delivery_refused"


@dataclass(frozen=True)
class ProofFile:
    """One uploaded proof: ``kind`` is a key of ``PROOF_KINDS``."""

    kind: str
    data: bytes
    name: str = ""


@dataclass(frozen=True)
class MethodRule:
    """What a method needs: facts (``proof`` keys or columns) and proof files.

    ``files_any`` is a list of alternatives: each entry is a set of kinds of which at least one must
    be attached. ``fields`` name the facts, each with its Chinese label."""

    fields: dict[str, str] = field(default_factory=dict)
    files_any: tuple[tuple[frozenset[str], str], ...] = ()
    address_required: bool = False


_RECEIPT = (frozenset({"receipt_scan"}), "签收的送达回证（回执）扫描件或系统内已定稿的送达回证")
METHOD_RULES: dict[str, MethodRule] = {
    # doc-service-direct: the receipt signed by the recipient or a lawful signer.
    "direct": MethodRule(files_any=(_RECEIPT,)),
    # doc-service-lien: refusal reason and date, witnesses, the place where it was left, the receipt
    # noting all this, signed by the deliverer and the witness.
    "left_at_premises": MethodRule(
        fields={"refusal_reason": "拒收事由", "refusal_date": "拒收日期", "witnesses": "见证人"},
        files_any=((frozenset({"receipt_scan"}), "注明拒收事由和日期并由送达人、见证人签名的送达回证扫描件"),),
        address_required=True,
    ),
    # doc-service-entrusted: the reason and the entrusted person's signature on the receipt.
    "entrusted": MethodRule(
        fields={"reason": "委托送达原因", "intermediary": "受委托人（签收人）"},
        files_any=((frozenset({"receipt_scan"}), "受委托人签名的送达回执扫描件"),),
    ),
    "forwarded": MethodRule(
        fields={"reason": "转交送达原因", "intermediary": "转交机关或单位及经办人"},
        files_any=((frozenset({"receipt_scan"}), "转交人签名的送达回执扫描件"),),
    ),
    # doc-service-mail: registered mail or EMS, the mailing register and postage voucher.
    "postal": MethodRule(
        fields={"carrier": "邮寄方式（挂号信或邮政特快专递）", "mail_number": "挂号信或特快专递单号"},
        files_any=((frozenset({"postage_record"}), "邮寄登记及付邮资凭证"),),
        address_required=True,
    ),
    # doc-service-electronic: fax or e-mail (never a decision letter), recorded by recordings or screenshots.
    "electronic": MethodRule(
        fields={"channel": "电子送达方式（传真或电子邮件）", "electronic_address": "受送达人的传真号码或电子邮箱"},
        files_any=((frozenset({"screenshot", "recording"}), "截图截屏或电话录音、屏幕录像"),),
    ),
    # doc-service-public-notice: why other methods failed, the medium, the notice kept, screenshots.
    "public_notice": MethodRule(
        fields={"other_methods_failed": "已采用其他方式均无法送达的情况", "medium": "公告方式和载体"},
        files_any=(
            (frozenset({"notice_text"}), "书面公告（公告文本）"),
            (frozenset({"screenshot", "photo", "recording"}), "公告过程的截屏截图、照片或录像"),
        ),
    ),
}


# The facts each method may carry in ``Delivery.proof`` (besides the columns).
METHOD_DETAILS: dict[str, dict[str, str]] = {
    "direct": {},
    "left_at_premises": {},
    "entrusted": {"reason": "委托送达原因", "intermediary": "受委托人（签收人）"},
    "forwarded": {"reason": "转交送达原因", "intermediary": "转交机关或单位及经办人"},
    "postal": {
        "carrier": "邮寄方式",
        "mail_number": "挂号信或特快专递单号",
        "returned": "邮件被退回",
        "return_note": "退回的具体情况",
    },
    "electronic": {"channel": "传真或电子邮件", "electronic_address": "传真号码或电子邮箱"},
    "public_notice": {
        "other_methods_failed": "已采用其他方式均无法送达的情况",
        "medium": "公告方式和载体",
        "notice_text": "公告文本",
        "period": "公告期",
    },
}


# ---------------------------------------------------------------- rules (pure)


def is_decision(doc_type: str, doc_name: str) -> bool:
    """行政执法决定书 and every other 决定书: never delivered by fax or e-mail (doc-service-electronic)."""
    return doc_type == "decision_letter" or "决定书" in doc_name


def must_be_served(doc_name: str) -> bool:
    return doc_name.endswith(SERVED_SUFFIXES)


def is_delivery_stage(stage: Any) -> bool:
    return "delivery_receipt" in stage.documents or "delivery" in stage.id


def av_item(profile: Profile, method: str) -> AvChecklistItem | None:
    """The checklist item that makes AV mandatory for this delivery method, if the profile has one."""
    for item in profile.av_checklist:
        if item.delivery_method == method and item.level == "mandatory":
            return item
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _file_kind(data: bytes, kind: str) -> str:
    """What the bytes are; refuses what cannot be a proof of this kind."""
    limit = MAX_RECORDING_BYTES if kind == "recording" else MAX_PROOF_BYTES
    if not data:
        raise DeliveryInvalid(f"{PROOF_KINDS[kind]}是空文件", code="delivery_proof_empty")
    if len(data) > limit:
        raise DeliveryInvalid(
            f"{PROOF_KINDS[kind]}不能超过 {limit // (1024 * 1024)} MB", code="delivery_proof_too_large"
        )
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if kind == "recording":
        if data[4:8] == b"ftyp":
            return "video/mp4"
        if data.startswith(b"RIFF"):
            return "audio/wav" if data[8:12] == b"WAVE" else "video/x-msvideo"
        if data.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")):
            return "audio/mpeg"
        if data.startswith(b"#!AMR"):
            return "audio/amr"
        if data.startswith(b"\x1a\x45\xdf\xa3"):
            return "video/webm"
    if kind == "notice_text" and b"\x00" not in data:
        try:
            data.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            pass
    allowed = "PDF、PNG、JPEG" + ("或常见音视频文件" if kind == "recording" else "")
    allowed += "或 UTF-8 文本" if kind == "notice_text" else ""
    raise DeliveryInvalid(f"{PROOF_KINDS[kind]}须为 {allowed} 文件", code="delivery_proof_not_supported")


def _aware(value: dt.datetime | dt.date | str, label: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise DeliveryInvalid(f"{label}格式不对", code="delivery_invalid_date") from exc
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(12, 0))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _date(value: dt.date | str | None, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise DeliveryInvalid(f"{label}格式不对", code="delivery_invalid_date") from exc


def _facts(method: str, details: Mapping[str, Any]) -> dict[str, Any]:
    allowed = METHOD_DETAILS[method]
    unknown = sorted(k for k in details if k not in allowed)
    if unknown:
        raise DeliveryInvalid(
            f"{METHODS[method]}没有这些栏目：{'、'.join(unknown)}", code="delivery_field_unknown", fields=unknown
        )
    out: dict[str, Any] = {}
    for key, value in details.items():
        if key == "returned":
            if value is True or _text(value).lower() in ("1", "true", "on", "yes", "是"):
                out[key] = True
        elif _text(value):
            out[key] = _text(value)
    return out


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


# ---------------------------------------------------------------- the service


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
    _require_handler(actor, case)
    _require_open(case)
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

    when = _aware(delivered_at, "送达时间")
    if when < version.finalised_at.replace(second=0, microsecond=0):  # pages give the time to the minute
        finalised = timezone.localtime(version.finalised_at).strftime("%Y-%m-%d %H:%M")
        raise DeliveryInvalid(
            f"送达时间不能早于文书定稿时间（{finalised}）", code="delivery_before_finalised", finalised_at=finalised
        )
    not_in_future(when, label="送达时间", code="delivery_in_future")

    facts = _facts(method, details or {})
    if isinstance(witnesses, str):
        witnesses = [w for w in (p.strip() for p in witnesses.replace("，", "、").replace(",", "、").split("、")) if w]
    witness_list = [_text(w) for w in witnesses if _text(w)]
    refusal = _date(refusal_date, "拒收日期")
    files = [p if isinstance(p, ProofFile) else ProofFile(kind=p[0], data=p[1]) for p in proofs]
    unknown = sorted({p.kind for p in files} - set(PROOF_KINDS))
    if unknown:
        raise DeliveryInvalid(f"未知的送达证明类型：{'、'.join(unknown)}", code="delivery_proof_kind_unknown")
    if "notice_text" in facts and method == "public_notice":
        files.append(ProofFile("notice_text", str(facts.pop("notice_text")).encode(), "公告文本.txt"))
    types = [_file_kind(p.data, p.kind) for p in files]

    rule = METHOD_RULES[method]
    recipient, signer_name, signer_relation = _text(recipient), _text(signer_name), _text(signer_relation)
    deliverers = _text(deliverers) or display_name(actor)
    missing: list[str] = []
    if not recipient:
        missing.append("受送达人")
    if rule.address_required and not _text(address):
        missing.append("送达地点（文书留置或寄达的地址）" if method != "postal" else "邮寄地址")
    if signer_name and signer_name != recipient and not signer_relation:
        missing.append("签收人与受送达人的关系（代收人须符合法定条件）")
    columns = {"refusal_reason": _text(refusal_reason), "refusal_date": refusal, "witnesses": witness_list}
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
        if not _text(correction_reason):
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
        case_services._lock(case)
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
            address=_text(address),
            refusal_reason=columns["refusal_reason"] if method == "left_at_premises" else "",
            refusal_date=refusal if method == "left_at_premises" else None,
            witnesses=witness_list,
            proof=facts,
            proof_files=proof_files,
            complete=not open_items,
            missing=open_items,
            supersedes=supersedes,
            correction_reason=_text(correction_reason) if supersedes else "",
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


RECORD_FIELDS = (
    "version_id",
    "method",
    "recipient",
    "signer_name",
    "delivered_at",
    "proof",
    "proof_files",
    "witnesses",
    "complete",
    "supersedes_id",
)


# ---------------------------------------------------------------- reads


def deliveries_of_version(*, actor: Any, version: DocumentVersion) -> list[Delivery]:
    _require_reader(actor, version.document.case)
    return list(Delivery.objects.filter(version=version).select_related("supersedes").order_by("recorded_at", "id"))


def effective(deliveries: Sequence[Delivery]) -> list[Delivery]:
    """The rows not corrected by a later one."""
    replaced = {d.supersedes_id for d in deliveries if d.supersedes_id}
    return [d for d in deliveries if d.pk not in replaced]


def served_versions(case: Case) -> list[DocumentVersion]:
    """The current version of each finalised document of the case that must be served on the party."""
    out = []
    for document in Document.objects.filter(case=case, version_count__gt=0).order_by("created_at", "id"):
        if must_be_served(document.doc_name):
            version = document.versions.filter(version=document.version_count).first()
            if version is not None:
                out.append(version)
    return out


def delivery_requirements(case: Case, profile: Profile) -> list[Requirement]:
    """The delivery stage's guard: each served document delivered with its full proof."""
    versions = served_versions(case)
    rows: dict[int, list[Delivery]] = {}
    for d in Delivery.objects.filter(version__in=versions).order_by("recorded_at", "id"):
        rows.setdefault(d.version_id, []).append(d)
    out: list[Requirement] = []
    for version in versions:
        document = version.document
        code = f"delivery:{document.number}"
        current = effective(rows.get(version.pk, []))
        done = [d for d in current if d.complete]
        if done:
            d = done[-1]
            out.append(Requirement(code, f"{document.doc_name}已{d.get_method_display()}（{d.recipient}）", MET))
            out += av_requirements(profile, d)
        else:
            note = "；".join(m for d in current for m in d.missing)
            out.append(Requirement(code, f"{document.doc_name}尚未送达（或送达证明不全）", MISSING, note))
    return out


def av_requirements(profile: Profile, delivery: Delivery) -> list[Requirement]:
    """Mandatory AV for the method (音像记录事项清单), checked by the media module: a recording attached
    to the delivery, or an AV record of the case made at the time of delivery
    (``liuhen.media.guards.delivery_av_requirement``); pending only if that module is not installed."""
    item = av_item(profile, delivery.method)
    if item is None:
        return []
    try:
        from liuhen.media.guards import delivery_av_requirement
    except ImportError:
        code = f"av:delivery:{delivery.pk}"
        label = f"{item.name}须同步音像记录（{delivery.version.document.doc_name}）"
        if any(f["kind"] == "recording" for f in delivery.proof_files):
            return [Requirement(code, label, MET, "送达记录附有录音录像")]
        return [Requirement(code, label, PENDING, "音像记录模块接入后核验")]
    req = delivery_av_requirement(profile, delivery)
    return [req] if req is not None else []


def delivery_state(profile: Profile, delivery: Delivery) -> dict[str, Any]:
    """What a page shows for one row: the badge, what is missing, the AV requirement."""
    return {
        "delivery": delivery,
        "method": METHODS.get(delivery.method, delivery.method),
        "complete": delivery.complete,
        "missing": list(delivery.missing),
        "av": av_requirements(profile, delivery),
        "files": [{**f, "label": PROOF_KINDS.get(f["kind"], f["kind"])} for f in delivery.proof_files],
    }


def delivery_proof_read(*, actor: Any, delivery: Delivery, sha256: str) -> tuple[bytes, str]:
    """A proof file of a delivery (bytes, content type); reading it leaves a trace."""
    from liuhen.documents.services import _read_blob
    from liuhen.ledger.services import record

    _require_reader(actor, delivery.case)
    match = next((f for f in delivery.proof_files if f["sha256"] == sha256), None)
    if match is None:
        raise DeliveryInvalid("此送达记录没有这个证明文件", code="delivery_proof_not_found")
    data = _read_blob(sha256)
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
