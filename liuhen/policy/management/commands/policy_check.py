"""``manage.py policy_check [--path DIR] [--no-register]``: validate every policy profile.

Exits non-zero with one line per problem (``<file>: <field path>: <what is wrong>``, in Chinese)
when a profile is broken, or when a profile's content changed while its version stayed the same
as a version already registered. On success, checking the configured folder registers each new
version as a snapshot (ledger event ``policy_profile.registered``) unless ``--no-register``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from liuhen.policy.loader import check_directory, display_name, profile_digest
from liuhen.policy.snapshots import profile_snapshot_register, version_conflicts


class Command(BaseCommand):
    help = "校验执法规则配置（policies/*.yaml）：格式、交叉引用、条款编号、版本号"
    requires_system_checks: list[str] = []  # the system check would stop us before we can report

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", type=Path, help="要校验的配置目录（默认 settings.POLICY_DIR）")
        parser.add_argument("--no-register", action="store_true", help="不登记新版本快照")

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["path"] or Path(settings.POLICY_DIR)
        result = check_directory(directory)
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"警告：{warning}"))
        problems = [str(i) for i in result.issues]
        if result.profiles:
            problems += self._version_problems(result.profiles, directory)
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"执法规则配置校验未通过：{len(problems)} 处问题")
        register = not options["no_register"] and options["path"] is None
        for pid in sorted(result.profiles):
            p = result.profiles[pid]
            self.stdout.write(f"  {pid} v{p.version}  sha256 {profile_digest(p)[:16]}…  {p.agency_name}")
        if register:
            self._register(result.profiles)
        self.stdout.write(self.style.SUCCESS(f"执法规则配置校验通过：{len(result.profiles)} 个配置（{directory}）"))

    def _version_problems(self, profiles: dict[str, Any], directory: Path) -> list[str]:
        try:
            conflicts = version_conflicts(profiles)
        except DatabaseError:
            self.stderr.write(self.style.WARNING("警告：数据库未就绪（未执行 migrate？），跳过版本号检查"))
            return []
        return [
            f"{display_name(directory / (p.id + '.yaml'))}: version: 内容已改变但版本号仍为 {p.version}"
            f"（已登记摘要 {snap.sha256[:12]}…，当前 {profile_digest(p)[:12]}…），请提高 version"
            for p, snap in conflicts
        ]

    def _register(self, profiles: dict[str, Any]) -> None:
        try:
            for pid in sorted(profiles):
                profile_snapshot_register(actor=None, profile=profiles[pid])
        except DatabaseError:
            self.stderr.write(self.style.WARNING("警告：数据库未就绪（未执行 migrate？），未登记配置版本"))
