"""The append-only ledger of every action (clause integ-audit-trail-traceability).

Events are the leaves of an RFC 9162 Merkle tree whose complete subtrees are kept in ``TreeNode``;
signed checkpoints of the tree are kept in ``Checkpoint``, witnesses' cosignatures of them in
``Cosignature``. Rows of these tables are never updated or deleted: database triggers refuse it
(``liuhen.ledger.guards``, installed by migrations 0003 and 0004).
"""

from __future__ import annotations

from django.db import models


class LedgerHead(models.Model):
    """The single row that serialises appends: next sequence number and the hash-chain head."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)  # a trigger lets it only grow
    chain_hash = models.CharField(max_length=64, default="0" * 64)
    # Hex hashes of the complete subtrees on the tree's right border (one per set bit of size, left to
    # right): appending and the current root need no further reads.
    frontier = models.TextField(default="", blank=True)
    checkpoint_size = models.BigIntegerField(default=0)  # size of the latest checkpoint; only grows


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


class TreeNode(models.Model):
    """The hash of one complete subtree of height ``level`` >= 1 (level 0 is ``Event.leaf_hash``).

    The primary key packs (level, index) so that a proof's O(log n) nodes are one ``pk IN (...)`` read
    and one level's nodes are a contiguous key range.
    """

    id = models.BigIntegerField(primary_key=True)
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "默克尔树节点"

    LEVEL_SHIFT = 56

    @classmethod
    def key(cls, level: int, index: int) -> int:
        return (level << cls.LEVEL_SHIFT) | index


class Checkpoint(models.Model):
    """A signed statement of the tree's size and root (C2SP tlog-checkpoint signed note)."""

    size = models.BigIntegerField("树大小", db_index=True)
    root_hash = models.CharField("根哈希", max_length=64)
    note = models.TextField("签名检查点")
    key_id = models.CharField("密钥标识", max_length=8)
    created_at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "检查点"
        ordering = ["size", "id"]

    def __str__(self) -> str:
        return f"checkpoint size={self.size}"


class Cosignature(models.Model):
    """A witness's C2SP tlog-cosignature (``cosignature/v1``) of one checkpoint, as it was received.

    ``line`` is the note signature line itself; ``witness``, ``key_id`` and ``timestamp`` are read from
    it (``verify`` checks they still agree, and the signature against the configured witness keys).
    """

    # DO_NOTHING: a checkpoint is never deleted, and the append-only trigger is what refuses it.
    checkpoint = models.ForeignKey(Checkpoint, models.DO_NOTHING, related_name="cosignatures", verbose_name="检查点")
    witness = models.CharField("见证方密钥名称", max_length=255)
    key_id = models.CharField("见证方密钥标识", max_length=8)
    timestamp = models.BigIntegerField("见证时间（Unix 秒）")
    line = models.TextField("见证签名行")
    received_at = models.DateTimeField("收到时间")

    class Meta:
        verbose_name = "检查点见证签名"
        ordering = ["checkpoint_id", "witness", "id"]
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "witness", "key_id"], name="ledger_cosignature_once")
        ]

    def __str__(self) -> str:
        return f"cosignature {self.witness} of checkpoint {self.checkpoint_id}"


class VerificationReport(models.Model):
    """The outcome of one ``verify`` run, kept for the audit administrator's page."""

    created_at = models.DateTimeField("时间")
    ok = models.BooleanField("通过")
    summary = models.TextField("摘要")
    findings = models.JSONField("发现的问题", default=list)
    stats = models.JSONField("统计", default=dict)

    class Meta:
        verbose_name = "核验报告"
        ordering = ["-created_at", "-id"]
