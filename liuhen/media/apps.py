from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "liuhen.media"
    label = "media"
    verbose_name = "音像记录"

    def ready(self) -> None:
        from liuhen.documents import hooks as document_hooks
        from liuhen.ledger.actions import ACTIONS
        from liuhen.ledger.records import ImmutableRecord, register
        from liuhen.media import derivatives  # noqa: F401  (previews: ledger actions, verify, post-probe task)
        from liuhen.media.actions import MEDIA_ACTIONS
        from liuhen.media.guards import delivery_av_requirement

        for code, text in MEDIA_ACTIONS.items():
            ACTIONS.setdefault(code, text)
        # Write-once rows: each is created with its event, whose payload carries these columns.
        register(
            ImmutableRecord(
                model="media.MediaRecord",
                action="av_record.ingested",
                object_type="av_record",
                fields=("agency_id", "blob_id", "size", "uploaded_by_id", "uploaded_at", "source", "duplicate_of_id"),
                label="音像记录",
            )
        )
        register(
            ImmutableRecord(
                model="media.MediaProbe",
                action="av_record.probed",
                object_type="av_probe",
                fields=("record_id", "readable", "container", "duration", "flags"),
                label="音像文件检测结果",
            )
        )
        register(
            ImmutableRecord(
                model="media.DockingReport",
                action="av_record.docking_reported",
                object_type="docking_report",
                fields=("agency_id", "device_serial", "device_time", "station_time", "drift_seconds"),
                label="设备对时记录",
            )
        )
        from liuhen.media import av_registry

        av_registry.ready()  # capture metadata, sessions, deadlines, the AV guard (provider "media")
        document_hooks.delivery_av.register(delivery_av_requirement)  # 留置送达 etc. with mandatory AV
