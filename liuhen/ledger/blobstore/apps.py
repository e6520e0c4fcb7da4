from django.apps import AppConfig


class BlobStoreConfig(AppConfig):
    name = "liuhen.ledger.blobstore"
    label = "blobstore"
    verbose_name = "原始文件库"

    def ready(self) -> None:
        from liuhen.ledger.records import ImmutableRecord, register

        # blob_put writes each row with a blob.stored event carrying these columns.
        register(
            ImmutableRecord(
                model="blobstore.Blob",
                action="blob.stored",
                object_type="blob",
                fields=("sha256", "sm3", "size", "backend"),
                label="原始文件",
            )
        )
