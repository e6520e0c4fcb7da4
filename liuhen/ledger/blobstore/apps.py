from django.apps import AppConfig


class BlobStoreConfig(AppConfig):
    name = "liuhen.ledger.blobstore"
    label = "blobstore"
    verbose_name = "原始文件库"
