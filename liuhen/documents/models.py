"""Text records (文书): drafts, finalised versions, signatures, paper scans and deliveries.

Clauses doc-text-primary, doc-standard-templates, doc-signatures, doc-refusal-record,
doc-officer-credentials-in-transcript, integ-no-tamper-original. A document is drafted from a form of
the agency's catalogue (the profile's ``document_types``), then finalised: the PDF and the
structured data become blobs whose hashes go into the ledger, and that version never changes. A
correction is a new version with its reason; the old one stays. Signatures and refusals to sign are
write-once acts, as are finalised versions; ``manage.py verify`` compares each with its event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liuhen.core.writeonce import WriteOnce


class DocumentKind(models.TextChoices):
    ELECTRONIC = "electronic", "电子文书"
    PAPER = "paper", "纸质文书扫描件"


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    FINAL = "final", "已定稿"
    CORRECTING = "correcting", "更正中"


class Document(models.Model):
    """One document of a case across its versions; the draft lives here until it is finalised."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField("文书类型", max_length=64)
    doc_name = models.CharField("文书名称", max_length=100)
    stage_id = models.CharField("环节", max_length=64)
    kind = models.CharField("形式", max_length=12, choices=DocumentKind.choices, default=DocumentKind.ELECTRONIC)
    number = models.CharField("文书编号", max_length=100, unique=True)
    status = models.CharField("状态", max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT)
    draft_values = models.JSONField("草稿内容", default=dict, blank=True)
    draft_updated_at = models.DateTimeField("草稿保存时间")
    draft_updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    correction_reason = models.TextField("更正理由", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间")
    version_count = models.PositiveIntegerField("定稿版本数", default=0)
    responds_to = models.ForeignKey(
        "self",
        verbose_name="针对的文书",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answers",
        help_text="复核意见等答复性文书所针对的陈述申辩笔录（doc-defense-review）",
    )

    class Meta:
        verbose_name = "文书"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "doc_type"])]

    def __str__(self) -> str:
        return f"{self.number} {self.doc_name}"

    @property
    def current_version(self) -> DocumentVersion | None:
        return self.versions.order_by("-version").first()


class DocumentVersion(WriteOnce):
    """A finalised version: its data, PDF and (for paper) scan are blobs; nothing in it changes."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField("版本")
    values = models.JSONField("内容")
    reason = models.TextField("更正理由", blank=True)
    data_sha256 = models.CharField("结构化数据摘要", max_length=64)
    pdf_sha256 = models.CharField("PDF 摘要", max_length=64, blank=True)
    scan_sha256 = models.CharField("扫描件摘要", max_length=64, blank=True)
    sealed = models.BooleanField("已加盖电子印章", default=False)
    signature_ids = models.JSONField("签名", default=list)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    finalised_by_name = models.CharField("定稿人", max_length=60)
    finalised_at = models.DateTimeField("定稿时间")

    class Meta:
        verbose_name = "文书定稿版本"
        ordering = ["document", "version"]
        constraints = [models.UniqueConstraint(fields=["document", "version"], name="document_version_unique")]


class Signature(WriteOnce):
    """A signature (handwritten on screen, or on paper and scanned) or the refusal to sign, with its witness."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField("签名人身份", max_length=20)  # liuhen.policy.schema.SIGNERS
    signer_name = models.CharField("签名人", max_length=100)
    image_sha256 = models.CharField("签名图像摘要", max_length=64, blank=True)
    refused = models.BooleanField("拒绝签名", default=False)
    refusal_reason = models.TextField("拒签理由", blank=True)
    witness_name = models.CharField("见证人", max_length=100, blank=True)
    witness_image_sha256 = models.CharField("见证人签名图像摘要", max_length=64, blank=True)
    captured_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    captured_at = models.DateTimeField("签名时间")
    for_version = models.PositiveIntegerField("用于第几版", default=1)

    class Meta:
        verbose_name = "签名"
        ordering = ["captured_at", "id"]


class DeliveryMethod(models.TextChoices):
    """送达方式 (GLOSSARY delivery codes)."""

    DIRECT = "direct", "直接送达"
    LEFT_AT_PREMISES = "left_at_premises", "留置送达"
    ENTRUSTED = "entrusted", "委托送达"
    FORWARDED = "forwarded", "转交送达"
    POSTAL = "postal", "邮寄送达"
    ELECTRONIC = "electronic", "电子送达（传真、电子邮件）"
    PUBLIC_NOTICE = "public_notice", "公告送达"


class Delivery(WriteOnce):
    """One delivery (送达) of a finalised version, with the proof its method requires.

    Clauses doc-service-direct, doc-service-lien, doc-service-entrusted, doc-service-mail,
    doc-service-electronic, doc-service-public-notice. ``complete`` is computed by
    ``liuhen.documents.delivery`` from the method's rules when the row is written; a correction is a
    new row that ``supersedes`` this one.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="deliveries")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="deliveries")
    method = models.CharField("送达方式", max_length=20, choices=DeliveryMethod.choices)
    recipient = models.CharField("受送达人", max_length=200)
    signer_name = models.CharField("签收人", max_length=100, blank=True)  # when not the recipient
    signer_relation = models.CharField("签收人与受送达人的关系", max_length=100, blank=True)
    deliverers = models.CharField("送达人", max_length=200)
    delivered_at = models.DateTimeField("送达时间")
    address = models.CharField("送达地点", max_length=300, blank=True)
    # Refusal (留置送达)
    refusal_reason = models.TextField("拒收事由", blank=True)
    refusal_date = models.DateField("拒收日期", null=True, blank=True)
    witnesses = models.JSONField("见证人", default=list, blank=True)
    # Method-specific facts (mail number, carrier, fax number, notice medium, reasons ...) and the
    # proof files: [{"kind": "receipt_scan", "sha256": ..., "name": ..., "size": ...}, ...]
    proof = models.JSONField("送达情况", default=dict, blank=True)
    proof_files = models.JSONField("送达证明文件", default=list, blank=True)
    complete = models.BooleanField("送达证明齐全")
    missing = models.JSONField("尚缺事项", default=list, blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    correction_reason = models.TextField("更正理由", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by_name = models.CharField("记录人", max_length=60)
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "送达记录"
        ordering = ["delivered_at", "id"]
        indexes = [models.Index(fields=["case", "method"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.recipient}"
