"""``manage.py replicate --to TARGET``: copy new originals, ledger segments, checkpoints and a database
snapshot to an off-site replica (clause store-offsite-backup). Run it from cron; exit 1 on failure."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuhen.core.errors import DomainError
from liuhen.ledger.replication import replicate


class Command(BaseCommand):
    help = "复制到异地副本 Replicate originals, the ledger and a database snapshot to an off-site location"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            dest="target",
            required=True,
            metavar="TARGET",
            help="异地副本位置：另一块磁盘上的文件夹路径，或 s3://桶名/前缀（使用 LIUHEN_S3_* 的地址与凭据）",
        )
        parser.add_argument("--json", dest="as_json", action="store_true", help="以 JSON 输出统计")

    def handle(self, *args: Any, target: str, as_json: bool = False, **options: Any) -> None:
        try:
            stats = replicate(target=target)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if as_json:
            self.stdout.write(_dumps(stats))
            return
        self.stdout.write(
            f"已复制到异地副本 {stats['target']}：原始文件新增 {stats['blobs_copied']} 个"
            f"（{stats['blob_bytes_copied']} 字节，副本共 {stats['blobs_in_replica']} 个），"
            f"账本事件新增 {stats['events_copied']} 条（树大小 {stats['tree_size']}），"
            f"检查点 {stats['checkpoints']} 个，数据库快照 {stats['snapshot']}。"
        )


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
