"""执法记录设备: the registry of recorders, who holds each one, pre-use checks, fault reports, repair
and retirement (clauses dev-equipment-provision, dev-precheck-time-sync, dev-failure-report,
dev-maintenance).

A ``Device`` row carries the device's current state (status, current holder) and changes only through
the services. Everything that happened to a device is a write-once row created with its ledger event
(``liuhen.devices.apps`` registers them with ``manage.py verify``): an assignment and its return, a
pre-use check, a fault report, a repair or retirement step. The current state can always be explained
by these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liuhen.core.writeonce import WriteOnce


class DeviceKind(models.TextChoices):
    BODY_CAMERA = "body_camera", "执法记录仪"
    AUDIO_RECORDER = "audio_recorder", "录音设备"
    FIXED_CAMERA = "fixed_camera", "固定视频监控"
    OTHER = "other", "其他音像记录设备"


class DeviceStatus(models.TextChoices):
    IN_SERVICE = "in_service", "在用"
    FAULTY = "faulty", "故障"
    UNDER_REPAIR = "under_repair", "维修中"
    RETIRED = "retired", "已报废"


class Device(models.Model):
    """A recorder of one agency, known by its serial number (normalised: trimmed, upper case)."""

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="devices")
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="devices"
    )
    serial = models.CharField("设备序列号", max_length=64)
    model = models.CharField("型号", max_length=100, blank=True)
    kind = models.CharField("设备类型", max_length=20, choices=DeviceKind.choices)
    location = models.CharField("安装位置", max_length=200, blank=True)  # fixed cameras: 窗口、听证室、询问室
    status = models.CharField("状态", max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.IN_SERVICE)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="devices_held"
    )  # current holder; mirrors the open DeviceAssignment
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField("登记时间")
    note = models.CharField("备注", max_length=300, blank=True)

    class Meta:
        verbose_name = "执法记录设备"
        ordering = ["agency", "serial"]
        constraints = [models.UniqueConstraint(fields=["agency", "serial"], name="device_serial_unique_per_agency")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"


class DeviceAssignment(WriteOnce):
    """配发: a device handed to an officer. Open until a ``DeviceReturn`` names it."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="assignments")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    holder_name = models.CharField("领用人", max_length=60)
    certificate_no = models.CharField("执法证件号", max_length=40, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField("配发时间")
    note = models.CharField("备注", max_length=300, blank=True)

    class Meta:
        verbose_name = "设备配发"
        ordering = ["-assigned_at", "-id"]


class DeviceReturn(WriteOnce):
    """收回: the end of one assignment (returned, reassigned or the device retired)."""

    assignment = models.OneToOneField(DeviceAssignment, on_delete=models.PROTECT, related_name="ended")
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField("收回时间")
    note = models.CharField("备注", max_length=300, blank=True)

    class Meta:
        verbose_name = "设备收回"
        ordering = ["-returned_at", "-id"]


class CheckResult(models.TextChoices):
    PASSED = "passed", "检查通过"
    FAILED = "failed", "检查未通过"


class PreUseCheck(WriteOnce):
    """使用前检查 (dev-precheck-time-sync): function, battery, storage space, clock calibrated."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="checks")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    officer_name = models.CharField("检查人", max_length=60)
    checked_at = models.DateTimeField("检查时间")
    function_ok = models.BooleanField("设备性能正常")
    battery_ok = models.BooleanField("电量充足")
    storage_ok = models.BooleanField("存储空间充足")
    clock_calibrated = models.BooleanField("系统时间已校准")
    result = models.CharField("结果", max_length=10, choices=CheckResult.choices)
    note = models.CharField("说明", max_length=300, blank=True)
    recorded_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "使用前检查"
        ordering = ["-checked_at", "-id"]

    @property
    def passed(self) -> bool:
        return self.result == CheckResult.PASSED


class FaultKind(models.TextChoices):
    FAULT = "fault", "设备故障"
    DAMAGE = "damage", "设备损坏"
    LOSS = "loss", "设备遗失"


class FaultReport(WriteOnce):
    """故障、损坏、遗失报告 (dev-failure-report): reported to the superior at once.

    Resolved by the next repair-done or retirement step of the device (see selectors).
    """

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="faults")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reporter_name = models.CharField("报告人", max_length=60)
    kind = models.CharField("类别", max_length=10, choices=FaultKind.choices)
    description = models.TextField("情况说明")
    occurred_at = models.DateTimeField("发生时间")
    reported_at = models.DateTimeField("报告时间")
    status_before = models.CharField("报告前状态", max_length=20, choices=DeviceStatus.choices)
    notified = models.JSONField("已通知", default=list)  # [{"id": user id, "name": ..., "role": ...}]
    notice_required = models.BooleanField("本机关规定须向上级报告", default=False)

    class Meta:
        verbose_name = "设备故障报告"
        ordering = ["-reported_at", "-id"]


class StatusStep(models.TextChoices):
    REPAIR_STARTED = "repair_started", "送修"
    REPAIRED = "repaired", "维修完成"
    RETIRED = "retired", "报废"


class DeviceStatusChange(WriteOnce):
    """A repair or retirement step (dev-maintenance)."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="status_changes")
    step = models.CharField("事项", max_length=20, choices=StatusStep.choices)
    status_before = models.CharField("原状态", max_length=20, choices=DeviceStatus.choices)
    status_after = models.CharField("新状态", max_length=20, choices=DeviceStatus.choices)
    note = models.CharField("说明", max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField("经办人", max_length=60)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "设备维修与报废"
        ordering = ["-at", "-id"]
