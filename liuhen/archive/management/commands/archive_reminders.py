"""``manage.py archive_reminders``: flag case files due soon or overdue (run daily, e.g. from cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from liuhen.archive.casefiles.reminders import archive_reminders_send


class Command(BaseCommand):
    help = "向承办人、部门负责人和档案管理员发送立卷归档即将到期或逾期的提醒（每个阶段一次）"

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"立卷归档提醒：{archive_reminders_send()} 件案卷")
