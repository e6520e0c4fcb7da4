from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "liuhen.media"
    label = "media"
    verbose_name = "音像记录"

    def ready(self) -> None:
        from liuhen.cases.requirements import register_provider
        from liuhen.documents import hooks as document_hooks
        from liuhen.ledger.actions import ACTIONS
        from liuhen.ledger.records import register
        from liuhen.media.actions import MEDIA_ACTIONS, RECORDS
        from liuhen.media.continuity.guards import delivery_av_requirement, media_requirements, summary_av_requirements

        for code, text in MEDIA_ACTIONS.items():
            ACTIONS.setdefault(code, text)
        for spec in RECORDS:
            register(spec)
        # The AV guard: a stage's mandatory AV, unexplained gaps, refusals on record (cases.requirements).
        register_provider("media", media_requirements)
        register_provider("summary_av", summary_av_requirements)
        document_hooks.delivery_av.register(delivery_av_requirement)  # 留置送达 etc. with mandatory AV
