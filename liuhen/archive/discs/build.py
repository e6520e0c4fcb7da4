"""An evidence disc built in the worker: written, read back, verified, kept (clause arch-av-evidence-disc).

``disc_build`` writes the image with ``liuhen.archive.bagit.disc_image`` under
``DATA_DIR/discs/<agency>/<case>/``, reads it back and compares every file before the status becomes
``verified`` — only then is it offered. The image stays a file with its SHA-256 recorded (multi-GB
images do not belong in the blob store twice); the written statement (PDF) goes into the blob store,
to be filed with the case file (``selectors.disc_statements``). Progress is written on the row twice
a second for the page to poll. Any failure is the disc's outcome, recorded on the timeline and shown.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pycdlib
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from liuhen.archive.bagit import disc_image as disc_lib
from liuhen.archive.bagit.errors import DiscReadbackFailed, DiscSpecInvalid
from liuhen.archive.bagit.spec import SourceFile
from liuhen.archive.discs.selection import STATEMENT_NAME, Candidate, disc_names, resolve_selection
from liuhen.archive.models import DiscStatus, EvidenceDisc
from liuhen.cases import services as case_services
from liuhen.ledger import signing
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.cosigning import checkpoint_for_proof, cosigned_note
from liuhen.ledger.models import Event
from liuhen.ledger.proofs import proof_bundle

STATEMENT_PATH = f"data/{STATEMENT_NAME}"
PROGRESS_EVERY = 0.5  # seconds between progress writes while building


def disc_dir() -> Path:
    return Path(settings.DATA_DIR) / "discs"


def disc_proofs(sha256s: Sequence[str]) -> tuple[dict[str, dict[str, Any]], str, str]:
    """One checkpoint and, for each blob, the inclusion proof of the ``blob.stored`` event naming it.

    Built here rather than through ``proof_bundle_export`` because every proof on one disc must lead
    to the same checkpoint, and exporting for a disc is the records keeper's act (``disc.built``).
    """
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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(disc_lib.IO_BLOCK):
            digest.update(chunk)
    return digest.hexdigest()


def _statement_from_image(image: Path) -> bytes:
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
        names = disc_names(chosen)
        proofs, checkpoint, vkey = disc_proofs([c.sha256 for c in chosen])
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
        image_sha = sha256_file(result.path)
        statement = _statement_from_image(result.path)
    except Exception as exc:  # any failure is the disc's outcome, recorded and shown
        return _build_failed(disc, exc)
    return _build_done(disc, result, image_sha, statement, chosen)


def _build_done(
    disc: EvidenceDisc, result: disc_lib.DiscResult, image_sha: str, statement: bytes, chosen: Sequence[Candidate]
) -> EvidenceDisc:
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
        case_services.timeline_record(
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
        case_services.timeline_record(
            disc.case,
            actor=disc.requested_by,
            action="disc.failed",
            summary=f"证据光盘制作失败：{message[:200]}",
            obj=("evidence_disc", disc.pk),
            payload={"disc_id": disc.pk, "code": code, "message": message[:500]},
        )
    return disc


def image_path(disc: EvidenceDisc) -> Path:
    return Path(settings.DATA_DIR) / disc.image_path


@task()
def disc_build_task(*, disc_id: int) -> str:
    """``disc_build`` in the worker (a thin wrapper, beside its service: ADR 0016)."""
    return disc_build(disc_id=disc_id).status
