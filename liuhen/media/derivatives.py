"""Previews and thumbnails of audio-video records, made in the background and stored as derived blobs.

Clauses integ-no-tamper-original, integ-audit-trail-traceability. The original is read, never
written: ``av_record_derive`` transcodes it (``liuhen.media.transcode``) into new files, stores each
with ``blob_put`` and records a write-once ``MediaDerivative`` with event ``av_record.derived`` in one
transaction. A video gets a 360-line H.264/AAC MP4 and a JPEG thumbnail; audio an AAC M4A; a photo a
1280 px JPEG and a thumbnail. An original the prober could not read gets nothing (its page says so).

The task is queued after the probe commits: a ``post_save`` receiver on ``MediaProbe`` (connected when
the app loads, see ``apps.py``) schedules it ``on_commit``, so ingest stays unaware of previews and
every way a probe is made (task, command, test) leads to its previews. This module also merges its
ledger actions and registers ``MediaDerivative`` with ``verify`` when it is imported.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from liuhen.core.hooks import record_stored
from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.services import record
from liuhen.media.models import DerivativeKind, Kind, MediaDerivative, MediaProbe, MediaRecord

DERIVATIVE_ACTIONS: dict[str, str] = {
    "av_record.derived": "生成音像记录预览",
    "av_record.viewed": "查看音像记录",
    "av_record.original_read": "读取音像记录原件",
}


@contextlib.contextmanager
def _original_path(rec: MediaRecord) -> Iterator[Path]:
    """A path to read the original from: the blob's own file, or a temporary copy from an object store."""
    from liuhen.media.services import WRITE_CHUNK, upload_dir

    store = get_store()
    local = getattr(store, "path", None)
    if local is not None and Path(local(rec.blob_id)).exists():
        yield Path(local(rec.blob_id))
        return
    with tempfile.NamedTemporaryFile(dir=upload_dir(), prefix=".derive-src-") as tmp:
        with store.open(rec.blob_id) as src:
            shutil.copyfileobj(src, tmp, WRITE_CHUNK)
        tmp.flush()
        yield Path(tmp.name)


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
    from liuhen.media import transcode
    from liuhen.media.services import av_record_probe, upload_dir

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
    with tempfile.TemporaryDirectory(dir=upload_dir(), prefix=".derive-") as work, _original_path(rec) as src:
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


def _enqueue_derive(record_id: int) -> None:
    av_record_derive_task.enqueue(record_id=record_id)


@receiver(post_save, sender=MediaProbe, dispatch_uid="media.derivatives.after_probe")
def _after_probe(sender: type[MediaProbe], instance: MediaProbe, created: bool, **kwargs: Any) -> None:
    # Only schedules: the work itself is the task's, queued once the probe's transaction commits.
    if created and instance.readable:
        record_id = instance.record_id
        transaction.on_commit(lambda: _enqueue_derive(record_id), robust=True)


def _register() -> None:
    from liuhen.ledger.actions import ACTIONS
    from liuhen.ledger.records import ImmutableRecord, register

    for code, text in DERIVATIVE_ACTIONS.items():
        ACTIONS.setdefault(code, text)
    register(
        ImmutableRecord(
            model="media.MediaDerivative",
            action="av_record.derived",
            object_type="av_derivative",
            fields=("record_id", "kind", "blob_id", "content_type", "size", "program"),
            label="音像记录预览",
        )
    )


_register()
