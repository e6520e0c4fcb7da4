"""What of a case may go on an evidence disc, the records chosen, and how they fit a medium (clause
arch-av-evidence-disc).

A disc carries the case's AV records (as linked now) and the current finalised version of its
documents; a selection naming a record of another case (or agency) is refused. ``disc_plan_for`` sets
the selection's size against the medium's capacity, with the number of discs it would take and the
smallest medium that holds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import Q
from django.utils import timezone

from liuhen.archive.bagit import disc_image as disc_lib
from liuhen.archive.bagit.errors import DiscSpecInvalid, DiscTooLarge
from liuhen.archive.bagit.spec import SourceFile, safe_name
from liuhen.archive.discs.errors import DiscRecordRefused
from liuhen.cases.models import Case
from liuhen.core.inputs import parse_id
from liuhen.documents.models import Document, DocumentVersion
from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.blobstore.models import Blob
from liuhen.media.continuity.recording import effective_link, probe_of
from liuhen.media.models import MediaRecord

AV = "av_record"
DOC = "document_version"
STATEMENT_NAME = "光盘文字说明.pdf"
JOLIET_NAME_BYTES = 64  # pycdlib limits a Joliet name to 64 bytes of UTF-8 (about 21 Chinese characters)


@dataclass(frozen=True)
class Candidate:
    """One record of the case that may go on a disc (a checkbox on the builder page)."""

    ref: str  # "av_record:5" / "document_version:12"
    type: str
    id: int
    title: str  # the file name on the disc
    sha256: str
    sm3: str
    size: int
    duration: float | None
    kind: str  # 视频 / 音频 / 照片 / 文书

    def source(self) -> SourceFile:
        sha = self.sha256
        return SourceFile(
            open=lambda: get_store().open(sha),
            sha256=sha,
            sm3=self.sm3,
            size=self.size,
            suffix=Path(self.title).suffix.lower(),
        )


def _av_candidates(case: Case) -> list[Candidate]:
    qs = (
        MediaRecord.objects.filter(agency_id=case.agency_id)
        .filter(Q(case=case) | Q(captures__case=case))
        .select_related("blob", "probe")
        .distinct()
        .order_by("uploaded_at", "id")
    )
    out = []
    for rec in qs:
        if effective_link(rec)[0] != case or rec.size == 0:
            continue
        probe = probe_of(rec)
        duration = probe.duration if probe is not None and probe.readable else None
        out.append(
            Candidate(
                ref=f"{AV}:{rec.pk}",
                type=AV,
                id=rec.pk,
                title=rec.filename or f"音像记录{rec.pk}",
                sha256=rec.blob_id,
                sm3=rec.blob.sm3,
                size=rec.size,
                duration=duration,
                kind=rec.get_kind_display(),
            )
        )
    return out


def _doc_candidate(version: Any) -> Candidate | None:
    sha = version.pdf_sha256 or version.scan_sha256
    blob = Blob.objects.filter(pk=sha).first() if sha else None
    if blob is None:
        return None
    doc = version.document
    suffix = ".pdf" if sha == version.pdf_sha256 else ""
    title = doc.doc_name + (f"（第{version.version}版）" if version.version > 1 else "")
    if len(f"{title}_{doc.number}.pdf".encode()) <= JOLIET_NAME_BYTES:
        title += f"_{doc.number}"
    return Candidate(
        ref=f"{DOC}:{version.pk}",
        type=DOC,
        id=version.pk,
        title=title + (suffix or ".pdf"),
        sha256=blob.sha256,
        sm3=blob.sm3,
        size=blob.size,
        duration=None,
        kind="文书",
    )


def _doc_candidates(case: Case) -> list[Candidate]:
    out = []
    for doc in Document.objects.filter(case=case, version_count__gt=0).order_by("created_at", "id"):
        version = doc.current_version
        cand = _doc_candidate(version) if version is not None else None
        if cand is not None:
            out.append(cand)
    return out


def disc_candidates(case: Case) -> list[Candidate]:
    """The case's AV records (as linked now) and the current finalised version of each document."""
    return _av_candidates(case) + _doc_candidates(case)


def _ref_text(ref: Any) -> str:
    if isinstance(ref, Mapping):
        return f"{ref.get('type', '')}:{ref.get('id', '')}"
    return str(ref).strip()


def resolve_selection(case: Case, refs: Iterable[Any]) -> list[Candidate]:
    """The candidates ``refs`` name, in the order given; a record of another case (or agency) is refused."""
    wanted = list(dict.fromkeys(_ref_text(r) for r in refs if _ref_text(r)))
    if not wanted:
        raise DiscSpecInvalid("没有选择要刻制的文件", code="disc_empty")
    av = {c.ref: c for c in _av_candidates(case)}
    chosen = []
    for ref in wanted:
        kind, _, raw_id = ref.partition(":")
        if kind == AV and ref in av:
            chosen.append(av[ref])
            continue
        if kind == DOC and (pk := parse_id(raw_id)) is not None:
            version = DocumentVersion.objects.select_related("document").filter(pk=pk).first()
            cand = _doc_candidate(version) if version is not None and version.document.case_id == case.pk else None
            if cand is not None:
                chosen.append(cand)
                continue
        raise DiscRecordRefused(
            f"所选记录 {ref} 不是案件 {case.number} 的音像记录或已定稿文书，不能刻入本案光盘", ref=ref
        )
    return chosen


def _fit(stem: str, suffix: str, tail: str = "") -> str:
    while stem and len((stem + tail + suffix).encode()) > JOLIET_NAME_BYTES:
        stem = stem[:-1]
    return (stem or "_") + tail + suffix


def disc_names(chosen: Sequence[Candidate]) -> list[str]:
    """File names on the disc: short enough for Joliet, unique (a second ``现场.mp4`` becomes ``现场-2.mp4``)."""
    names: list[str] = []
    for c in chosen:
        base = safe_name(c.title, 60)
        stem, suffix = Path(base).stem, Path(base).suffix
        name, n = _fit(stem, suffix), 1
        while name in names or name == STATEMENT_NAME:
            n += 1
            name = _fit(stem, suffix, f"-{n}")
        names.append(name)
    return names


# ---------------------------------------------------------------- capacity


@dataclass(frozen=True)
class DiscPlan:
    medium: str
    medium_label: str
    files: int
    selected_bytes: int
    needed: int  # bytes with the disc's own files and block rounding
    capacity: int  # usable bytes of one disc of the medium
    fits: bool
    discs: int  # discs of this medium the selection would take
    fitting_medium: str  # the smallest medium that holds it ("" when none does)
    message: str


def _usable(medium: str) -> int:
    return int(disc_lib.MEDIA[medium][1] * (1 - disc_lib.OVERHEAD))


def _spec_for_plan(chosen: Sequence[Candidate], medium: str) -> disc_lib.DiscSpec:
    now = timezone.now()
    files = [disc_lib.DiscFile(record_id=c.ref, name=c.title, file=c.source(), proof={}) for c in chosen]
    return disc_lib.DiscSpec("", "", "", "-", "-", now, now, files, "", "", medium=medium)


def disc_plan_for(chosen: Sequence[Candidate], medium: str) -> DiscPlan:
    """Total size against the medium's capacity, with the split count and a medium that would hold it."""
    if medium not in disc_lib.MEDIA:
        raise DiscSpecInvalid(f"不支持的光盘介质：{medium}（可选 CD、DVD、BD）", code="disc_medium_unknown")
    selected = sum(c.size for c in chosen)
    label = disc_lib.MEDIA[medium][0]
    try:
        needed = disc_lib.disc_plan(_spec_for_plan(chosen, medium))
        fits, discs, message = True, 1, ""
    except DiscTooLarge as exc:
        needed, fits, discs, message = exc.detail["needed"], False, exc.detail["discs"], exc.message
    fitting = next((m for m in disc_lib.MEDIA if needed <= _usable(m)), "")
    if not fits and fitting:
        message += f"（{disc_lib.MEDIA[fitting][0]} 光盘可以容纳）"
    return DiscPlan(
        medium=medium,
        medium_label=label,
        files=len(chosen),
        selected_bytes=selected,
        needed=needed,
        capacity=_usable(medium),
        fits=fits,
        discs=discs,
        fitting_medium=fitting,
        message=message,
    )
