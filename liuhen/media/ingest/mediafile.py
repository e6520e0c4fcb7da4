"""Reading an original's technical facts with PyAV (bundled FFmpeg) and Pillow; never changing it.

A file the prober cannot read is a finding, not an error: an MP4 whose boxes run past the end of the
file is ``truncated`` (the camera lost power mid-recording), anything else unreadable is
``unreadable``. The original stays as received either way (clause integ-no-tamper-original).
"""

from __future__ import annotations

import datetime as dt
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from liuhen.core.time import BEIJING
from liuhen.media.models import Flag, Kind

PROBER = f"pyav-{av.__version__}"
_IMAGE_CODECS = {"mjpeg", "png", "bmp", "tiff", "webp", "gif", "heif", "jpeg2000"}
_ISO_BMFF_FIRST = {b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide"}


@dataclass
class ProbeResult:
    readable: bool = False
    kind: str = Kind.UNKNOWN.value
    container: str = ""
    video_codec: str = ""
    audio_codec: str = ""
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    media_created_at: dt.datetime | None = None
    media_device_serial: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    error: str = ""


def iso_bmff_truncated(path: Path | str) -> bool | None:
    """For an MP4/MOV-style file: True when a top-level box claims more bytes than the file holds.

    None when the file does not look like ISO base media (so the answer means nothing).
    """
    size = os.path.getsize(path)
    pos = 0
    with open(path, "rb") as fh:
        first = True
        while pos < size:
            fh.seek(pos)
            header = fh.read(16)
            if len(header) < 8:
                return True
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if first and box_type not in _ISO_BMFF_FIRST:
                return None
            first = False
            if box_size == 1:
                if len(header) < 16:
                    return True
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:  # runs to the end of the file
                return False
            if box_size < 8:
                return True
            pos += box_size
    return pos > size


_CONTAINERS = {b"moov", b"trak", b"edts"}


def iso_bmff_edits(path: Path | str, *, limit: int = 64 * 1024 * 1024) -> list[int]:
    """For each ``elst`` (edit list) box in an MP4/MOV: how many edits that are not empty (media_time
    != -1). A camera writes at most one per track; more are the trace of cutting or splicing
    (integ-no-backfill-or-insert). Only box headers and the edit lists are read (not the media)."""
    counts: list[int] = []
    size = os.path.getsize(path)

    def walk(fh: Any, start: int, end: int, depth: int) -> None:
        pos = start
        while pos + 8 <= end and depth < 6:
            fh.seek(pos)
            header = fh.read(16)
            if len(header) < 8:
                return
            box_size, box_type = struct.unpack(">I4s", header[:8])
            head = 8
            if box_size == 1 and len(header) == 16:
                box_size, head = struct.unpack(">Q", header[8:16])[0], 16
            elif box_size == 0:
                box_size = end - pos
            if box_size < head or pos + box_size > end:
                return
            if box_type in _CONTAINERS:
                walk(fh, pos + head, pos + box_size, depth + 1)
            elif box_type == b"elst" and box_size <= limit:
                body = fh.read(box_size - head) if head == 16 else header[8:] + fh.read(box_size - 16)
                if len(body) < 8:
                    return
                version = body[0]
                n = struct.unpack(">I", body[4:8])[0]
                entry = 20 if version == 1 else 12
                real = 0
                for k in range(min(n, (len(body) - 8) // entry)):
                    off = 8 + k * entry
                    media_time = (
                        struct.unpack(">q", body[off + 8 : off + 16])[0]
                        if version == 1
                        else struct.unpack(">i", body[off + 4 : off + 8])[0]
                    )
                    real += media_time != -1
                counts.append(real)
            pos += box_size

    with open(path, "rb") as fh:
        walk(fh, 0, size, 0)
    return counts


def _parse_time(value: str) -> dt.datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:  # EXIF "YYYY:MM:DD HH:MM:SS"
            parsed = dt.datetime.strptime(value[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            return None
        return parsed.replace(tzinfo=BEIJING)  # EXIF has no zone: camera's local time
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # FFmpeg's creation_time is UTC
    return parsed


def _serial_from(tags: dict[str, str]) -> str:
    for key, value in tags.items():
        if "serial" in key.lower() and value.strip():
            return value.strip()[:120]
    return ""


def _exif(path: Path | str, result: ProbeResult) -> None:
    try:
        from PIL import Image

        with Image.open(path) as img:
            exif = img.getexif()
            sub = exif.get_ifd(0x8769)
    except Exception:  # EXIF is a bonus; a photo without it is still a photo
        return
    when = sub.get(36867) or exif.get(306)  # DateTimeOriginal, DateTime
    serial = sub.get(42033) or exif.get(42033)  # BodySerialNumber
    if when:
        result.tags["exif_datetime"] = str(when)
        result.media_created_at = result.media_created_at or _parse_time(str(when))
    if serial:
        result.tags["exif_body_serial"] = str(serial)
        result.media_device_serial = result.media_device_serial or str(serial).strip()[:120]


def probe_file(path: Path | str) -> ProbeResult:
    """What PyAV can tell about the file at ``path`` (read only)."""
    result = ProbeResult()
    if os.path.getsize(path) == 0:
        result.flags.append(Flag.EMPTY.value)
        result.error = "空文件"
        return result
    truncated = iso_bmff_truncated(path)
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            result.container = container.format.name[:120]
            tags = {str(k): str(v)[:500] for k, v in (container.metadata or {}).items()}
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            if video is not None:
                result.video_codec = video.codec_context.name
                result.width = video.codec_context.width or None
                result.height = video.codec_context.height or None
                if video.average_rate:
                    result.frame_rate = round(float(video.average_rate), 3)
                tags.update({f"video:{k}": str(v)[:500] for k, v in (video.metadata or {}).items()})
            if audio is not None:
                result.audio_codec = audio.codec_context.name
                tags.update({f"audio:{k}": str(v)[:500] for k, v in (audio.metadata or {}).items()})
            if container.duration is not None:
                result.duration = round(container.duration / av.time_base, 3)
            elif video is not None and video.duration is not None and video.time_base:
                result.duration = round(float(video.duration * video.time_base), 3)
            if video is not None and (video.codec_context.name in _IMAGE_CODECS) and (result.duration or 0) < 0.1:
                result.kind = Kind.PHOTO.value
            elif video is not None:
                result.kind = Kind.VIDEO.value
            elif audio is not None:
                result.kind = Kind.AUDIO.value
            else:
                result.kind = Kind.OTHER.value
            result.tags = tags
            result.media_created_at = _parse_time(
                tags.get("creation_time") or tags.get("video:creation_time") or tags.get("audio:creation_time") or ""
            )
            result.media_device_serial = _serial_from(tags)
            if video is None and audio is None:
                result.flags.append(Flag.UNREADABLE.value)
                result.error = "文件中没有音视频流"
            else:
                result.readable = True
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        # FFmpeg's message names the file's path on this server: keep the reason only.
        result.error = (getattr(exc, "strerror", None) or type(exc).__name__)[:1000]
        result.flags.append(Flag.TRUNCATED.value if truncated else Flag.UNREADABLE.value)
        return result
    if result.kind == Kind.PHOTO.value:
        result.frame_rate = None
        _exif(path, result)
    if result.media_created_at is not None:
        result.media_created_at = result.media_created_at.astimezone(dt.UTC)
    if truncated and Flag.TRUNCATED.value not in result.flags:
        result.flags.append(Flag.TRUNCATED.value)
    if truncated is not None and any(n > 1 for n in iso_bmff_edits(path)):
        result.flags.append(Flag.EDITED.value)
    return result


def as_fields(result: ProbeResult) -> dict[str, Any]:
    return {k: getattr(result, k) for k in ProbeResult.__dataclass_fields__}
