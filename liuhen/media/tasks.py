"""Background work of the media app: probing originals, cleaning up abandoned uploads.

Probing always runs here, queued when the record commits, whatever the file's size: the upload's
response never waits for it, and the probe reads headers only, so a worker handles many per second.
"""

from __future__ import annotations

from django_tasks import task

from liuhen.media import services


@task()
def av_record_probe_task(*, record_id: int) -> int:
    return services.av_record_probe(record_id=record_id).pk


@task()
def uploads_expire_task() -> int:
    return services.uploads_expire()
