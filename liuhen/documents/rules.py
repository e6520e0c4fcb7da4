"""Pure rules of text records (no ORM): the catalogue's forms, what a draft lacks before it is
finalised, and what an uploaded signature or scan may be.

Clauses doc-standard-templates (the agency's forms), doc-signatures (a signature is an image),
doc-refusal-record, doc-officer-credentials-in-transcript (number, names and certificate numbers of at
least two officers agree).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from liuhen.cases.models import Case
from liuhen.documents.errors import DocumentInvalid
from liuhen.documents.models import Signature
from liuhen.policy.schema import SIGNERS, DocumentType, Profile

# Signer roles whose "signature" is the authenticated act of the person (finalising officer, approver).
IMPLICIT_SIGNERS = frozenset({"officer", "approver"})
OFFICER_FIELDS = ("officer_count", "officer_names", "certificate_nos")
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_SCAN_BYTES = 50 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def doc_type_of(profile: Profile, code: str) -> DocumentType:
    doc = profile.document_types.get(code)
    if doc is None:
        raise DocumentInvalid(f"本机关文书目录中没有文书类型“{code}”", code="document_type_unknown")
    return doc


def stage_forms(profile: Profile, case: Case, stage_id: str) -> tuple[list[str], list[str]]:
    """(required, if applicable) document type codes of a stage."""
    stage = profile.stage(case.enforcement_type, stage_id)
    if stage is None:
        return [], []
    return list(stage.documents), list(stage.documents_if_applicable)


def clean_values(doc: DocumentType, values: Mapping[str, Any]) -> dict[str, str]:
    known = {f.id for f in doc.fields}
    unknown = sorted(set(values) - known)
    if unknown:
        raise DocumentInvalid(
            f"{doc.name}没有这些栏目：{'、'.join(unknown)}", code="document_field_unknown", fields=unknown
        )
    return {k: ("" if v is None else str(v)).strip() for k, v in values.items()}


def split_names(text: str) -> list[str]:
    for sep in ("，", ",", "；", ";", " ", "\n"):
        text = text.replace(sep, "、")
    return [t for t in (p.strip() for p in text.split("、")) if t]


def officer_problems(values: Mapping[str, str]) -> list[str]:
    """doc-officer-credentials-in-transcript: number, names and certificate numbers agree, at least two."""
    names, certs = split_names(values.get("officer_names", "")), split_names(values.get("certificate_nos", ""))
    problems = []
    try:
        count = int(values.get("officer_count", "").strip() or 0)
    except ValueError:
        count = -1
        problems.append("执法人员数量应为数字")
    if len(names) < 2:
        problems.append("执法人员不得少于两人")
    if len(certs) != len(names):
        problems.append(f"列出 {len(names)} 名执法人员，但只有 {len(certs)} 个执法证件号（每人须载明证件号）")
    if count >= 0 and count != len(names):
        problems.append(f"执法人员数量（{count}）与列出的姓名（{len(names)} 人）不符")
    return problems


def finalise_problems(doc: DocumentType, values: Mapping[str, str], signatures: list[Signature]) -> list[str]:
    """Everything that stops a draft from being finalised, in Chinese."""
    problems = [f"须填写“{f.label}”" for f in doc.fields if f.required and not values.get(f.id, "").strip()]
    if doc.names_officers or all(f in {x.id for x in doc.fields} for f in OFFICER_FIELDS):
        problems += officer_problems(values)
    roles = {s.role for s in signatures}
    for role in doc.signers:
        if role in IMPLICIT_SIGNERS or role in roles:
            continue
        problems.append(f"缺少{SIGNERS.get(role, role)}的签名或拒绝签名记录")
    return problems


def image_kind(data: bytes) -> str:
    """``png``; refuses anything else (doc-signatures: a signature is an image)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise DocumentInvalid("签名图像不能超过 2 MB", code="signature_image_too_large")
    if data.startswith(PNG_MAGIC) and len(data) > 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        if 0 < width <= 8000 and 0 < height <= 8000:
            return "png"
    raise DocumentInvalid("签名须为 PNG 图像（在页面上手写采集，或将签字纸扫描为 PNG）", code="signature_not_an_image")


def scan_kind(data: bytes) -> str:
    if len(data) > MAX_SCAN_BYTES:
        raise DocumentInvalid("扫描件不能超过 50 MB", code="scan_too_large")
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(PNG_MAGIC) or data.startswith(b"\xff\xd8\xff"):
        return "image"
    raise DocumentInvalid("扫描件须为 PDF、PNG 或 JPEG 文件", code="scan_not_supported")


def officer_blocks(values: Mapping[str, str]) -> list[dict[str, Any]]:
    names, certs = split_names(values.get("officer_names", "")), split_names(values.get("certificate_nos", ""))
    shown_text = values.get("certificates_shown", "")
    shown: bool | None = None
    if shown_text:
        shown = "未" not in shown_text and "否" not in shown_text
    return [
        {"name": name, "certificate_no": certs[i] if i < len(certs) else "", "certificate_shown": shown}
        for i, name in enumerate(names)
    ]
