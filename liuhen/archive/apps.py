from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "liuhen.archive"
    label = "archive"
    verbose_name = "立卷归档"

    def ready(self) -> None:
        from liuhen.archive import policies  # noqa: F401  (registers the archive's kinds by name)
        from liuhen.archive.actions import ARCHIVE_ACTIONS
        from liuhen.archive.casefiles.assembly import case_file_open
        from liuhen.archive.retention import hooks as retention_hooks
        from liuhen.cases.hooks import case_closed
        from liuhen.core.hooks import deletion_refused, record_stored
        from liuhen.ledger.actions import ACTIONS
        from liuhen.ledger.blobstore.verification import register_disposed
        from liuhen.ledger.records import ImmutableRecord, register

        for code, text in ARCHIVE_ACTIONS.items():
            ACTIONS.setdefault(code, text)
        # A closed case opens its case file (in the closing transaction).
        case_closed.register(case_file_open)
        # Retention: classes on store, the ORM refusal log, disposed blobs known to verify.
        record_stored.register(retention_hooks.on_record_stored)
        deletion_refused.register(retention_hooks.on_deletion_refused)
        register_disposed(retention_hooks.disposed_blobs)
        # Write-once rows: each is created with its event (object_id = the row's pk), whose payload
        # carries these columns by the same names; ``manage.py verify`` compares the two.
        register(
            ImmutableRecord(
                model="archive.CaseFileItem",
                action="case_file.item_listed",
                object_type="case_file_item",
                fields=(
                    "case_file_id",
                    "assembly",
                    "volume",
                    "seq",
                    "kind",
                    "record_type",
                    "record_id",
                    "sha256",
                    "size",
                ),
                label="卷内文件",
            )
        )
        register(
            ImmutableRecord(
                model="archive.RetentionAssignment",
                action="retention.assigned",
                object_type="retention_assignment",
                fields=(
                    "object_type",
                    "object_id",
                    "blob_sha256",
                    "retention_class",
                    "keep_until",
                    "permanent",
                    "supersedes_id",
                ),
                label="保管期限",
            )
        )
        register(
            ImmutableRecord(
                model="archive.LegalHold",
                action="hold.set",
                object_type="legal_hold",
                fields=("agency_id", "scope", "case_id", "object_type", "object_id", "set_by_id"),
                label="冻结",
            )
        )
        register(
            ImmutableRecord(
                model="archive.HoldRelease",
                action="hold.released",
                object_type="hold_release",
                fields=("hold_id", "lifted_by_id"),
                label="解除冻结",
            )
        )
        register(
            ImmutableRecord(
                model="archive.Tombstone",
                action="disposal.tombstoned",
                object_type="tombstone",
                fields=("batch_id", "object_type", "object_id", "sha256", "sm3", "size", "approved_by_id"),
                label="销毁记录",
            )
        )
