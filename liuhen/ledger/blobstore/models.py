"""One row per stored blob (clause integ-no-tamper-original): written once, never updated or deleted.

Database triggers (migration 0002) refuse UPDATE and DELETE on SQLite and PostgreSQL; the ORM
refuses them too, so a bug fails loudly before it reaches the database.
"""

from __future__ import annotations

from django.db import models

from liuhen.core.hooks import deletion_refused
from liuhen.ledger.blobstore.errors import BlobStoreError


class BlobImmutable(BlobStoreError):
    code = "blob_immutable"
    status = 409
    message = "原始文件记录只能新增，不能修改或删除"


class BlobQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise BlobImmutable()

    def delete(self):
        deletion_refused(model=self.model._meta.label, pks=list(self.values_list("pk", flat=True)), via="queryset")
        raise BlobImmutable()

    update.queryset_only = True
    delete.queryset_only = True


class Blob(models.Model):
    sha256 = models.CharField("SHA-256", max_length=64, primary_key=True)
    sm3 = models.CharField("SM3", max_length=64)
    size = models.BigIntegerField("大小（字节）")
    backend = models.CharField("存储后端", max_length=16)
    stored_at = models.DateTimeField("首次存入时间")
    first_stored_by_id = models.BigIntegerField("首次存入人编号", null=True)
    first_stored_by_label = models.CharField("首次存入人", max_length=120)

    objects = BlobQuerySet.as_manager()

    # Set by blob_put on the instance it returns: False when the content was already stored.
    created: bool = False

    class Meta:
        verbose_name = "原始文件"
        verbose_name_plural = "原始文件"
        ordering = ["stored_at", "sha256"]

    def __str__(self) -> str:
        return f"blob:{self.sha256}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise BlobImmutable()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        deletion_refused(model=type(self)._meta.label, pks=[self.pk], via="instance")
        raise BlobImmutable()
