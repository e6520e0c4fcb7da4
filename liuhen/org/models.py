"""Agencies, departments, officers, users, role grants and API tokens."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models

from liuhen.org.rules import ROLE_LABELS


class Agency(models.Model):
    """行政执法机关: one legal entity; runs under one policy profile."""

    code = models.SlugField("代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200)
    short_name = models.CharField("简称", max_length=60, blank=True)
    profile_id = models.CharField("执法规则配置", max_length=64)
    region = models.CharField("地区", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "行政执法机关"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """科室 / 部门 / 执法机构 inside an agency."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="departments")
    code = models.SlugField("代码", max_length=64)
    name = models.CharField("名称", max_length=200)
    is_enforcement = models.BooleanField("执法机构", default=True)

    class Meta:
        verbose_name = "科室"
        ordering = ["agency", "code"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="department_code_unique")]

    def __str__(self) -> str:
        return self.name


class Officer(models.Model):
    """行政执法人员: holds an enforcement certificate printed on every record that names them."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="officers")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="officers", null=True)
    name = models.CharField("姓名", max_length=60)
    certificate_no = models.CharField("执法证件号", max_length=40, unique=True)
    certificate_issuer = models.CharField("发证机关", max_length=200)
    certificate_valid_from = models.DateField("证件有效期起")
    certificate_valid_until = models.DateField("证件有效期止")
    is_active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = "行政执法人员"
        ordering = ["agency", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.certificate_no}）"


class User(AbstractUser):
    """A person who logs in. Belongs to exactly one agency; may be an officer."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="users", null=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="users", null=True, blank=True)
    officer = models.OneToOneField(Officer, on_delete=models.PROTECT, related_name="user", null=True, blank=True)
    display_name = models.CharField("姓名", max_length=60, blank=True)

    class Meta:
        verbose_name = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        return frozenset(self.role_grants.values_list("role", flat=True))

    @property
    def role_labels(self) -> list[str]:
        return [ROLE_LABELS[r] for r in sorted(self.role_codes, key=list(ROLE_LABELS).index)]


class RoleGrant(models.Model):
    """A role held by a user. Grants and revocations are ledger events."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField("角色", max_length=32, choices=list(ROLE_LABELS.items()))
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "角色授予"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_grant_unique")]


class ApiToken(models.Model):
    """Token for machine clients (collection stations). Only the SHA-256 of the secret is kept."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="api_tokens")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField("名称", max_length=100)
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
