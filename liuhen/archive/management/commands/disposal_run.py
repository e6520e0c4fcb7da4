"""``manage.py disposal_run <batch>``: run or resume an approved disposal batch (clause integ-no-destroy-within-retention).

Refuses a batch that is not approved; items whose term was lengthened or that were held after the
approval are skipped and the refusal logged. Exit status 1 when anything was refused or failed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from liuhen.archive.models import DisposalBatch, DisposalItemState
from liuhen.archive.retention.disposal import disposal_run, log_refused
from liuhen.core.errors import DomainError


class Command(BaseCommand):
    help = "执行（或继续执行）已批准的销毁批次"

    def add_arguments(self, parser):
        parser.add_argument("batch", type=int, help="销毁批次编号")

    def handle(self, *args, batch: int, **options):
        try:
            done = disposal_run(batch_id=batch, actor="manage.py disposal_run")
        except DomainError as exc:
            row = DisposalBatch.objects.filter(pk=batch).first()
            log_refused(
                actor="manage.py disposal_run",
                agency_id=row.agency_id if row else None,
                object_type="disposal_batch",
                object_id=str(batch),
                via="command",
                error=exc,
            )
            raise CommandError(f"[{exc.code}] {exc.message}") from exc
        items = done.items.all()
        disposed = items.filter(state=DisposalItemState.DISPOSED).count()
        skipped = items.filter(state=DisposalItemState.SKIPPED)
        self.stdout.write(f"销毁批次 #{done.pk}：已销毁 {disposed} 项，未销毁 {skipped.count()} 项。")
        for item in skipped:
            self.stdout.write(f"  未销毁 {item.object_type}:{item.object_id}：{item.note}")
        if skipped.exists():
            raise CommandError("部分记录未到期或已冻结，未销毁（已记入账本）")
