"""送达, the rules (pure, no ORM): the lawful methods, the facts and proof files each requires, which
documents must be served and which may never be delivered electronically.

Clauses doc-service-direct, doc-service-lien, doc-service-entrusted, doc-service-mail,
doc-service-electronic, doc-service-public-notice (and av-lien-service for the AV part).

Each method has its facts and its proof files (``METHOD_RULES``); a delivery that lacks them is
refused and the refusal lists what is missing (code ``delivery_proof_missing``). What the record
cannot yet show (a posted letter whose return receipt has not come back, a returned letter) is
recorded with ``complete = False`` and the missing items, so the case guard still blocks. A decision
letter is never delivered electronically. Where the agency's 音像记录事项清单 makes AV mandatory for a
method (留置送达 in several seeds), the delivery carries an AV requirement the media app checks
(``liuhen.documents.hooks.delivery_av``). Rows are write-once; a correction is a new row that
supersedes the old one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from liuhen.documents.errors import DeliveryInvalid
from liuhen.documents.models import DeliveryMethod
from liuhen.documents.rules import PNG_MAGIC
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


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def file_kind(data: bytes, kind: str) -> str:
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


def aware(value: dt.datetime | dt.date | str, label: str) -> dt.datetime:
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


def as_date(value: dt.date | str | None, label: str) -> dt.date | None:
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


def facts_of(method: str, details: Mapping[str, Any]) -> dict[str, Any]:
    allowed = METHOD_DETAILS[method]
    unknown = sorted(k for k in details if k not in allowed)
    if unknown:
        raise DeliveryInvalid(
            f"{METHODS[method]}没有这些栏目：{'、'.join(unknown)}", code="delivery_field_unknown", fields=unknown
        )
    out: dict[str, Any] = {}
    for key, value in details.items():
        if key == "returned":
            if value is True or text(value).lower() in ("1", "true", "on", "yes", "是"):
                out[key] = True
        elif text(value):
            out[key] = text(value)
    return out
