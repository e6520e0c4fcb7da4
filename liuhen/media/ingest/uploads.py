"""tus uploads in flight (断点续传): creation, status, appending bytes, finishing, termination, expiry.

An upload in flight is a temporary file under ``LIUHEN_UPLOAD_DIR`` whose size is the truth about how
many bytes arrived (the row's ``offset`` follows it); one writer at a time holds an exclusive ``flock``
on it, so the station and a retried request can never interleave bytes. The last byte turns it into a
record through ``originals.av_record_ingest``. Who may create or continue an upload, and whose upload is
whose, is the uploads policy's (``liuhen.media.policies.upload_policy``).
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import logging
import os
import secrets
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from liuhen.ledger.services import record
from liuhen.media.errors import UploadBusy, UploadGone, UploadInvalid, UploadOffsetMismatch, UploadTooLarge
from liuhen.media.ingest import rules
from liuhen.media.ingest.originals import av_record_ingest, target_resolve
from liuhen.media.ingest.storage import WRITE_CHUNK, upload_dir, upload_expiry, upload_max_bytes
from liuhen.media.models import MediaRecord, Source, Upload, UploadStatus
from liuhen.media.policies import upload_policy

log = logging.getLogger(__name__)

TUS_SOURCES = {Source.TUS.value, Source.STATION.value, Source.SURVEILLANCE.value}


def temp_path(upload: Upload) -> Path:
    # temp_name is generated here, never taken from a client; the check is a second lock on the door.
    name = upload.temp_name
    if not name or "/" in name or name.startswith("."):
        raise UploadInvalid("上传临时文件名无效", code="upload_temp_invalid")
    return upload_dir() / name


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# --------------------------------------------------------------------------- tus uploads


def upload_create(*, actor: Any, length: int, metadata_header: str = "") -> Upload:
    """A new upload resource for ``length`` bytes (tus creation); case and stage checked now, not at the end."""
    upload_policy.require(actor, "create")
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


def upload_status(*, actor: Any, upload_id: str) -> Upload:
    """The upload with ``offset`` as the bytes really on disk (HEAD); finished uploads report their length."""
    upload = upload_policy.get(actor, upload_id, action="resume")
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
    upload = upload_policy.get(actor, upload_id, action="resume")
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
    upload = upload_policy.get(actor, upload_id, action="resume")
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


@task()
def uploads_expire_task() -> int:
    return uploads_expire()
