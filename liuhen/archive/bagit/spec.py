"""The plain, typed description an archival package or a disc is built from (no ORM here).

The next layer (services wiring cases, documents and media) turns a closed case into a
:class:`PackageSpec`: its finalised documents as PDFs, its AV originals with their metadata, the
timeline, each item's ledger inclusion proof, the checkpoint and the agency's public key, in the
volume order of the agency's profile (clause arch-case-file-complete; forms.md §3).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

Opener = Callable[[], IO[bytes]]


class ItemKind(StrEnum):
    DOCUMENT = "document"  # 文书 (PDF)
    AV_RECORD = "av_record"  # 音像记录原件 (video, audio, photo) with its metadata JSON
    TIMELINE = "timeline"  # 全过程记录时间线 (JSON)
    STATEMENT = "statement"  # 光盘文字说明 and other attached PDFs
    OTHER = "other"


#: Metadata an AV record's JSON must carry (DA/T 70 完整性); a profile may ask for more.
DEFAULT_AV_METADATA_FIELDS: tuple[str, ...] = (
    "record_id",
    "sha256",
    "sm3",
    "size",
    "media_type",
    "duration",
    "captured_at",
    "device_serial",
    "officers",
)

#: Cover fields (forms.md §3, 案卷封面) a package must fill.
REQUIRED_COVER_FIELDS: tuple[str, ...] = (
    "case_name",
    "handling_unit",
    "filing_date",
    "closing_date",
    "archiving_date",
    "retention",
    "archive_number",
    "handler",
)


@dataclass(frozen=True)
class SourceFile:
    """One stored original: how to open it and what the blob store recorded about it."""

    open: Opener
    sha256: str
    sm3: str
    size: int
    suffix: str  # ".pdf", ".mp4", ...

    @classmethod
    def from_path(cls, path: Path | str, *, sha256: str, sm3: str, size: int | None = None) -> SourceFile:
        path = Path(path)
        return cls(
            open=lambda: open(path, "rb"),
            sha256=sha256,
            sm3=sm3,
            size=path.stat().st_size if size is None else size,
            suffix=path.suffix.lower(),
        )

    @classmethod
    def from_bytes(cls, data: bytes, *, suffix: str) -> SourceFile:
        return cls(
            open=lambda: io.BytesIO(data),
            sha256=hashlib.sha256(data).hexdigest(),
            sm3=hashlib.new("sm3", data).hexdigest(),
            size=len(data),
            suffix=suffix,
        )


@dataclass(frozen=True)
class Volume:
    """正卷 / 副卷. The order of ``PackageSpec.volumes`` is the order of the profile."""

    code: str  # "main", "secondary"
    title: str  # "正卷", "副卷"


@dataclass(frozen=True)
class PackageItem:
    """One numbered record of a volume (one line of its table of contents)."""

    record_id: str  # stable id of the stored record, e.g. "document_version:12", "av_record:5"
    volume: str  # Volume.code
    seq: int  # 顺序号 within the volume, from 1
    kind: ItemKind
    title: str  # 题名
    file: SourceFile
    proof: Mapping[str, Any]  # liuhen-proof/1 bundle of the ledger event that stored the record
    doc_number: str = ""  # 文号 (outgoing documents only)
    responsible: str = ""  # 责任者
    date: date | None = None
    pages: tuple[int, int] | None = None  # start and end page in the volume
    remarks: str = ""
    metadata: Mapping[str, Any] | None = None  # AV records: written beside the original as JSON


@dataclass(frozen=True)
class Cover:
    """案卷封面 (forms.md §3). Page count and item count are inputs: the archive decides them."""

    case_name: str  # 案件名称: party + violation + 案
    handling_unit: str  # 承办单位
    filing_date: date | None
    closing_date: date | None
    archiving_date: date | None
    retention: str  # 保管期限: 永久 / 30年 / 10年 ...
    archive_number: str  # 档案号: 8 digits, year + 4-digit closing sequence
    handler: str  # 承办人
    approver: str = ""  # 审批人
    decision_number: str = ""  # 决定书文号
    total_pages: int | None = None
    fonds_no: str = ""  # 全宗号
    catalogue_no: str = ""  # 目录号
    file_no: str = ""  # 案卷号
    maker: str = ""  # 立卷人
    checker: str = ""  # 检查人
    remarks: str = ""  # 备考


COVER_LABELS: dict[str, str] = {
    "case_name": "案件名称",
    "decision_number": "决定书文号",
    "handling_unit": "承办单位",
    "filing_date": "立案日期",
    "closing_date": "结案日期",
    "archiving_date": "归档日期",
    "retention": "保管期限",
    "items": "件数",
    "total_pages": "页数",
    "archive_number": "档案号",
    "handler": "承办人",
    "approver": "审批人",
    "fonds_no": "全宗号",
    "catalogue_no": "目录号",
    "file_no": "案卷号",
    "maker": "立卷人",
    "checker": "检查人",
    "remarks": "备考",
}

CONTENTS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "顺序号"),
    ("doc_number", "文号"),
    ("responsible", "责任者"),
    ("title", "题名"),
    ("date", "日期"),
    ("pages", "页号"),
    ("remarks", "备注"),
)


@dataclass(frozen=True)
class PackageSpec:
    agency_name: str  # Source-Organization
    agency_code: str  # 机关代码 (e.g. unified social credit code); "" if none
    case_no: str  # 案号
    case_id: str  # Liuhen's id of the case
    archivist: str  # 档案管理员 who archives it
    archived_at: datetime  # aware
    cover: Cover
    volumes: Sequence[Volume]
    items: Sequence[PackageItem]
    checkpoint: str  # signed checkpoint note every proof leads to
    vkey: str  # the agency's public key (signed-note verifier key)
    profile: str = ""  # "code@version" of the policy profile
    av_metadata_fields: tuple[str, ...] = DEFAULT_AV_METADATA_FIELDS
    extra_info: Mapping[str, str] = field(default_factory=dict)  # more bag-info.txt fields


def expected_records(spec: PackageSpec) -> dict[str, dict[str, Any]]:
    """What the blob store says about each record: the input of the 真实性 check."""
    return {
        item.record_id: {"sha256": item.file.sha256, "sm3": item.file.sm3, "size": item.file.size}
        for item in spec.items
    }


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def safe_name(text: str, limit: int = 60) -> str:
    """A file-name part from a title: NFC, no separators or control characters, no leading dots."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", text)).strip(" .")
    return (name or "_")[:limit]


def text_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y年%m月%d日 %H时%M分")
    if isinstance(value, date):
        return value.strftime("%Y年%m月%d日")
    if value is None:
        return ""
    return str(value)
