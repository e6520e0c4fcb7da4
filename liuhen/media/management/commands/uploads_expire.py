"""``manage.py uploads_expire``: remove abandoned uploads' temporary files (never a stored blob)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from liuhen.media.ingest.storage import upload_expiry
from liuhen.media.ingest.uploads import uploads_expire, uploads_expire_task


class Command(BaseCommand):
    help = "清理超过 LIUHEN_UPLOAD_EXPIRY_HOURS 未续传的上传临时文件（不会触及已存入的原始文件）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务执行，而不是在本进程执行")

    def handle(self, *args, enqueue: bool = False, **options) -> None:
        if enqueue:
            result = uploads_expire_task.enqueue()
            self.stdout.write(f"已排队：{result.id}")
            return
        count = uploads_expire()
        self.stdout.write(f"已清理 {count} 个过期上传（期限 {upload_expiry()}）")
