"""``manage.py checkpoint``: sign a checkpoint of the ledger now (or only when one is due, for cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuhen.core.errors import DomainError
from liuhen.ledger import checkpoints


class Command(BaseCommand):
    help = "签署账本检查点 Sign a ledger checkpoint (C2SP tlog-checkpoint note)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-due",
            action="store_true",
            help="只在到期时签署（满 LIUHEN_CHECKPOINT_EVERY_EVENTS 条或 LIUHEN_CHECKPOINT_EVERY_MINUTES 分钟）",
        )

    def handle(self, *args: Any, if_due: bool = False, **options: Any) -> None:
        if if_due and not checkpoints.checkpoint_due():
            self.stdout.write("检查点未到期，未签署 not due")
            return
        try:
            cp = checkpoints.checkpoint_create()
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if cp is None:
            self.stdout.write("账本为空，未签署 ledger is empty")
            return
        self.stdout.write(cp.note, ending="")
