"""``manage.py policy_show <profile id | agency code> [--json] [--own]``: the effective profile.

An agency's profile file states only how it differs from its baseline (``baseline:``); this prints the
profile the system works with, the baseline merged in (``liuhen.policy.loader.effective_data``), as
YAML (or JSON). ``--own`` prints the file's own entries instead, ``!remove`` marks included.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from liuhen.org.models import Agency
from liuhen.policy.errors import ProfileInvalid
from liuhen.policy.loader import canonical_content, dump_yaml, get_profile, profile_ids, read_profile_file


def _profile_id(name: str) -> str:
    if name in profile_ids():
        return name
    try:
        agency = Agency.objects.filter(code=name).first()
    except DatabaseError:  # no database yet (before the first migrate): profile ids only
        agency = None
    if agency is not None:
        return agency.profile_id
    known = "、".join(profile_ids())
    raise CommandError(f'没有编号为 "{name}" 的执法规则配置或执法机关；配置编号有：{known}', returncode=2)


class Command(BaseCommand):
    help = "显示一个执法规则配置合并国家基线之后的完整内容（按配置编号或执法机关编号）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="配置编号（如 xigang-culture）或执法机关编号")
        parser.add_argument("--json", action="store_true", help="输出 JSON（与版本摘要所依据的内容相同）")
        parser.add_argument("--own", action="store_true", help="只显示配置文件本身写的内容（与基线不同之处）")

    def handle(self, *args: Any, **options: Any) -> None:
        pid = _profile_id(options["name"])
        if options["own"]:
            data = read_profile_file(settings.POLICY_DIR / f"{pid}.yaml")
            self.stdout.write(dump_yaml(data), ending="")
            return
        try:
            profile = get_profile(pid)
        except ProfileInvalid as exc:
            raise CommandError("\n".join(str(i) for i in exc.issues)) from None
        content = canonical_content(profile)
        if options["json"]:
            self.stdout.write(json.dumps(content, ensure_ascii=False, indent=2, sort_keys=True))
        else:
            self.stdout.write(f"# {profile.agency_name}（{profile.id}，版本 {profile.version}，合并基线之后）\n")
            self.stdout.write(dump_yaml(content), ending="")
