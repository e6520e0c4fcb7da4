"""``manage.py calendar_import FILE``: enter a whole year of the State Council holiday calendar.

The file (YAML, see ``liuhen.policy.calendar.services.parse_year_table``) lists the year's holiday ranges and
make-up working days and names the notice they come from; the year is confirmed unless
``--no-confirm``. A year that already has entered days is only replaced with ``--replace``. The
ledger records the import as done by ``--user`` (a system administrator) or by the system.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from liuhen.core.errors import DomainError
from liuhen.policy.calendar import services as calendar_services


class Command(BaseCommand):
    help = "导入一整年的法定节假日和调休上班日期（YAML 文件），并确认该年度"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="年度安排文件（YAML）")
        parser.add_argument("--user", default=None, help="以该系统管理员的名义导入（记入账本）；默认记为“系统”")
        parser.add_argument("--no-confirm", action="store_true", help="只录入日期，不确认该年度（期限仍为暂定）")
        parser.add_argument("--replace", action="store_true", help="替换该年已录入的日期")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"文件不存在：{path}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: 文件不是 UTF-8 编码的文本") from exc
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"用户不存在或已停用：{options['user']}")
        try:
            table = calendar_services.parse_year_table(text, filename=str(path))
            result = calendar_services.calendar_year_import(
                actor=actor, table=table, confirm=not options["no_confirm"], replace=options["replace"]
            )
        except DomainError as exc:
            raise CommandError(f"[{exc.code}] {exc.message}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入{result.year}年：放假 {result.holidays} 天，调休上班 {result.makeup_days} 天"
                + (f"（替换原有 {result.replaced} 条）" if result.replaced else "")
            )
        )
        if result.confirmed:
            self.stdout.write(f"{result.year}年已确认，依据：{table.source.strip()}")
        else:
            self.stdout.write(self.style.WARNING(f"{result.year}年尚未确认，该年的期限仍标为暂定"))
