"""``manage.py av_late_uploads``: flag late AV uploads on their cases (run daily, e.g. from cron)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from liuhen.media.continuity.deadlines import late_uploads_flag


class Command(BaseCommand):
    help = "把逾期上传的音像记录写入其案件的过程记录（每段一次）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=30, help="检查最近多少天上传的记录（默认 30）")

    def handle(self, *args, **options) -> None:
        since = timezone.now() - dt.timedelta(days=options["days"])
        self.stdout.write(f"逾期上传：{late_uploads_flag(since=since)} 段")
