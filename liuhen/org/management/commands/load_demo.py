"""``manage.py load_demo``: load the demo agencies once and say where the demo accounts are listed."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from liuhen.org.demo import demo_loaded, load_demo


class Command(BaseCommand):
    help = "载入演示数据（五个示范执法机关及各角色账号），已载入则跳过"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--accounts-file", type=Path, default=None, help="演示账号清单写入的位置（默认在数据目录下）"
        )

    def handle(self, *args, **options) -> None:
        accounts_file: Path = options["accounts_file"] or Path(settings.DATA_DIR) / "demo-accounts.txt"
        if demo_loaded():
            self.stdout.write(f"演示数据已载入，跳过。演示账号清单：{accounts_file}")
            return
        accounts = load_demo(accounts_file=accounts_file)
        self.stdout.write(self.style.SUCCESS(f"已载入演示数据：5 个执法机关，{len(accounts)} 个账号。"))
        self.stdout.write(f"演示账号与密码见：{accounts_file}（仅本机可读）")
