"""``manage.py blobstore_cleanup``: remove what interrupted writes left in the blob store's temporary area.

Stored blobs are never touched. Local store: temporary files whose writer is gone (its lock is free).
S3: unfinished multipart uploads and temporary objects older than ``--older-than`` hours.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from liuhen.ledger.blobstore.backends import get_store


class Command(BaseCommand):
    help = "清理原始文件库中中断写入留下的临时文件（不触及已存文件）"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            help="只清理早于此小时数的临时文件（本地默认 1/60 小时，对象存储默认 24 小时）",
        )

    def handle(self, *args, **options) -> None:
        store = get_store()
        hours = options["older_than"]
        removed = store.cleanup() if hours is None else store.cleanup(min_age_seconds=hours * 3600)
        self.stdout.write(f"已清理 {removed} 个临时文件 ({store!r})")
