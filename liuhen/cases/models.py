"""Leads, cases, stages, approvals, referrals and deadlines (clauses src-*, flow-*, doc-legal-review,
doc-collective-discussion, doc-internal-approval, time-filing-makeup-2wd).

A case follows the stages of its agency's policy profile at the version pinned when it was opened.
Acts that must never change afterwards (filing forms, approvals, not-filing decisions and notices,
timeline entries) are write-once (``liuhen.core.writeonce``): the ORM and the database refuse updates
and deletes, and ``manage.py verify`` compares each row with the seal in the ledger event that
created it (``liuhen.ledger.records``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liuhen.core.writeonce import WriteOnce

# ---------------------------------------------------------------- leads (案源)


class SourceKind(models.TextChoices):
    OWN_INSPECTION = "own_inspection", "自行检查发现"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    ASSIGNED = "assigned", "上级机关交办"
    REFERRED = "referred", "其他机关移送"
    OTHER = "other", "其他"


class SourceStatus(models.TextChoices):
    REGISTERED = "registered", "已登记待处理"
    FILED = "filed", "已立案"
    NOT_FILED = "not_filed", "不予立案"
    REFERRED = "referred", "已移送"


class CaseSource(models.Model):
    """案源登记: a lead, from the moment it reached the agency."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="case_sources")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    number = models.CharField("案源编号", max_length=64, unique=True)
    kind = models.CharField("案源类型", max_length=20, choices=SourceKind.choices)
    received_at = models.DateTimeField("获取时间")
    summary = models.TextField("线索内容")
    party_name = models.CharField("当事人", max_length=200, blank=True)
    party_info = models.TextField("当事人基本情况", blank=True)
    # Protected identity (投诉人、举报人): never shown to the party; who sees it is lead_policy's view_identity.
    reporter_name = models.CharField("投诉人/举报人", max_length=100, blank=True)
    reporter_contact = models.CharField("联系方式", max_length=100, blank=True)
    referring_body = models.CharField("交办/移送机关", max_length=200, blank=True)
    status = models.CharField("状态", max_length=20, choices=SourceStatus.choices, default=SourceStatus.REGISTERED)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "案源"
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"


class NotFilingDecision(WriteOnce):
    """不予立案: the decision and its reasons."""

    source = models.OneToOneField(CaseSource, on_delete=models.PROTECT, related_name="not_filing")
    reasons = models.TextField("不予立案理由")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by_name = models.CharField("决定人", max_length=60)
    decided_at = models.DateTimeField("决定时间")

    class Meta:
        verbose_name = "不予立案决定"


class NoticeMethod(models.TextChoices):
    PHONE = "phone", "电话"
    LETTER = "letter", "书面（信函）"
    IN_PERSON = "in_person", "当面告知"
    SMS = "sms", "短信"
    ONLINE = "online", "网上平台"
    OTHER = "other", "其他"


class NotFiledNotice(WriteOnce):
    """The notice of not filing to the complainant, informant or referring agency (who, how, when)."""

    source = models.ForeignKey(CaseSource, on_delete=models.PROTECT, related_name="not_filed_notices")
    recipient_kind = models.CharField("告知对象类别", max_length=20)  # complainant / informant / referring_agency
    recipient_name = models.CharField("告知对象", max_length=200)
    method = models.CharField("告知方式", max_length=20, choices=NoticeMethod.choices)
    notified_at = models.DateTimeField("告知时间")
    note = models.TextField("说明", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "不予立案告知"
        ordering = ["notified_at", "id"]


# ---------------------------------------------------------------- cases


class CaseStatus(models.TextChoices):
    PENDING_FILING = "pending_filing", "待立案审批"
    OPEN = "open", "办理中"
    SUSPENDED = "suspended", "中止"
    CLOSED = "closed", "已结案"
    REFERRED = "referred", "已移送"


class Procedure(models.TextChoices):
    ORDINARY = "ordinary", "一般程序"
    SUMMARY = "summary", "简易程序"


class Case(models.Model):
    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    number = models.CharField("案件编号", max_length=64, unique=True)
    enforcement_type = models.CharField("执法类别", max_length=20)
    profile_id = models.CharField("执法规则配置", max_length=64)
    profile_version = models.CharField("配置版本", max_length=32)
    procedure = models.CharField("程序", max_length=10, choices=Procedure.choices, default=Procedure.ORDINARY)
    title = models.CharField("案由/事项", max_length=300)
    party_name = models.CharField("当事人", max_length=200, blank=True)
    party_info = models.TextField("当事人基本情况", blank=True)
    source = models.ForeignKey(CaseSource, on_delete=models.PROTECT, null=True, blank=True, related_name="cases")
    status = models.CharField("状态", max_length=20, choices=CaseStatus.choices)
    stage = models.CharField("当前环节", max_length=64)
    urgent_start = models.BooleanField("紧急情况先行启动", default=False)
    urgent_reason = models.TextField("先行启动理由", blank=True)
    started_at = models.DateTimeField("程序启动时间")
    filed_at = models.DateTimeField("立案时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    archived_at = models.DateTimeField("归档时间", null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    handlers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="handled_cases", verbose_name="承办人")
    summary_record = models.JSONField("简易程序记录", default=dict, blank=True)
    version = models.PositiveIntegerField(default=0)  # bumped by every transition (optimistic checks)

    class Meta:
        verbose_name = "案件"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["agency", "status"]), models.Index(fields=["agency", "enforcement_type"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class CaseCounter(models.Model):
    """Next number per agency, kind (case / lead) and year; locked while numbering."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "kind", "year"], name="case_counter_unique")]


class StageVisit(models.Model):
    """One stay in a stage: entered (who, when, why) and left (who, when). Special stages overlap."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="visits")
    stage_id = models.CharField("环节", max_length=64)
    special = models.BooleanField("特别程序", default=False)
    entered_at = models.DateTimeField("进入时间")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("理由", blank=True)
    requested_days = models.PositiveIntegerField("申请延长天数", null=True, blank=True)
    left_at = models.DateTimeField("离开时间", null=True, blank=True)
    left_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField("结果", blank=True)

    class Meta:
        verbose_name = "环节记录"
        ordering = ["entered_at", "id"]


class FilingForm(WriteOnce):
    """立案（程序启动）审批表 as submitted; a correction is a new revision, the old one stays."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="filing_forms")
    revision = models.PositiveIntegerField("版本")
    form_type = models.CharField("文书类型", max_length=64)
    values = models.JSONField("填写内容")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("提交时间")

    class Meta:
        verbose_name = "立案审批表"
        ordering = ["revision"]
        constraints = [models.UniqueConstraint(fields=["case", "revision"], name="filing_form_revision_unique")]


class Decision(models.TextChoices):
    APPROVED = "approved", "同意"
    REJECTED = "rejected", "不同意"


class Approval(WriteOnce):
    """One approval act: who (name, certificate number), what kind, decision, opinion, when.

    Legal review keeps reviewer, opinion and suggestions; collective discussion its participants,
    minutes and conclusion; expert review the experts and their opinion. Never edited: a changed
    view is a new act.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="approvals")
    visit = models.ForeignKey(StageVisit, on_delete=models.PROTECT, related_name="approvals")
    stage_id = models.CharField("环节", max_length=64)
    kind = models.CharField("审批类别", max_length=32)
    decision = models.CharField("结论", max_length=10, choices=Decision.choices)
    opinion = models.TextField("意见")
    suggestions = models.TextField("建议", blank=True)
    participants = models.JSONField("参加人员", default=list, blank=True)
    minutes = models.TextField("讨论记录", blank=True)
    conclusion = models.TextField("讨论结论", blank=True)
    extend_days = models.PositiveIntegerField("批准延长天数", null=True, blank=True)
    filing_form = models.ForeignKey(FilingForm, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField("审批人", max_length=60)
    certificate_no = models.CharField("执法证件号", max_length=40, blank=True)
    acted_at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "审批记录"
        ordering = ["acted_at", "id"]


class ReceiverKind(models.TextChoices):
    AGENCY = "agency", "其他行政机关"
    PUBLIC_SECURITY = "public_security", "公安机关"
    JUDICIAL = "judicial", "司法机关"


class ReferralReason(models.TextChoices):
    JURISDICTION = "jurisdiction", "不属于本机关管辖"
    CRIME_SUSPECTED = "crime_suspected", "涉嫌犯罪"
    OBSTRUCTION = "obstruction", "以暴力、威胁等方法阻碍执法"
    OTHER = "other", "其他"


class Referral(models.Model):
    """移送: what was handed to which body, with which document, and the receiver's acknowledgement."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")
    source = models.ForeignKey(CaseSource, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")
    receiver_kind = models.CharField("接收机关类别", max_length=20, choices=ReceiverKind.choices)
    receiver_name = models.CharField("接收机关", max_length=200)
    reason = models.CharField("移送原因", max_length=20, choices=ReferralReason.choices)
    document_no = models.CharField("移送文书文号", max_length=100)
    items = models.TextField("移送材料")
    ends_case = models.BooleanField("本机关不再办理", default=True)
    sent_at = models.DateTimeField("移送时间")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField("接收时间", null=True, blank=True)
    acknowledged_by_name = models.CharField("接收人", max_length=100, blank=True)
    acknowledgement_note = models.TextField("回执说明", blank=True)

    class Meta:
        verbose_name = "移送记录"
        ordering = ["sent_at", "id"]


class DeadlineStatus(models.TextChoices):
    RUNNING = "running", "计时中"
    PAUSED = "paused", "中止计时"
    MET = "met", "按期完成"
    LATE = "late", "逾期完成"


class CaseDeadline(models.Model):
    """One running deadline of a case: counted from ``started_on`` by the profile's number and unit,
    paused by suspensions, moved by approved extensions, stopped by the event that meets it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deadlines")
    code = models.CharField("期限代码", max_length=64)
    label = models.CharField("期限", max_length=100)
    value = models.PositiveIntegerField("天数")
    unit = models.CharField("单位", max_length=20)  # working_days / calendar_days
    stop_event = models.CharField("终止事件", max_length=100)
    pausable = models.BooleanField(default=True)
    started_on = models.DateField("起算日")
    due_on = models.DateField("届满日")
    provisional = models.BooleanField("暂定", default=False)
    paused_since = models.DateField("中止起", null=True, blank=True)
    paused_days = models.PositiveIntegerField("中止天数", default=0)
    extended_days = models.PositiveIntegerField("延长天数", default=0)
    status = models.CharField("状态", max_length=10, choices=DeadlineStatus.choices, default=DeadlineStatus.RUNNING)
    stopped_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "案件期限"
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "code"], name="case_deadline_unique")]


class TimelineEntry(WriteOnce):
    """The case's whole process as people read it: one entry per recorded step, with its ledger event."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="timeline")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_name = models.CharField("操作人", max_length=120)
    action = models.CharField("动作", max_length=64)
    stage_id = models.CharField("环节", max_length=64, blank=True)
    summary = models.TextField("内容")
    ref_type = models.CharField(max_length=32, blank=True)
    ref_id = models.CharField(max_length=64, blank=True)
    event_seq = models.BigIntegerField("账本序号")

    class Meta:
        verbose_name = "案件过程记录"
        ordering = ["at", "id"]
