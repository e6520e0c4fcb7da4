"""``manage.py restore --from SOURCE``: rebuild this deployment from an off-site replica into an empty
database (clause store-offsite-backup); run ``manage.py verify`` afterwards. Exit 1 on refusal."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuhen.core.errors import DomainError
from liuhen.ledger.replication import restore


class Command(BaseCommand):
    help = "从异地副本恢复 Restore the database, originals and checkpoints from an off-site replica"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            required=True,
            metavar="SOURCE",
            help="异地副本位置：文件夹路径或 s3://桶名/前缀；只能恢复到刚迁移（migrate）过的空数据库",
        )

    def handle(self, *args: Any, source: str, **options: Any) -> None:
        try:
            stats = restore(source=source)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            f"已从异地副本 {stats['source']} 恢复：数据库快照 {stats['snapshot']}（账本 {stats['tree_size']} 条事件），"
            f"原始文件 {stats['blobs']} 个（本次复制 {stats['blobs_copied']} 个），"
            f"检查点见证 {stats['witness_lines_added']} 行。请接着运行 manage.py verify 核验。"
        )
