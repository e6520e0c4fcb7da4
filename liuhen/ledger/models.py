"""The append-only ledger of every action (clause integ-audit-trail-traceability).

Rows are never updated or deleted: database triggers refuse it (see migrations).
"""

from __future__ import annotations

from django.db import models


class LedgerHead(models.Model):
    """The single row that serialises appends: next sequence number and the hash-chain head."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    chain_hash = models.CharField(max_length=64, default="0" * 64)


class Event(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    recorded_at = models.DateTimeField("时间")
    actor_id = models.BigIntegerField("操作人编号", null=True)
    actor_label = models.CharField("操作人", max_length=120)
    agency_id = models.BigIntegerField("机关编号", null=True, db_index=True)
    action = models.CharField("动作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象编号", max_length=64)
    payload = models.TextField("内容")  # canonical JSON
    payload_hash = models.CharField(max_length=64)
    leaf_hash = models.CharField(max_length=64)  # RFC 9162 leaf hash of the canonical entry
    chain_hash = models.CharField(max_length=64)  # sha256(previous chain_hash ‖ leaf_hash)

    class Meta:
        verbose_name = "账本事件"
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
