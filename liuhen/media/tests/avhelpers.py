"""Helpers of the continuity tests: ingest a generated recording, probe it, return it fresh."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from liuhen.media.ingest import originals, processing
from liuhen.media.models import MediaRecord
from liuhen.media.tests import mediafiles

UTC = dt.UTC


def iso(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def clip(
    staff: Any,
    folder: Path,
    name: str,
    *,
    start: dt.datetime,
    seconds: float = 2,
    serial: str = "CAM-001",
    case: Any = None,
    stage_id: str = "",
    source: str = "multipart",
    actor: Any = None,
) -> MediaRecord:
    """A real H.264 MP4 made at ``start`` (the media's creation time), ingested and probed."""
    path = mediafiles.make_mp4(folder / name, seconds=seconds, creation_time=iso(start), audio=False)
    with path.open("rb") as fh:
        rec = originals.av_record_ingest(
            actor=actor or staff.officer,
            stream=fh,
            filename=name,
            content_type="video/mp4",
            source=source,
            target=originals.Target(case=case, stage_id=stage_id),
            device_serial=serial,
        )
    processing.av_record_probe(record_id=rec.pk)
    return MediaRecord.objects.select_related("probe").get(pk=rec.pk)


def empty(staff: Any, *, case: Any = None, stage_id: str = "", name: str = "empty.mp4") -> MediaRecord:
    import io

    rec = originals.av_record_ingest(
        actor=staff.officer,
        stream=io.BytesIO(b""),
        filename=name,
        content_type="video/mp4",
        target=originals.Target(case=case, stage_id=stage_id),
    )
    processing.av_record_probe(record_id=rec.pk)
    return MediaRecord.objects.select_related("probe").get(pk=rec.pk)
