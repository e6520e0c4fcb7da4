from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "liuhen.cases"
    label = "cases"
    verbose_name = "案件"

    def ready(self) -> None:
        from liuhen.ledger.records import ImmutableRecord, register

        # Write-once acts: each row is created with its event, whose payload carries these columns.
        register(
            ImmutableRecord(
                model="cases.Approval",
                action="case.approval_recorded",
                object_type="approval",
                fields=("case_id", "stage_id", "kind", "decision", "actor_id", "opinion"),
                label="审批",
            )
        )
        register(
            ImmutableRecord(
                model="cases.FilingForm",
                action="case.filing_form_submitted",
                object_type="filing_form",
                fields=("case_id", "revision", "values"),
                label="立案审批表",
            )
        )
        register(
            ImmutableRecord(
                model="cases.NotFiledNotice",
                action="case_source.notice_recorded",
                object_type="not_filed_notice",
                fields=(),
                label="不予立案告知",
            )
        )
        register(
            ImmutableRecord(
                model="cases.TimelineEntry",
                action=(),
                object_type="",
                fields=(),
                label="案件过程记录",
                event_column="event_seq",  # written after its event, sealed in it
            )
        )
        register(
            ImmutableRecord(
                model="cases.NotFilingDecision",
                action="case_source.not_filed",
                object_type="not_filing_decision",
                fields=("source_id", "reasons", "decided_by_id"),
                label="不予立案决定",
            )
        )
