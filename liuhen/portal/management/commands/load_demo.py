"""``manage.py load_demo``: load the demo agencies once and say where the demo accounts are listed.

The demo spans apps (agencies and accounts, cases, devices): each app builds its own part
(``<app>.demo``); this command, on top of them all, puts them together.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from liuhen.cases.demo import load_demo_cases
from liuhen.devices.demo import load_demo_devices
from liuhen.org.demo import DEMO_AGENCIES, demo_loaded, load_demo
from liuhen.org.models import Agency


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
        agencies = list(Agency.objects.filter(code__in=[a.code for a in DEMO_AGENCIES]))
        made = load_demo_cases(agencies)
        self.stdout.write(f"演示案件：{made} 件（每个机关一件待立案审批的处罚案件、一件检查，另有待处理案源）。")
        devices = load_demo_devices(agencies)
        self.stdout.write(f"演示执法记录设备：{devices} 台（已配发、已检查，另有一台报告故障）。")
        self.stdout.write(f"演示账号与密码见：{accounts_file}（仅本机可读）")
