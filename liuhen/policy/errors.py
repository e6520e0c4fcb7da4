"""Stable error codes of the policy app: unknown profile, broken profile, changed content without a new version."""

from __future__ import annotations

from dataclasses import dataclass

from liuhen.core.errors import Conflict, DomainError, NotFound


@dataclass(frozen=True)
class ProfileIssue:
    """One thing wrong with one profile file: ``<file>: <field path>: <what is wrong>`` (Chinese)."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}" if self.path else f"{self.file}: {self.message}"


class ProfileNotFound(NotFound):
    code = "policy_profile_unknown"
    message = "执法规则配置不存在"


class ProfileInvalid(DomainError):
    code = "policy_profile_invalid"
    status = 500
    message = "执法规则配置有误"

    def __init__(self, issues: list[ProfileIssue]) -> None:
        self.issues = list(issues)
        text = "；".join(str(i) for i in self.issues[:5])
        more = f"（另有 {len(self.issues) - 5} 处）" if len(self.issues) > 5 else ""
        super().__init__(f"执法规则配置有误：{text}{more}", issues=[str(i) for i in self.issues])


class ProfileVersionConflict(Conflict):
    code = "policy_profile_changed_without_version"
    message = "执法规则配置内容已改变，但版本号未变"


__all__ = ["ProfileInvalid", "ProfileIssue", "ProfileNotFound", "ProfileVersionConflict"]
