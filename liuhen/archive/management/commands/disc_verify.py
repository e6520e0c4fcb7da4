"""manage.py disc_verify <id> [<id> ...] | --all: re-read stored evidence disc images (clause arch-av-evidence-disc).

Exit status 1 when any image differs from what was verified at build time; such a disc is withdrawn
(no longer offered for download) and the check is in the ledger and on the case timeline.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from liuhen.archive.discs.verify import disc_verify
from liuhen.archive.models import DiscStatus, EvidenceDisc


class Command(BaseCommand):
    help = "复核证据光盘镜像（镜像 SHA-256 与光盘内每个文件）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="证据光盘编号")
        parser.add_argument("--all", action="store_true", help="复核全部已校验的光盘")

    def handle(self, *args, ids: list[int], all: bool = False, **options) -> None:
        if all:
            ids = list(EvidenceDisc.objects.filter(status=DiscStatus.VERIFIED).values_list("pk", flat=True))
        if not ids:
            raise CommandError("请给出证据光盘编号，或使用 --all")
        failed = 0
        for pk in ids:
            if not EvidenceDisc.objects.filter(pk=pk).exists():
                raise CommandError(f"证据光盘 #{pk} 不存在")
            check = disc_verify(disc_id=pk, actor="manage.py disc_verify")
            if check.ok:
                self.stdout.write(f"OK   证据光盘 #{pk}")
            else:
                failed += 1
                self.stdout.write(f"FAIL 证据光盘 #{pk}：{'；'.join(check.problems)}")
        if failed:
            raise CommandError(f"{failed} 张证据光盘未通过复核")
