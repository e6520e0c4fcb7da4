"""What happens to an original once it is stored: it is probed once, then previews are made from it.

Clauses integ-no-tamper-original, integ-audit-trail-traceability, time-av-upload-2wd. Both run as
background tasks, never in the upload's response, and both only read the original.

- ``av_record_probe`` reads the file's technical facts (``mediafile``) into a write-once ``MediaProbe``
  with event ``av_record.probed``. Once that commits it queues the record's previews (when the file
  could be read) and the check of its upload deadline (its recording time is known now,
  ``liuhen.media.continuity.deadlines``): every way a probe is made (task, command, test) leads there.
- ``av_record_derive`` transcodes the original (``transcode``) into new files, stores each with
  ``blob_put`` and records a write-once ``MediaDerivative`` with event ``av_record.derived`` in one
  transaction. A video gets a 360-line H.264/AAC MP4 and a JPEG thumbnail; audio an AAC M4A; a photo a
  1280 px JPEG and a thumbnail. An original the prober could not read gets nothing (its page says so).

Each task sits beside the service it wraps, so a service can queue the next one without a circle.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from liuhen.core.hooks import record_stored
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.services import record
from liuhen.media.continuity.deadlines import av_upload_late_flag_task
from liuhen.media.ingest import transcode
from liuhen.media.ingest.mediafile import PROBER, as_fields, probe_file
from liuhen.media.ingest.storage import original_path, upload_dir
from liuhen.media.models import DerivativeKind, Kind, MediaDerivative, MediaProbe, MediaRecord

# --------------------------------------------------------------------------- probe


def av_record_probe(*, record_id: int) -> MediaProbe:
    """Probe the stored original once (event ``av_record.probed``); a second call returns the first result.

    On commit: the previews (a readable file) and the upload-deadline check are queued."""
    rec = MediaRecord.objects.select_related("blob").get(pk=record_id)
    existing = MediaProbe.objects.filter(record=rec).first()
    if existing is not None:
        return existing
    with original_path(rec.blob_id, prefix=".probe-") as path:
        result = probe_file(path)
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
        if probe.readable:
            transaction.on_commit(lambda: av_record_derive_task.enqueue(record_id=rec.pk), robust=True)
        transaction.on_commit(lambda: av_upload_late_flag_task.enqueue(record_id=rec.pk), robust=True)
    return probe


@task()
def av_record_probe_task(*, record_id: int) -> int:
    return av_record_probe(record_id=record_id).pk


# --------------------------------------------------------------------------- previews


def _reuse(rec: MediaRecord) -> list[MediaDerivative]:
    """Derivatives already made from the same bytes (a duplicate upload): the same blobs serve again,
    the earliest of each kind (every earlier copy has its own row of each kind)."""
    earliest: dict[str, MediaDerivative] = {}
    rows = MediaDerivative.objects.filter(record__blob_id=rec.blob_id, record__agency_id=rec.agency_id)
    for row in rows.exclude(record=rec).order_by("id"):
        earliest.setdefault(row.kind, row)
    return list(earliest.values())


def _store(rec: MediaRecord, made: list[dict[str, Any]]) -> list[MediaDerivative]:
    """One transaction: the rows and their events (the blobs are already stored)."""
    rows: list[MediaDerivative] = []
    with transaction.atomic():
        # Two runs for one record (a task queued twice) take turns here: the second sees the first's rows.
        MediaRecord.objects.select_for_update().filter(pk=rec.pk).values_list("pk", flat=True).first()
        have = set(MediaDerivative.objects.filter(record=rec).values_list("kind", flat=True))
        now = timezone.now()
        for item in made:
            if item["kind"] in have:
                continue  # one row per record and kind (media_derivative_one_per_kind)
            row = MediaDerivative(record=rec, made_at=now, **item)
            row.save()
            record_stored(obj=row, actor=None)  # retention class, same transaction
            have.add(row.kind)
            record(
                actor="系统",
                action="av_record.derived",
                obj_type="av_derivative",
                obj_id=row.pk,
                payload={
                    "record_id": rec.pk,
                    "kind": row.kind,
                    "blob_id": row.blob_id,
                    "content_type": row.content_type,
                    "size": row.size,
                    "program": row.program,
                },
                agency_id=rec.agency_id,
            )
            rows.append(row)
    return rows


def av_record_derive(*, record_id: int) -> list[MediaDerivative]:
    """Make the record's preview and thumbnail once (event ``av_record.derived`` each); returns all it has.

    Runs the probe first if it has not run. A second call makes nothing new.
    """
    rec = MediaRecord.objects.select_related("blob").get(pk=record_id)
    existing = list(MediaDerivative.objects.filter(record=rec))
    if existing:
        return existing
    probe = av_record_probe(record_id=rec.pk)
    if not probe.readable or rec.size == 0:
        return []
    reused = _reuse(rec)
    if reused:
        fields = ("kind", "blob_id", "content_type", "size", "width", "height", "duration", "program")
        _store(rec, [{f: getattr(d, f) for f in fields} for d in reused])
        return list(MediaDerivative.objects.filter(record=rec))
    kind = probe.kind if probe.kind in Kind.values else rec.kind
    made: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(dir=upload_dir(), prefix=".derive-") as work,
        original_path(rec.blob_id, prefix=".derive-src-") as src,
    ):
        out = Path(work) / ("preview.jpg" if kind == Kind.PHOTO else "preview.mp4")
        try:
            if kind == Kind.PHOTO:
                result = transcode.photo_derivatives(src, out)
            elif kind in (Kind.VIDEO, Kind.AUDIO):
                result = transcode.transcode_av(src, out, want_video=kind == Kind.VIDEO)
            else:
                return []
        except transcode.NothingDecodable:
            return []
        if result.path is not None:
            with open(result.path, "rb") as fh:
                blob = blob_put(actor="系统", stream=fh, agency_id=rec.agency_id)
            made.append(
                {
                    "kind": DerivativeKind.PREVIEW,
                    "blob_id": blob.sha256,
                    "content_type": result.content_type,
                    "size": blob.size,
                    "width": result.width,
                    "height": result.height,
                    "duration": result.duration,
                    "program": result.program,
                }
            )
        if result.thumbnail:
            blob = blob_put(actor="系统", stream=result.thumbnail, agency_id=rec.agency_id)
            made.append(
                {
                    "kind": DerivativeKind.THUMBNAIL,
                    "blob_id": blob.sha256,
                    "content_type": "image/jpeg",
                    "size": blob.size,
                    "width": None,
                    "height": None,
                    "duration": None,
                    "program": result.program,
                }
            )
    _store(rec, made)
    return list(MediaDerivative.objects.filter(record=rec))


@task()
def av_record_derive_task(*, record_id: int) -> list[int]:
    return [d.pk for d in av_record_derive(record_id=record_id)]
