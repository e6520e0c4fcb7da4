"""Rows that are inserted once and never updated or deleted (clause integ-no-tamper-original).

The base of every write-once table — finalised text records, AV records, approvals, deliveries,
timeline entries, device history, retention assignments, tombstones. The ORM refuses an update or a
delete here (``RecordImmutable``, and the ``deletion_refused`` hook is called first so that the archive can log
the attempt); the database refuses them too (``liuhen.ledger.guards``), and ``verify`` compares every
row with the seal in the ledger event that created it (``liuhen.ledger.records``).
"""

from __future__ import annotations

from django.db import models

from liuhen.core.errors import Conflict
from liuhen.core.hooks import deletion_refused


class RecordImmutable(Conflict):
    code = "record_immutable"
    message = "已记录的行为不能修改或删除，只能由新的行为跟进"


class WriteOnceQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise RecordImmutable()

    def delete(self):
        deletion_refused(model=self.model._meta.label, pks=list(self.values_list("pk", flat=True)), via="queryset")
        raise RecordImmutable()

    update.queryset_only = True
    delete.queryset_only = True


class WriteOnce(models.Model):
    """Rows that are inserted once and never updated or deleted."""

    objects = WriteOnceQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise RecordImmutable()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        deletion_refused(model=type(self)._meta.label, pks=[self.pk], via="instance")
        raise RecordImmutable()
