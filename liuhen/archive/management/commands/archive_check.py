"""manage.py archive_check <case id> [--json]: the DA/T 70 four-property checks on a case's package as it
lies on disk, against the blob store's digests (clause arch-case-file-complete).

Prints the Chinese report (or its JSON); exit status 0 when every check passes, 1 otherwise (also when
the case has no case file or no package). Read-only: nothing is written to the package or the database.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from liuhen.archive.casefiles.archiving import case_file_check
from liuhen.archive.models import CaseFile
from liuhen.core.errors import DomainError


class Command(BaseCommand):
    help = "对案件的归档包进行四性检测（DA/T 70），通过时退出码为 0，否则为 1"

    def add_arguments(self, parser) -> None:
        parser.add_argument("case_id", type=int, help="案件编号（id）")
        parser.add_argument("--json", dest="as_json", action="store_true", help="输出 JSON 格式的检测报告")

    def handle(self, *args, case_id: int, as_json: bool = False, **options) -> None:
        case_file = CaseFile.objects.select_related("case", "case__agency").filter(case_id=case_id).first()
        if case_file is None:
            raise CommandError(f"案件 #{case_id} 没有案卷（尚未结案或不存在）")
        try:
            report = case_file_check(case_file)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(report.text(), ending="")
        if not report.ok:
            raise CommandError(f"四性检测未通过（{len(report.findings)} 项）")
