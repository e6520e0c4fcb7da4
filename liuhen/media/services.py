"""Ingest of audio-video records: uploads (tus and multipart), probing, docking reports, expiry.

Clauses integ-no-tamper-original, integ-audit-trail-traceability. Every original is stored as
received — empty, truncated, unreadable or a second copy of something already stored — and flagged,
never refused for what it contains nor repaired. ``av_record_ingest`` is the one way in: the bytes go
to the blob store first, then the record and its ledger event commit together (a crash in between
leaves a stored blob the next ingest of the same content adopts, never a record without its bytes).

An upload in flight is a temporary file under ``LIUHEN_UPLOAD_DIR`` whose size is the truth about
how many bytes arrived (the row's ``offset`` follows it); one writer at a time holds an exclusive
``flock`` on it, so the station and a retried request can never interleave bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import logging
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from liuhen.core.errors import NotFound, PermissionDenied, ValidationFailed
from liuhen.core.hooks import record_stored
from liuhen.core.inputs import parse_id
from liuhen.ledger.blobstore.backends import Stream, get_store
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.services import record
from liuhen.media import rules
from liuhen.media.errors import (
    UploadBusy,
    UploadGone,
    UploadInvalid,
    UploadNotFound,
    UploadOffsetMismatch,
    UploadTooLarge,
)
from liuhen.media.models import (
    DockingReport,
    Flag,
    MediaProbe,
    MediaRecord,
    Source,
    Upload,
    UploadStatus,
)
from liuhen.org.rules import P_CASES_WORK, has_permission

log = logging.getLogger(__name__)

WRITE_CHUNK = 1024 * 1024
TUS_SOURCES = {Source.TUS.value, Source.STATION.value, Source.SURVEILLANCE.value}


# --------------------------------------------------------------------------- helpers


def upload_dir() -> Path:
    configured = getattr(settings, "LIUHEN_UPLOAD_DIR", "")
    path = Path(configured) if configured else Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_expiry() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "LIUHEN_UPLOAD_EXPIRY_HOURS", 24)))


def upload_max_bytes() -> int:
    return int(getattr(settings, "LIUHEN_UPLOAD_MAX_BYTES", 64 * 1024**3))


def multipart_max_bytes() -> int:
    return int(getattr(settings, "LIUHEN_MULTIPART_MAX_BYTES", 50 * 1024**2))


def temp_path(upload: Upload) -> Path:
    # temp_name is generated here, never taken from a client; the check is a second lock on the door.
    name = upload.temp_name
    if not name or "/" in name or name.startswith("."):
        raise UploadInvalid("上传临时文件名无效", code="upload_temp_invalid")
    return upload_dir() / name


def _require_uploader(actor: Any) -> None:
    if actor is None or not getattr(actor, "agency_id", None) or not has_permission(actor, P_CASES_WORK):
        raise PermissionDenied("无权上传音像记录", code="av_upload_forbidden")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


@dataclass(frozen=True)
class Target:
    """The case and stage an upload is for (both optional)."""

    case: Any = None
    stage_id: str = ""


def target_resolve(*, actor: Any, case_ref: str = "", stage_id: str = "") -> Target:
    """The actor's agency's case named by id or number, and a stage of its profile; precise errors."""
    case_ref, stage_id = (case_ref or "").strip(), (stage_id or "").strip()
    if not case_ref:
        if stage_id:
            raise ValidationFailed("指定了环节但没有指定案件", code="av_stage_without_case")
        return Target()
    from liuhen.cases.selectors import cases_visible

    cases = cases_visible(actor)
    pk = parse_id(case_ref)
    case = cases.filter(pk=pk).first() if pk is not None else None
    case = case or cases.filter(number=case_ref).first()
    if case is None:
        raise NotFound("案件不存在或无权查看", code="case_not_found")
    if stage_id:
        from liuhen.cases.services import profile_of

        if profile_of(case).stage(case.enforcement_type, stage_id) is None:
            raise ValidationFailed(f"案件的执法规则中没有环节 {stage_id}", code="av_stage_unknown")
    return Target(case=case, stage_id=stage_id)


def _device_registered(agency: Any, serial: str) -> bool | None:
    """Whether the devices registry knows ``serial``; None while there is no registry to ask."""
    try:
        from liuhen.devices.selectors import device_by_serial  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        return device_by_serial(agency, serial) is not None
    except NotFound:
        return False


# --------------------------------------------------------------------------- ingest


def av_record_ingest(
    *,
    actor: Any,
    stream: Stream,
    filename: bytes | str,
    content_type: str = "",
    source: str = Source.MULTIPART.value,
    target: Target | None = None,
    station: str = "",
    device_serial: str = "",
    recorded_start: dt.datetime | None = None,
    recorded_end: dt.datetime | None = None,
    upload: Upload | None = None,
) -> MediaRecord:
    """Store one original and record it (event ``av_record.ingested``); flags what is wrong with it."""
    _require_uploader(actor)
    target = target or Target()
    if target.case is not None and target.case.agency_id != actor.agency_id:
        raise NotFound("案件不存在或无权查看", code="case_not_found")
    if source not in Source.values:
        raise ValidationFailed(f"未知的来源 {source}", code="av_source_unknown")
    raw_name = filename if isinstance(filename, bytes) else filename.encode("utf-8", errors="surrogateescape")
    display, flags = rules.filename_clean(raw_name)
    content_type = rules.text_of(content_type.encode() if isinstance(content_type, str) else content_type)[:120]
    device_serial = rules.text_of(device_serial.encode())[:120]
    station = rules.text_of(station.encode())[:120]

    blob = blob_put(actor=actor, stream=stream, agency_id=actor.agency_id)

    with transaction.atomic():
        if upload is not None:
            upload = Upload.objects.select_for_update().get(pk=upload.pk)
            if upload.record_id is not None:  # finished by an earlier attempt
                return upload.record
        if blob.size == 0:
            flags.append(Flag.EMPTY.value)
        if recorded_start and recorded_end and recorded_end < recorded_start:
            flags.append(Flag.TIMES_INVERTED.value)
        if device_serial and _device_registered(actor.agency, device_serial) is False:
            flags.append(Flag.UNREGISTERED_DEVICE.value)
        first = MediaRecord.objects.filter(agency_id=actor.agency_id, blob=blob).order_by("id").first()
        if first is not None:
            flags.append(Flag.DUPLICATE.value)
        now = timezone.now()
        rec = MediaRecord(
            agency_id=actor.agency_id,
            blob=blob,
            sm3=blob.sm3,
            size=blob.size,
            content_type=content_type,
            kind=rules.kind_guess(content_type, display),
            filename=display,
            filename_raw_b64=base64.b64encode(raw_name).decode(),
            uploaded_by=actor,
            uploaded_at=now,
            source=source,
            station=station,
            device_serial=device_serial,
            case=target.case,
            stage_id=target.stage_id,
            recorded_start=recorded_start,
            recorded_end=recorded_end,
            flags=sorted(set(flags)),
            duplicate_of=first,
            upload_id=upload.pk if upload else "",
        )
        rec.save()
        record_stored(obj=rec, actor=actor)  # retention class, same transaction
        payload = {
            "agency_id": rec.agency_id,
            "blob_id": rec.blob_id,
            "sm3": rec.sm3,
            "size": rec.size,
            "uploaded_by_id": rec.uploaded_by_id,
            "uploaded_at": rec.uploaded_at,
            "source": rec.source,
            "duplicate_of_id": rec.duplicate_of_id,
            "filename": rec.filename,
            "content_type": rec.content_type,
            "flags": rec.flags,
            "station": rec.station,
            "device_serial": rec.device_serial,
            "recorded_start": rec.recorded_start,
            "recorded_end": rec.recorded_end,
            "upload_id": rec.upload_id,
        }
        if target.case is not None:
            from liuhen.cases.services import timeline_record

            timeline_record(
                target.case,
                actor=actor,
                action="av_record.ingested",
                summary=f"上传音像记录 {rec.filename}",
                stage_id=target.stage_id,
                obj=("av_record", rec.pk),
                payload=payload,
            )
        else:
            record(
                actor=actor,
                action="av_record.ingested",
                obj_type="av_record",
                obj_id=rec.pk,
                payload=payload,
                agency_id=rec.agency_id,
            )
        if upload is not None:
            Upload.objects.filter(pk=upload.pk).update(
                status=UploadStatus.FINISHED, finished_at=now, record=rec, offset=upload.length, updated_at=now
            )
        transaction.on_commit(lambda: _enqueue_probe(rec.pk), robust=True)
    return rec


def _enqueue_probe(record_id: int) -> None:
    from liuhen.media.tasks import av_record_probe_task

    av_record_probe_task.enqueue(record_id=record_id)


def av_record_probe(*, record_id: int) -> MediaProbe:
    """Probe the stored original once (event ``av_record.probed``); a second call returns the first result."""
    from liuhen.media.probe import PROBER, as_fields, probe_file

    rec = MediaRecord.objects.select_related("blob").get(pk=record_id)
    existing = MediaProbe.objects.filter(record=rec).first()
    if existing is not None:
        return existing
    store = get_store()
    local = getattr(store, "path", None)
    if local is not None and Path(local(rec.blob_id)).exists():
        result = probe_file(local(rec.blob_id))
    else:  # an object store: probe a temporary copy (PyAV needs to seek)
        with tempfile.NamedTemporaryFile(dir=upload_dir(), prefix=".probe-") as tmp:
            with store.open(rec.blob_id) as src:
                shutil.copyfileobj(src, tmp, WRITE_CHUNK)
            tmp.flush()
            result = probe_file(tmp.name)
    fields = as_fields(result)
    with transaction.atomic():
        existing = MediaProbe.objects.filter(record=rec).first()
        if existing is not None:
            return existing
        probe = MediaProbe(record=rec, probed_at=timezone.now(), prober=PROBER, **fields)
        probe.save()
        record(
            actor="系统",
            action="av_record.probed",
            obj_type="av_probe",
            obj_id=probe.pk,
            payload={"record_id": rec.pk, "prober": PROBER, **fields},
            agency_id=rec.agency_id,
        )
    return probe


# --------------------------------------------------------------------------- tus uploads


def upload_create(*, actor: Any, length: int, metadata_header: str = "") -> Upload:
    """A new upload resource for ``length`` bytes (tus creation); case and stage checked now, not at the end."""
    _require_uploader(actor)
    if length < 0:
        raise UploadInvalid("Upload-Length 必须是非负整数", code="upload_length_invalid")
    if length > upload_max_bytes():
        raise UploadTooLarge(f"文件超过允许的大小（{upload_max_bytes()} 字节）", max=upload_max_bytes())
    if not metadata_header.isascii():
        raise UploadInvalid("Upload-Metadata 只能包含 ASCII 字符（值为 Base64）", code="upload_metadata_invalid")
    try:
        raw = rules.tus_metadata_parse(metadata_header)
    except ValueError as exc:
        raise UploadInvalid(f"Upload-Metadata 格式错误：{exc}", code="upload_metadata_invalid") from exc
    meta = {k: rules.text_of(v)[:500] for k, v in raw.items()}
    name_raw = raw.get("filename", raw.get("name", b""))
    meta["filename_b64"] = base64.b64encode(name_raw).decode()
    source = meta.get("source") or Source.TUS.value
    if source not in TUS_SOURCES:
        raise UploadInvalid(f"未知的来源 {source}", code="av_source_unknown")
    target_resolve(actor=actor, case_ref=meta.get("case", ""), stage_id=meta.get("stage", ""))
    try:
        for key in ("recorded_start", "recorded_end"):
            rules.datetime_parse(meta.get(key, ""))
    except ValueError as exc:
        raise UploadInvalid(f"录制时间格式错误：{exc}", code="av_time_invalid") from exc
    now = timezone.now()
    upload = Upload(
        id=secrets.token_urlsafe(24),
        agency_id=actor.agency_id,
        user=actor,
        length=length,
        metadata=meta,
        metadata_raw=metadata_header,
        temp_name=f"{secrets.token_hex(16)}.part",
        source=source,
        created_at=now,
        updated_at=now,
        expires_at=now + upload_expiry(),
    )
    with open(upload_dir() / upload.temp_name, "xb"):
        pass
    try:
        with transaction.atomic():
            upload.save(force_insert=True)
            record(
                actor=actor,
                action="upload.started",
                obj_type="upload",
                obj_id=upload.pk,
                payload={"length": length, "filename": rules.filename_clean(name_raw)[0], "source": source},
            )
    except BaseException:
        (upload_dir() / upload.temp_name).unlink(missing_ok=True)
        raise
    if length == 0:  # nothing to wait for: an empty original is still an original
        upload_finish(actor=actor, upload=upload)
        upload.refresh_from_db()
    return upload


def _visible_upload(actor: Any, upload_id: str) -> Upload:
    """An upload is its uploader's alone: another agency's or user's is not found; a role that never
    uploads is refused (403) even for an upload of its own agency."""
    upload = Upload.objects.filter(pk=upload_id, agency_id=getattr(actor, "agency_id", None)).first()
    if upload is not None:
        _require_uploader(actor)
        if upload.user_id != actor.pk:
            upload = None
    if upload is None:
        raise UploadNotFound()
    return upload


def upload_status(*, actor: Any, upload_id: str) -> Upload:
    """The upload with ``offset`` as the bytes really on disk (HEAD); finished uploads report their length."""
    upload = _visible_upload(actor, upload_id)
    if upload.status == UploadStatus.ACTIVE:
        try:
            upload.offset = min(temp_path(upload).stat().st_size, upload.length)
        except FileNotFoundError:
            raise UploadGone("上传的临时文件已不存在", code="upload_temp_missing") from None
    elif upload.status != UploadStatus.FINISHED:
        raise UploadGone()
    return upload


def upload_append(*, actor: Any, upload_id: str, offset: int, body: IO[bytes], content_length: int | None) -> Upload:
    """Append the request body at ``offset`` (tus PATCH); finishes the upload when the last byte arrives.

    Reads at most the bytes still missing, 1 MiB at a time, so memory stays flat. A client that goes
    away mid-body keeps what arrived: the next HEAD reports it.
    """
    upload = _visible_upload(actor, upload_id)
    if upload.status != UploadStatus.ACTIVE:
        raise UploadGone()
    path = temp_path(upload)
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        raise UploadGone("上传的临时文件已不存在", code="upload_temp_missing") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadBusy() from None
        upload.refresh_from_db()
        if upload.status != UploadStatus.ACTIVE:
            raise UploadGone()
        current = os.fstat(fd).st_size
        if offset != current:
            raise UploadOffsetMismatch(offset=current)
        remaining = upload.length - current
        if content_length is not None and content_length > remaining:
            raise UploadTooLarge("本次写入会超过 Upload-Length", code="upload_exceeds_length", remaining=remaining)
        want = remaining if content_length is None else content_length
        os.lseek(fd, current, os.SEEK_SET)
        written = 0
        try:
            while written < want:
                chunk = body.read(min(WRITE_CHUNK, want - written))
                if not chunk:
                    break
                _write_all(fd, chunk)
                written += len(chunk)
        except OSError as exc:  # the client went away mid-body (UnreadablePostError is an OSError)
            log.info("upload %s: body ended early after %s bytes: %s", upload.pk, written, exc)
        now = timezone.now()
        upload.offset = current + written
        upload.updated_at = now
        upload.expires_at = now + upload_expiry()
        Upload.objects.filter(pk=upload.pk).update(offset=upload.offset, updated_at=now, expires_at=upload.expires_at)
        if upload.offset == upload.length:
            _finish_locked(actor=actor, upload=upload)
            upload.refresh_from_db()
    finally:
        os.close(fd)  # releases the lock
    return upload


def upload_finish(*, actor: Any, upload: Upload) -> MediaRecord:
    """Turn a complete upload into its record (also used to retry a finish that failed)."""
    path = temp_path(upload)
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadBusy() from None
        upload.refresh_from_db()
        return _finish_locked(actor=actor, upload=upload)
    finally:
        os.close(fd)


def _finish_locked(*, actor: Any, upload: Upload) -> MediaRecord:
    if upload.record_id is not None:
        return upload.record
    path = temp_path(upload)
    if path.stat().st_size != upload.length:
        raise UploadOffsetMismatch("上传尚未完成", code="upload_incomplete", offset=path.stat().st_size)
    meta = upload.metadata
    target = target_resolve(actor=actor, case_ref=meta.get("case", ""), stage_id=meta.get("stage", ""))
    with open(path, "rb") as fh:
        rec = av_record_ingest(
            actor=actor,
            stream=fh,
            filename=base64.b64decode(meta.get("filename_b64", "")),
            content_type=meta.get("filetype") or meta.get("type") or "",
            source=upload.source,
            target=target,
            station=meta.get("station", ""),
            device_serial=meta.get("device_serial", ""),
            recorded_start=rules.datetime_parse(meta.get("recorded_start", "")),
            recorded_end=rules.datetime_parse(meta.get("recorded_end", "")),
            upload=upload,
        )
    path.unlink(missing_ok=True)
    return rec


def upload_terminate(*, actor: Any, upload_id: str) -> None:
    """tus termination: the temporary bytes go, the row stays as ``terminated``."""
    upload = _visible_upload(actor, upload_id)
    if upload.status != UploadStatus.ACTIVE:
        raise UploadGone()
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        if upload.status != UploadStatus.ACTIVE:
            raise UploadGone()
        now = timezone.now()
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.TERMINATED, finished_at=now, updated_at=now)
        record(
            actor=actor,
            action="upload.terminated",
            obj_type="upload",
            obj_id=upload.pk,
            payload={"offset": upload.offset, "length": upload.length},
        )
    temp_path(upload).unlink(missing_ok=True)


def uploads_expire(*, now: dt.datetime | None = None) -> int:
    """Remove the temporary files of uploads untouched past their expiry and mark them ``expired``.

    Never touches the blob store: a finished upload's bytes are already a blob and its row is not
    active. Stray ``.part`` files no active upload names are removed once older than the expiry too.
    Returns how many uploads expired.
    """
    now = now or timezone.now()
    count = 0
    for upload in Upload.objects.filter(status=UploadStatus.ACTIVE, expires_at__lt=now).order_by("expires_at"):
        with transaction.atomic():
            locked = Upload.objects.select_for_update().get(pk=upload.pk)
            if locked.status != UploadStatus.ACTIVE or locked.expires_at >= now:
                continue
            Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.EXPIRED, finished_at=now)
            record(
                actor="系统",
                action="upload.expired",
                obj_type="upload",
                obj_id=upload.pk,
                payload={"offset": locked.offset, "length": locked.length, "expires_at": locked.expires_at},
                agency_id=locked.agency_id,
            )
        temp_path(upload).unlink(missing_ok=True)
        count += 1
    active = set(Upload.objects.filter(status=UploadStatus.ACTIVE).values_list("temp_name", flat=True))
    cutoff = (now - upload_expiry()).timestamp()
    for stray in upload_dir().glob("*.part"):
        if stray.name not in active and stray.stat().st_mtime < cutoff:
            stray.unlink(missing_ok=True)
    return count


# --------------------------------------------------------------------------- docking


def docking_report_create(
    *,
    actor: Any,
    device_serial: str,
    device_time: dt.datetime,
    station_time: dt.datetime,
    station: str = "",
    time_source: str = "",
) -> DockingReport:
    """Record a device clock read at docking (event ``av_record.docking_reported``)."""
    _require_uploader(actor)
    device_serial = rules.text_of(device_serial.encode())[:120]
    if not device_serial:
        raise ValidationFailed("缺少设备编号", code="device_serial_required")
    if device_time.tzinfo is None or station_time.tzinfo is None:
        raise ValidationFailed("时间必须带时区", code="time_zone_required")
    with transaction.atomic():
        report = DockingReport(
            agency_id=actor.agency_id,
            station=rules.text_of(station.encode())[:120],
            device_serial=device_serial,
            device_time=device_time.astimezone(dt.UTC),
            station_time=station_time.astimezone(dt.UTC),
            drift_seconds=rules.drift_seconds(device_time, station_time),
            time_source=rules.text_of(time_source.encode())[:32],
            reported_by=actor,
            reported_at=timezone.now(),
        )
        report.save()
        record(
            actor=actor,
            action="av_record.docking_reported",
            obj_type="docking_report",
            obj_id=report.pk,
            payload={
                "agency_id": report.agency_id,
                "station": report.station,
                "device_serial": report.device_serial,
                "device_time": report.device_time,
                "station_time": report.station_time,
                "drift_seconds": report.drift_seconds,
                "time_source": report.time_source,
            },
        )
    return report
