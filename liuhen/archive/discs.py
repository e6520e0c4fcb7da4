"""Evidence discs (刻制光盘) wired to cases, media and documents (clause arch-av-evidence-disc).

The records keeper (档案管理员) of the case's agency selects AV records and finalised documents of one
case, names the maker (制作人), the extractor (提取人) and the extraction time (提取时间), and picks a
medium. ``disc_request`` refuses a selection that does not fit the medium (naming how many discs it
would take and the smallest medium that holds it), queues an ``EvidenceDisc`` with its ledger event and
timeline entry, and the worker runs ``disc_build``: the image is written by ``liuhen.archive.disc``
under ``DATA_DIR/discs/<agency>/<case>/``, read back and every file compared before the status becomes
``verified`` — only then is it offered. The image stays a file with its SHA-256 recorded (multi-GB
images do not belong in the blob store twice); the written statement (PDF) goes into the blob store
and is attached to the case file through ``disc_statements(case)``, which the case-file assembly calls.

Every download of the image and of the statement is a ledger event; ``disc_verify`` (``manage.py
disc_verify <id>``) re-reads a stored image and withdraws it when one byte differs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from liuhen.archive import disc as disc_lib
from liuhen.archive.errors import ArchiveError, DiscReadbackFailed, DiscSpecInvalid, DiscTooLarge
from liuhen.archive.models import DiscStatus, EvidenceDisc
from liuhen.archive.spec import SourceFile, safe_name
from liuhen.cases.models import Case
from liuhen.cases.selectors import require_case_reader
from liuhen.cases.services import timeline_record
from liuhen.core.clock import not_in_future
from liuhen.core.errors import NotFound, PermissionDenied
from liuhen.core.inputs import parse_id
from liuhen.ledger.services import record
from liuhen.org.rules import Role

AV = "av_record"
DOC = "document_version"
STATEMENT_PATH = "data/光盘文字说明.pdf"
PROGRESS_EVERY = 0.5  # seconds between progress writes while building


class DiscNotAllowed(PermissionDenied):
    code = "disc_not_records_keeper"
    message = "只有本机关的档案管理员可以刻制证据光盘"


class DiscRecordRefused(ArchiveError):
    code = "disc_record_not_in_case"
    status = 422
    message = "所选记录不属于该案件"


class DiscNotFound(NotFound):
    code = "disc_not_found"
    message = "证据光盘不存在或无权查看"


class DiscNotReady(ArchiveError):
    code = "disc_not_verified"
    status = 409
    message = "证据光盘镜像尚未通过回读校验，不能下载"


# ---------------------------------------------------------------- who may


def is_records_keeper(user: Any, agency_id: int | None) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and agency_id is not None
        and getattr(user, "agency_id", None) == agency_id
        and Role.RECORDS_KEEPER in user.role_codes
    )


def _require_keeper(actor: Any, case: Case) -> None:
    if getattr(actor, "agency_id", None) != case.agency_id:
        raise DiscNotAllowed("只有本案所属机关的档案管理员可以刻制证据光盘", code="disc_other_agency")
    if not is_records_keeper(actor, case.agency_id):
        raise DiscNotAllowed()


# ---------------------------------------------------------------- what can go on a disc


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
        from liuhen.ledger.blobstore.backends import get_store

        sha = self.sha256
        return SourceFile(
            open=lambda: get_store().open(sha),
            sha256=sha,
            sm3=self.sm3,
            size=self.size,
            suffix=Path(self.title).suffix.lower(),
        )


def _av_candidates(case: Case) -> list[Candidate]:
    from liuhen.media.capture import effective_link
    from liuhen.media.models import MediaRecord
    from liuhen.media.player import probe_of

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
    from liuhen.ledger.blobstore.models import Blob

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
    from liuhen.documents.models import Document

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
    from liuhen.documents.models import DocumentVersion

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


JOLIET_NAME_BYTES = 64  # pycdlib limits a Joliet name to 64 bytes of UTF-8 (about 21 Chinese characters)


def _fit(stem: str, suffix: str, tail: str = "") -> str:
    while stem and len((stem + tail + suffix).encode()) > JOLIET_NAME_BYTES:
        stem = stem[:-1]
    return (stem or "_") + tail + suffix


def _disc_names(chosen: Sequence[Candidate]) -> list[str]:
    """File names on the disc: short enough for Joliet, unique (a second ``现场.mp4`` becomes ``现场-2.mp4``)."""
    names: list[str] = []
    for c in chosen:
        base = safe_name(c.title, 60)
        stem, suffix = Path(base).stem, Path(base).suffix
        name, n = _fit(stem, suffix), 1
        while name in names or name == "光盘文字说明.pdf":
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


# ---------------------------------------------------------------- request


def disc_request(
    *,
    actor: Any,
    case: Case,
    record_refs: Iterable[Any],
    maker: str,
    extractor: str,
    extracted_at: dt.datetime,
    medium: str,
) -> EvidenceDisc:
    """Queue an evidence disc of ``record_refs`` of ``case`` (event ``disc.requested``, on the timeline)."""
    _require_keeper(actor, case)
    maker, extractor = (maker or "").strip(), (extractor or "").strip()
    if not (maker and extractor and extracted_at):
        raise DiscSpecInvalid("文字说明须写明制作人、提取人和提取时间", code="disc_statement_incomplete")
    if timezone.is_naive(extracted_at):
        raise DiscSpecInvalid("提取时间须带时区", code="disc_extracted_at_naive")
    not_in_future(extracted_at, label="提取时间", code="disc_extracted_at_future")
    chosen = resolve_selection(case, record_refs)
    plan = disc_plan_for(chosen, medium)
    if not plan.fits:
        raise DiscTooLarge(
            plan.message,
            medium=medium,
            needed=plan.needed,
            capacity=plan.capacity,
            discs=plan.discs,
            fitting_medium=plan.fitting_medium,
        )
    with transaction.atomic():
        disc = EvidenceDisc.objects.create(
            agency_id=case.agency_id,
            case=case,
            selection=[{"type": c.type, "id": str(c.id)} for c in chosen],
            maker=maker[:120],
            extractor=extractor[:120],
            extracted_at=extracted_at,
            medium=medium,
            label=safe_name(f"LIUHEN{case.pk}", 32).upper(),
            status=DiscStatus.QUEUED,
            phase="排队等待制作",
            requested_by=actor,
            requested_at=timezone.now(),
            files_total=len(chosen),
            bytes_total=plan.selected_bytes,
        )
        timeline_record(
            case,
            actor=actor,
            action="disc.requested",
            summary=f"申请刻制证据光盘（{plan.medium_label}，{len(chosen)} 个文件，制作人 {maker}，提取人 {extractor}）",
            obj=("evidence_disc", disc.pk),
            payload={
                "disc_id": disc.pk,
                "medium": medium,
                "maker": maker,
                "extractor": extractor,
                "extracted_at": extracted_at.isoformat(),
                "files": [{"ref": c.ref, "sha256": c.sha256, "size": c.size} for c in chosen],
            },
        )
        transaction.on_commit(lambda: _enqueue_build(disc.pk), robust=True)
    return disc


def _enqueue_build(disc_id: int) -> None:
    from liuhen.archive.discs_tasks import disc_build_task

    disc_build_task.enqueue(disc_id=disc_id)


# ---------------------------------------------------------------- build (in the worker)


def disc_dir() -> Path:
    return Path(settings.DATA_DIR) / "discs"


def _proofs_for(sha256s: Sequence[str]) -> tuple[dict[str, dict[str, Any]], str, str]:
    """One checkpoint and, for each blob, the inclusion proof of the ``blob.stored`` event naming it.

    Built here rather than through ``proof_bundle_export`` because every proof on one disc must lead
    to the same checkpoint, and exporting for a disc is the records keeper's act (``disc.built``).
    """
    from liuhen.ledger import signing
    from liuhen.ledger.cosigning import checkpoint_for_proof, cosigned_note
    from liuhen.ledger.models import Event
    from liuhen.ledger.proofs import proof_bundle

    events = {}
    for sha in sha256s:
        event = Event.objects.filter(action="blob.stored", object_id=sha).order_by("seq").first()
        if event is None:
            raise DiscSpecInvalid(f"账本中没有存入文件 {sha[:12]}… 的事件，无法附上存在性证明", code="proof_missing")
        events[sha] = event
    # The newest checkpoint the witnesses' quorum co-signed when it covers every file (ADR 0013).
    cp = checkpoint_for_proof(min_size=max((e.seq for e in events.values()), default=0) + 1)
    note = cosigned_note(cp)  # once: every proof on the disc carries the same checkpoint text
    vkey = signing.deployment_verifier().vkey
    proofs = {sha: proof_bundle(event, cp, note=note) for sha, event in events.items()}
    return proofs, note, vkey


class _Progress:
    """Counts bytes read from the originals while the image is written; writes the row twice a second."""

    def __init__(self, disc: EvidenceDisc, sizes: Sequence[int]) -> None:
        self.disc_id = disc.pk
        self.total = sum(sizes) or 1
        self.done = 0
        self.files = 0
        self.last = 0.0

    def add(self, n: int, finished: bool) -> None:
        self.done += n
        self.files += int(finished)
        if finished or time.monotonic() - self.last >= PROGRESS_EVERY:
            self.flush()

    def flush(self, *, phase: str = "写入光盘镜像", pct: int | None = None) -> None:
        self.last = time.monotonic()
        EvidenceDisc.objects.filter(pk=self.disc_id).update(
            bytes_done=self.done,
            files_done=self.files,
            phase=phase,
            progress=pct if pct is not None else min(85, self.done * 85 // self.total),
        )


class _Counting(io.RawIOBase):
    """A read-only file that reports what pycdlib reads from it."""

    def __init__(self, fp: IO[bytes], size: int, progress: _Progress) -> None:
        self.fp, self.size, self.progress, self.read_bytes = fp, size, progress, 0
        self.finished = size == 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.fp.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.fp.seek(offset, whence)

    def tell(self) -> int:
        return self.fp.tell()

    def read(self, n: int = -1) -> bytes:
        data = self.fp.read(n)
        self.read_bytes += len(data)
        newly = not self.finished and self.read_bytes >= self.size
        self.finished = self.finished or newly
        self.progress.add(len(data), newly)
        return data

    def close(self) -> None:
        self.fp.close()
        super().close()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(disc_lib.IO_BLOCK):
            digest.update(chunk)
    return digest.hexdigest()


def _statement_from_image(image: Path) -> bytes:
    import pycdlib

    iso = pycdlib.PyCdlib()
    iso.open(str(image))
    try:
        out = io.BytesIO()
        iso.get_file_from_iso_fp(out, joliet_path="/" + STATEMENT_PATH)
        return out.getvalue()
    finally:
        iso.close()


def disc_build(*, disc_id: int) -> EvidenceDisc:
    """Build, read back and keep the image of a queued disc; ``verified`` only after the read-back."""
    with transaction.atomic():
        disc = EvidenceDisc.objects.select_for_update().select_related("case", "agency", "requested_by").get(pk=disc_id)
        if disc.status != DiscStatus.QUEUED:
            return disc
        disc.status, disc.phase, disc.progress = DiscStatus.BUILDING, "准备文件与账本证明", 1
        disc.save(update_fields=["status", "phase", "progress"])
    case = disc.case
    folder = disc_dir() / str(disc.agency_id) / str(case.pk)
    dest = folder / f"disc-{disc.pk}.iso"
    try:
        chosen = resolve_selection(case, disc.selection)
        names = _disc_names(chosen)
        proofs, checkpoint, vkey = _proofs_for([c.sha256 for c in chosen])
        progress = _Progress(disc, [c.size for c in chosen])
        files = []
        for c, name in zip(chosen, names, strict=True):
            src = c.source()
            counted = SourceFile(
                open=lambda src=src: _Counting(src.open(), src.size, progress),
                sha256=src.sha256,
                sm3=src.sm3,
                size=src.size,
                suffix=src.suffix,
            )
            files.append(
                disc_lib.DiscFile(record_id=c.ref, name=name, file=counted, proof=proofs[c.sha256], duration=c.duration)
            )
        spec = disc_lib.DiscSpec(
            agency_name=disc.agency.name,
            case_no=case.number,
            case_name=case.title,
            maker=disc.maker,
            extractor=disc.extractor,
            extracted_at=disc.extracted_at,
            made_at=timezone.now(),
            files=files,
            checkpoint=checkpoint,
            vkey=vkey,
            medium=disc.medium,
            volume_label=disc.label or "LIUHEN",
        )
        folder.mkdir(parents=True, exist_ok=True)
        progress.flush(phase="写入光盘镜像", pct=2)
        result = disc_lib.build_disc(spec, dest)  # raises unless every file read back verifies
        progress.flush(phase="计算镜像摘要", pct=95)
        image_sha = _sha256_file(result.path)
        statement = _statement_from_image(result.path)
    except Exception as exc:  # any failure is the disc's outcome, recorded and shown
        return _build_failed(disc, exc)
    return _build_done(disc, result, image_sha, statement, chosen)


def _build_done(
    disc: EvidenceDisc, result: disc_lib.DiscResult, image_sha: str, statement: bytes, chosen: Sequence[Candidate]
) -> EvidenceDisc:
    from liuhen.ledger.blobstore.services import blob_put

    blob = blob_put(actor=disc.requested_by, stream=statement, agency_id=disc.agency_id)
    if blob.sha256 != result.digests[STATEMENT_PATH]:
        return _build_failed(disc, DiscReadbackFailed("文字说明与光盘镜像中的不一致", files=[STATEMENT_PATH]))
    now = timezone.now()
    with transaction.atomic():
        disc = EvidenceDisc.objects.select_for_update().get(pk=disc.pk)
        disc.image_path = str(result.path.relative_to(Path(settings.DATA_DIR)))
        disc.image_sha256 = image_sha
        disc.image_size = result.size
        disc.statement_sha256 = blob.sha256
        disc.digests = dict(result.digests)
        disc.verification = {"ok": True, "files": len(result.digests), "problems": [], "how": "build_readback"}
        disc.verified_at = now
        disc.built_at = now
        disc.files_done, disc.bytes_done = disc.files_total, disc.bytes_total
        disc.status, disc.phase, disc.progress, disc.error = DiscStatus.VERIFIED, "已回读校验", 100, ""
        disc.save()
        timeline_record(
            disc.case,
            actor=disc.requested_by,
            action="disc.built",
            summary=f"制作证据光盘并回读校验通过（{len(chosen)} 个文件，镜像 {result.size / 1000**2:,.1f} MB）",
            obj=("evidence_disc", disc.pk),
            payload={
                "disc_id": disc.pk,
                "medium": disc.medium,
                "image_sha256": image_sha,
                "image_size": result.size,
                "statement_sha256": blob.sha256,
                "maker": disc.maker,
                "extractor": disc.extractor,
                "extracted_at": disc.extracted_at.isoformat(),
                "files": [{"ref": c.ref, "sha256": c.sha256, "size": c.size} for c in chosen],
            },
        )
    return disc


def _build_failed(disc: EvidenceDisc, exc: BaseException) -> EvidenceDisc:
    message = getattr(exc, "message", "") or f"制作失败：{exc.__class__.__name__}: {exc}"
    code = getattr(exc, "code", "disc_build_failed")
    with transaction.atomic():
        disc = EvidenceDisc.objects.select_for_update().get(pk=disc.pk)
        disc.status, disc.phase, disc.error = DiscStatus.FAILED, "制作失败", message[:2000]
        disc.save(update_fields=["status", "phase", "error"])
        timeline_record(
            disc.case,
            actor=disc.requested_by,
            action="disc.failed",
            summary=f"证据光盘制作失败：{message[:200]}",
            obj=("evidence_disc", disc.pk),
            payload={"disc_id": disc.pk, "code": code, "message": message[:500]},
        )
    return disc


# ---------------------------------------------------------------- re-verify


@dataclass(frozen=True)
class DiscCheck:
    ok: bool
    problems: list[str]


def image_path(disc: EvidenceDisc) -> Path:
    return Path(settings.DATA_DIR) / disc.image_path


def disc_verify(*, disc_id: int, actor: Any = None) -> DiscCheck:
    """Re-read a stored image: its SHA-256 and every file inside; a disc that fails is withdrawn."""
    disc = EvidenceDisc.objects.select_related("case").get(pk=disc_id)
    if not disc.image_path or not disc.digests:
        raise DiscNotReady("该光盘没有已制作的镜像可供校验", code="disc_no_image")
    path = image_path(disc)
    problems: list[str] = []
    if not path.exists():
        problems.append("镜像文件不存在")
    else:
        if _sha256_file(path) != disc.image_sha256:
            problems.append("镜像文件的 SHA-256 与制作时记录的不符")
        try:
            disc_lib.disc_readback(path, disc.digests)
        except DiscReadbackFailed as exc:
            problems.extend(f"{f} 与应有内容不符" for f in exc.detail.get("files", []))
        except Exception as exc:  # an image pycdlib cannot open is a finding too
            problems.append(f"镜像无法读取：{exc}")
    ok = not problems
    with transaction.atomic():
        disc = EvidenceDisc.objects.select_for_update().get(pk=disc_id)
        disc.verified_at = timezone.now()
        disc.verification = {"ok": ok, "files": len(disc.digests), "problems": problems, "how": "reverify"}
        fields = ["verified_at", "verification"]
        if not ok and disc.status == DiscStatus.VERIFIED:
            disc.status, disc.phase, disc.error = DiscStatus.FAILED, "复核未通过", "；".join(problems)[:2000]
            fields += ["status", "phase", "error"]
        disc.save(update_fields=fields)
        payload = {"disc_id": disc.pk, "ok": ok, "problems": problems[:50], "image_sha256": disc.image_sha256}
        summary = "复核证据光盘镜像：" + ("通过" if ok else "未通过，已停止提供下载：" + "；".join(problems)[:200])
        if getattr(actor, "pk", None) is not None:
            timeline_record(
                disc.case,
                actor=actor,
                action="disc.reverified",
                summary=summary,
                obj=("evidence_disc", disc.pk),
                payload=payload,
            )
        else:  # a scheduled or command-line check: in the ledger, named by what ran it
            record(
                actor=actor,
                action="disc.reverified",
                obj_type="evidence_disc",
                obj_id=disc.pk,
                payload={"case_id": disc.case_id, **payload},
                agency_id=disc.agency_id,
            )
    return DiscCheck(ok=ok, problems=problems)


# ---------------------------------------------------------------- reads and downloads


def discs_visible(user: Any) -> QuerySet[EvidenceDisc]:
    """Discs of the cases ``user`` sees."""
    from liuhen.cases.selectors import cases_visible

    return EvidenceDisc.objects.filter(case__in=cases_visible(user)).select_related("case", "requested_by")


def disc_get(*, user: Any, disc_id: int) -> EvidenceDisc:
    """As its case: another agency's is not found; refused (403) to a role that never sees cases."""
    disc = discs_visible(user).filter(pk=disc_id).first()
    if disc is None:
        if EvidenceDisc.objects.filter(pk=disc_id, case__agency_id=getattr(user, "agency_id", None)).exists():
            require_case_reader(user)
        raise DiscNotFound()
    return disc


def discs_of_case(*, user: Any, case: Case) -> QuerySet[EvidenceDisc]:
    return discs_visible(user).filter(case=case).order_by("-requested_at", "-id")


def disc_image_open(*, actor: Any, disc: EvidenceDisc, byte_range: str = "") -> Path:
    """The verified image's path for a download by the agency's records keeper (event ``disc.downloaded``)."""
    if not is_records_keeper(actor, disc.agency_id):
        raise DiscNotAllowed("只有本机关的档案管理员可以下载证据光盘镜像", code="disc_download_refused")
    if disc.status != DiscStatus.VERIFIED:
        raise DiscNotReady()
    with transaction.atomic():
        timeline_record(
            disc.case,
            actor=actor,
            action="disc.downloaded",
            summary=f"下载证据光盘镜像 #{disc.pk}",
            obj=("evidence_disc", disc.pk),
            payload={"disc_id": disc.pk, "image_sha256": disc.image_sha256, "range": byte_range[:100]},
        )
    return image_path(disc)


def disc_statement_open(*, actor: Any, disc: EvidenceDisc) -> str:
    """The statement PDF's blob for anyone who sees the case (event ``disc.statement_downloaded``)."""
    if not disc.statement_sha256:
        raise DiscNotReady("文字说明尚未生成", code="disc_no_statement")
    with transaction.atomic():
        timeline_record(
            disc.case,
            actor=actor,
            action="disc.statement_downloaded",
            summary=f"下载证据光盘 #{disc.pk} 的文字说明",
            obj=("evidence_disc", disc.pk),
            payload={"disc_id": disc.pk, "statement_sha256": disc.statement_sha256},
        )
    return disc.statement_sha256


# ---------------------------------------------------------------- for the case file (CASEFILES)


@dataclass(frozen=True)
class DiscStatement:
    """A verified disc's written statement, to be listed in the case file (kind ``statement``)."""

    disc_id: int
    title: str
    sha256: str  # the statement PDF in the blob store (its ``blob.stored`` event names it)
    sm3: str
    size: int
    made_at: dt.datetime
    maker: str
    extractor: str
    extracted_at: dt.datetime
    image_sha256: str


def disc_statements(case: Case) -> list[DiscStatement]:
    """The statements of the case's verified discs, oldest first (no permission filter: assembly's input)."""
    from liuhen.ledger.blobstore.models import Blob

    out = []
    qs = EvidenceDisc.objects.filter(case=case, status=DiscStatus.VERIFIED).exclude(statement_sha256="")
    for disc in qs.order_by("built_at", "id"):
        blob = Blob.objects.get(pk=disc.statement_sha256)
        out.append(
            DiscStatement(
                disc_id=disc.pk,
                title=f"证据光盘文字说明（光盘 #{disc.pk}，{disc.get_medium_display()}）",
                sha256=blob.sha256,
                sm3=blob.sm3,
                size=blob.size,
                made_at=disc.built_at or disc.requested_at,
                maker=disc.maker,
                extractor=disc.extractor,
                extracted_at=disc.extracted_at,
                image_sha256=disc.image_sha256,
            )
        )
    return out
