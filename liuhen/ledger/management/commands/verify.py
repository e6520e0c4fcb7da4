"""``manage.py verify``: re-hash originals, replay the ledger, check checkpoints, records and a replica.

Prints a Chinese report (or the JSON report with ``--json -``), writes the JSON report to a file with
``--json FILE``, keeps the report for the audit page, and exits non-zero on any finding:

    0  nothing found            1  findings (each names its item)            2  wrong arguments

``--sample 0.05`` re-hashes a random 5% of the blobs (the rest are still checked for presence) for
daily runs; the full run is for weekly or monthly schedules and after any restore.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuhen.core.errors import DomainError
from liuhen.ledger.integrity import integrity_verify


def _fraction(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise CommandError(f"抽样比例应为 0 到 1 之间的小数或百分数，收到 {text!r}", returncode=2) from None
    if not 0 < value <= 1:
        raise CommandError(f"抽样比例必须大于 0 且不超过 1（100%），收到 {text!r}", returncode=2)
    return value


class Command(BaseCommand):
    help = "完整性核验 Verify blobs, the ledger, checkpoints, record rows and (optionally) an off-site replica"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sample", help="只抽样重算这一比例的原始文件，例如 0.05 或 5%%（日常核验）")
        parser.add_argument("--sm3", action="store_true", help="同时重算 SM3 摘要（更慢）")
        parser.add_argument("--replica", metavar="TARGET", help="同时核验异地副本（文件夹路径或 s3://桶/前缀）")
        parser.add_argument(
            "--json", dest="json_path", metavar="FILE", help="把 JSON 报告写入文件；“-” 表示输出到标准输出"
        )

    def handle(
        self,
        *args: Any,
        sample: str | None = None,
        sm3: bool = False,
        replica: str | None = None,
        json_path: str | None = None,
        **options: Any,
    ) -> None:
        fraction = _fraction(sample) if sample is not None else None
        try:
            result, report = integrity_verify(sample=fraction, with_sm3=sm3, replica=replica)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}", returncode=2) from exc
        document = _dumps(result.as_json() | {"report_id": report.pk if report else None})
        if json_path == "-":
            self.stdout.write(document)
        else:
            self.stdout.write(result.text_report(), ending="")
            if report is None:
                self.stderr.write("注意：账本无法写入，本次核验报告未保存到审计页面")
        if json_path and json_path != "-":
            Path(json_path).write_text(document + "\n", encoding="utf-8")
        if not result.ok:
            if json_path == "-":
                sys.stdout.flush()
            raise CommandError(f"完整性核验发现 {len(result.findings)} 个问题", returncode=1)


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
