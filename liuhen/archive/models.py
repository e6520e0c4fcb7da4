"""Case files (立卷归档), retention, legal holds, disposal with tombstones, evidence discs.

Clauses arch-case-file-complete, time-archive-30d, store-av-retention-min, store-text-retention,
arch-av-evidence-disc.

Decisions (ADR 0010, "Models"):

- A case file's transitions (opened, assembled, checked, archived, refused) are **ledger events plus
  case timeline entries**, not a table of their own: the ledger is already write-once and verified,
  and the timeline is the case's human-readable trail. ``CaseFile`` itself is the mutable state.
- Each assembly is a *generation* (``CaseFile.assembly``). Its ``CaseFileItem`` rows are write-once
  and each is created with its own ``case_file.item_listed`` event (``manage.py verify`` compares the
  two); a re-assembly after a failed check writes a new generation, the old rows stay.
- The package is a BagIt **directory** under ``DATA_DIR/archive/<agency>/<case>/<generation>``
  (``package_path``, relative to DATA_DIR); its ``tagmanifest-sha256.txt`` — which covers every
  manifest and so every payload file — is also put in the blob store, and its SHA-256 is
  ``package_sha256``: one digest in the ledger pins the whole package.
- Retention only grows: ``RetentionAssignment`` rows are write-once and a new, longer one supersedes;
  a hold is lifted by a ``HoldRelease`` row, never by editing the hold; a ``Tombstone`` is forever.
- ``CaseFile`` and ``EvidenceDisc`` change as their work goes on but are never deleted through the ORM
  (``Retained``): only an approved disposal batch disposes of what they hold.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liuhen.archive.retention.errors import RecordNotExpired
from liuhen.core.hooks import deletion_refused
from liuhen.core.writeonce import WriteOnce


def _deletion_refused() -> RecordNotExpired:
    return RecordNotExpired("案卷和证据光盘只能经批准的销毁批次处置，不能直接删除", code="retention_delete_refused")


class RetainedQuerySet(models.QuerySet):
    def delete(self):
        deletion_refused(model=self.model._meta.label, pks=list(self.values_list("pk", flat=True)), via="queryset")
        raise _deletion_refused()

    delete.queryset_only = True


class Retained(models.Model):
    """Rows under retention that are updated but never deleted through the ORM (clause
    integ-no-destroy-within-retention): the refusal is raised after the ``deletion_refused`` hook,
    which the archive logs in the ledger."""

    objects = RetainedQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        deletion_refused(model=type(self)._meta.label, pks=[self.pk], via="instance")
        raise _deletion_refused()


# ---------------------------------------------------------------- object references


class ObjectType(models.TextChoices):
    """What a retention row, hold, disposal item or tombstone is about (``object_id`` is its pk)."""

    DOCUMENT_VERSION = "document_version", "文书定稿版本"
    AV_RECORD = "av_record", "音像记录"
    CASE_FILE = "case_file", "案卷"
    DISC = "disc", "证据光盘"
    BLOB = "blob", "原始文件"  # other stored originals (delivery proofs, scans ...): object_id is the SHA-256


# ---------------------------------------------------------------- case files (立卷归档)


class CaseFileStatus(models.TextChoices):
    ASSEMBLING = "assembling", "待立卷"  # opened when the case closed; nothing assembled yet (or refused)
    ASSEMBLED = "assembled", "已组卷"  # package built, checks not passed
    CHECKED = "checked", "已检测"  # DA/T 70 checks passed; the records keeper may archive
    ARCHIVED = "archived", "已归档"
    REJECTED = "rejected", "检测未通过"


class CaseFile(Retained):
    """案卷: one per case, opened when the case closes, archived by the records keeper."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="case_files")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="case_file")
    status = models.CharField("状态", max_length=12, choices=CaseFileStatus.choices, default=CaseFileStatus.ASSEMBLING)
    profile = models.CharField("执法规则配置", max_length=100, blank=True)  # "code@version" used
    opened_at = models.DateTimeField("立卷期限起算时间")
    due_on = models.DateField("归档期限", null=True, blank=True)  # null: the profile is silent
    archive_number = models.CharField("档案号", max_length=32, blank=True)
    retention = models.CharField("保管期限", max_length=40, blank=True)  # as shown on the cover
    volumes = models.JSONField("卷次顺序", default=list, blank=True)  # [{"code": "main", "title": "正卷"}, ...]
    assembly = models.PositiveIntegerField("组卷次数", default=0)  # generation of the current items
    package_path = models.CharField("归档包目录", max_length=500, blank=True)  # relative to DATA_DIR
    package_sha256 = models.CharField("归档包摘要（tagmanifest-sha256）", max_length=64, blank=True)
    package_bytes = models.BigIntegerField("归档包大小", null=True, blank=True)
    check_report = models.JSONField("检测报告", default=dict, blank=True)
    check_passed = models.BooleanField("检测通过", null=True, blank=True)
    assembled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assembled_at = models.DateTimeField("组卷时间", null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField("检测时间", null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    archived_at = models.DateTimeField("归档时间", null=True, blank=True)
    # Overdue reminders already sent: {"before": "2025-01-02", "due": ..., "overdue": ...} (one per stage).
    reminders = models.JSONField("已发送的提醒", default=dict, blank=True)

    class Meta:
        verbose_name = "案卷"
        verbose_name_plural = "案卷"
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["agency", "status"]), models.Index(fields=["agency", "due_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "archive_number"],
                condition=~models.Q(archive_number=""),
                name="case_file_archive_number_unique",
            )
        ]

    def __str__(self) -> str:
        return f"案卷 {self.archive_number or '#' + str(self.pk)}"


class ArchiveCounter(models.Model):
    """档案号 sequence per agency and year (year + 4-digit sequence from 0001); locked while numbering."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="archive_counter_unique")]


class CaseFileItemKind(models.TextChoices):
    COVER = "cover", "封面"
    TOC = "toc", "卷内目录"
    DOCUMENT = "document", "文书"
    AV = "av", "音像记录"
    METADATA = "metadata", "元数据"
    TIMELINE = "timeline", "全过程记录时间线"
    PROOF = "proof", "账本存在性证明"
    STATEMENT = "statement", "文字说明"


class CaseFileItem(WriteOnce):
    """One numbered record of one assembly of a case file (one line of the table of contents)."""

    case_file = models.ForeignKey(CaseFile, on_delete=models.PROTECT, related_name="items")
    assembly = models.PositiveIntegerField("组卷次数")
    volume = models.CharField("卷次", max_length=32)  # Volume.code: "main", "secondary"
    seq = models.PositiveIntegerField("顺序号")
    kind = models.CharField("类别", max_length=12, choices=CaseFileItemKind.choices)
    title = models.CharField("题名", max_length=300)
    record_type = models.CharField("记录类别", max_length=32, blank=True)  # ObjectType value, or "" (generated)
    record_id = models.CharField("记录编号", max_length=64, blank=True)
    path = models.CharField("包内路径", max_length=500, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    sm3 = models.CharField("SM3", max_length=64, blank=True)
    size = models.BigIntegerField("大小（字节）")
    pages = models.CharField("页号", max_length=20, blank=True)
    doc_number = models.CharField("文号", max_length=100, blank=True)
    item_date = models.DateField("日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "卷内文件"
        verbose_name_plural = "卷内文件"
        ordering = ["case_file", "assembly", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_file", "assembly", "volume", "seq", "kind"], name="case_file_item_unique"
            )
        ]


# ---------------------------------------------------------------- retention (保管期限)


class RetentionAssignment(WriteOnce):
    """The retention of one stored record. Only ever lengthened: a longer term is a new row that
    supersedes the previous one; the current one is the row nobody supersedes."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    object_type = models.CharField("对象类别", max_length=20, choices=ObjectType.choices)
    object_id = models.CharField("对象编号", max_length=64)
    blob_sha256 = models.CharField("原始文件摘要", max_length=64, blank=True)
    retention_class = models.CharField("保管类别", max_length=64)  # code from the profile's retention section
    profile = models.CharField("执法规则配置", max_length=100, blank=True)  # "code@version"
    starts_on = models.DateField("起算日", null=True, blank=True)
    keep_until = models.DateField("保管至", null=True, blank=True)  # null with permanent=True
    permanent = models.BooleanField("永久保管", default=False)
    trigger = models.CharField("触发事件", max_length=64, blank=True)  # RetentionEvent code, or "" (stored)
    reason = models.TextField("理由", blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField("确定时间")

    class Meta:
        verbose_name = "保管期限"
        verbose_name_plural = "保管期限"
        ordering = ["assigned_at", "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["agency", "keep_until"]),
            models.Index(fields=["blob_sha256"]),
        ]


class HoldScope(models.TextChoices):
    OBJECT = "object", "单个记录"
    CASE = "case", "整个案件"


class LegalHold(WriteOnce):
    """冻结（暂停销毁）: while a hold is not released, nothing it covers is disposed."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField("范围", max_length=8, choices=HoldScope.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    object_type = models.CharField("对象类别", max_length=20, choices=ObjectType.choices, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    reason = models.TextField("理由")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_by_name = models.CharField("设置人", max_length=120)
    set_at = models.DateTimeField("设置时间")

    class Meta:
        verbose_name = "冻结"
        verbose_name_plural = "冻结"
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]


class HoldRelease(WriteOnce):
    """Lifting a hold: a new row with who, when and why; the hold row itself never changes."""

    hold = models.OneToOneField(LegalHold, on_delete=models.PROTECT, related_name="release")
    reason = models.TextField("解除理由")
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lifted_by_name = models.CharField("解除人", max_length=120)
    lifted_at = models.DateTimeField("解除时间")

    class Meta:
        verbose_name = "解除冻结"
        verbose_name_plural = "解除冻结"


# ---------------------------------------------------------------- disposal (销毁)


class DisposalStatus(models.TextChoices):
    PROPOSED = "proposed", "待审批"
    APPROVED = "approved", "已批准"
    RUNNING = "running", "销毁中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    REFUSED = "refused", "未批准"


class DisposalBatch(models.Model):
    """A disposal batch: proposed, approved by the role the profile names, then run item by item."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="disposal_batches")
    status = models.CharField("状态", max_length=10, choices=DisposalStatus.choices, default=DisposalStatus.PROPOSED)
    reason = models.TextField("销毁理由", blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField("提出时间")
    approval_role = models.CharField("审批角色", max_length=32, blank=True)  # as the profile names it
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by_name = models.CharField("审批人", max_length=120, blank=True)
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    approval_opinion = models.TextField("审批意见", blank=True)
    items_count = models.PositiveIntegerField("条目数", default=0)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    error = models.TextField("错误", blank=True)

    class Meta:
        verbose_name = "销毁批次"
        verbose_name_plural = "销毁批次"
        ordering = ["-proposed_at", "-id"]


class DisposalItemState(models.TextChoices):
    PENDING = "pending", "待销毁"
    DISPOSED = "disposed", "已销毁"
    SKIPPED = "skipped", "未销毁（冻结或未到期）"
    FAILED = "failed", "失败"


class DisposalItem(models.Model):
    batch = models.ForeignKey(DisposalBatch, on_delete=models.PROTECT, related_name="items")
    object_type = models.CharField("对象类别", max_length=20, choices=ObjectType.choices)
    object_id = models.CharField("对象编号", max_length=64)
    blob_sha256 = models.CharField("原始文件摘要", max_length=64, blank=True)
    retention = models.ForeignKey(
        RetentionAssignment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        "状态", max_length=10, choices=DisposalItemState.choices, default=DisposalItemState.PENDING
    )
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "销毁条目"
        verbose_name_plural = "销毁条目"
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "object_type", "object_id"], name="disposal_item_unique")
        ]


class Tombstone(WriteOnce):
    """What was disposed, its digests, why, by whose approval and when: kept forever."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    batch = models.ForeignKey(DisposalBatch, on_delete=models.PROTECT, related_name="tombstones")
    object_type = models.CharField("对象类别", max_length=20, choices=ObjectType.choices)
    object_id = models.CharField("对象编号", max_length=64)
    description = models.CharField("记录说明", max_length=300, blank=True)  # e.g. file name, document title
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    sm3 = models.CharField("SM3", max_length=64, blank=True)
    size = models.BigIntegerField("大小（字节）", null=True, blank=True)
    retention_class = models.CharField("保管类别", max_length=64, blank=True)
    keep_until = models.DateField("保管至", null=True, blank=True)
    reason = models.TextField("销毁理由")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by_name = models.CharField("审批人", max_length=120)
    approved_at = models.DateTimeField("审批时间")
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disposed_at = models.DateTimeField("销毁时间")

    class Meta:
        verbose_name = "销毁记录"
        verbose_name_plural = "销毁记录"
        ordering = ["disposed_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["sha256"])]


# ---------------------------------------------------------------- evidence discs (刻制光盘)


class DiscMedium(models.TextChoices):
    CD = "cd", "CD（700 MB）"
    DVD = "dvd", "DVD（4.7 GB）"
    BD = "bd", "BD（25 GB）"


class DiscStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    BUILDING = "building", "制作中"
    VERIFIED = "verified", "已校验"
    FAILED = "failed", "失败"


class EvidenceDisc(Retained):
    """An evidence disc image (ISO 9660 + Joliet + Rock Ridge) of selected records of a case."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="evidence_discs")
    # [{"type": "av_record", "id": "5"}, {"type": "document_version", "id": "12"}, ...]
    selection = models.JSONField("选择的记录", default=list)
    maker = models.CharField("制作人", max_length=120)
    extractor = models.CharField("提取人", max_length=120)
    extracted_at = models.DateTimeField("提取时间")
    medium = models.CharField("介质", max_length=4, choices=DiscMedium.choices)
    label = models.CharField("卷标", max_length=32, blank=True)
    status = models.CharField("状态", max_length=10, choices=DiscStatus.choices, default=DiscStatus.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    image_path = models.CharField("镜像文件", max_length=500, blank=True)  # relative to DATA_DIR
    image_sha256 = models.CharField("镜像摘要", max_length=64, blank=True)
    image_size = models.BigIntegerField("镜像大小", null=True, blank=True)
    statement_sha256 = models.CharField("文字说明（PDF）摘要", max_length=64, blank=True)
    statement_item = models.ForeignKey(
        CaseFileItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # the statement as attached to the case file
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间")
    built_at = models.DateTimeField("完成时间", null=True, blank=True)
    error = models.TextField("错误", blank=True)
    # Progress a page can poll while the worker builds, and what the read-back verified.
    phase = models.CharField("当前步骤", max_length=40, blank=True)
    files_total = models.PositiveIntegerField("文件数", default=0)
    files_done = models.PositiveIntegerField("已写入文件数", default=0)
    bytes_total = models.BigIntegerField("需写入字节数", default=0)
    bytes_done = models.BigIntegerField("已写入字节数", default=0)
    digests = models.JSONField("光盘内各文件 SHA-256", default=dict, blank=True)  # disc path -> SHA-256
    verified_at = models.DateTimeField("最近一次校验时间", null=True, blank=True)
    verification = models.JSONField("最近一次校验结果", default=dict, blank=True)

    class Meta:
        verbose_name = "证据光盘"
        verbose_name_plural = "证据光盘"
        ordering = ["-requested_at", "-id"]
