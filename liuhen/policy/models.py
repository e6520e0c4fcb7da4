"""Data the policy app keeps in the database."""

from __future__ import annotations

from django.db import models


class CalendarDay(models.Model):
    """One day of the State Council holiday calendar entered by an administrator.

    Used for years the ``chinese-calendar`` package does not know yet. A day listed here overrides
    the package: ``is_working_day`` False for a holiday, True for a make-up working day (调休上班).
    """

    day = models.DateField("日期", unique=True)
    is_working_day = models.BooleanField("是否工作日")
    name = models.CharField("节日或说明", max_length=60, blank=True)
    set_by = models.ForeignKey("org.User", on_delete=models.PROTECT, null=True, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "工作日历"
        ordering = ["day"]


class CalendarYear(models.Model):
    """A year whose whole holiday table an administrator has entered (so it is no longer provisional)."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("依据", max_length=200, help_text="例如：国务院办公厅关于2027年部分节假日安排的通知")
    confirmed_by = models.ForeignKey("org.User", on_delete=models.PROTECT, null=True, related_name="+")
    confirmed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "已录入年度"
        ordering = ["year"]


class ProfileSnapshot(models.Model):
    """One version of a policy profile as first seen; cases pin the version they were opened under.

    Written only through :func:`liuhen.policy.snapshots.profile_snapshot_register`, which records a
    ledger event. A version's content never changes: a different digest under the same version is refused.
    """

    profile_id = models.CharField("配置编号", max_length=64)
    version = models.CharField("版本", max_length=32)
    sha256 = models.CharField("内容摘要（SHA-256）", max_length=64)
    content = models.JSONField("配置内容（规范化）")
    recorded_at = models.DateTimeField("首次登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "执法规则配置版本"
        ordering = ["profile_id", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["profile_id", "version"], name="profile_snapshot_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} v{self.version}"
