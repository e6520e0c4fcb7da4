"""Stable error codes of the org app."""

from liuhen.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed


class RoleConflict(Conflict):
    code = "role_conflict"
    message = "角色冲突"


class CrossAgency(PermissionDenied):
    code = "cross_agency"
    message = "不能操作其他执法机关的数据"


class OfficerRequired(ValidationFailed):
    code = "officer_required"
    message = "执法角色须由持有执法证件的执法人员担任"


class TokenInvalid(DomainError):
    code = "token_invalid"
    status = 401
    message = "接口令牌无效"


class TokenMalformed(DomainError):
    code = "token_malformed"
    status = 401
    message = "接口令牌格式错误，应为 “Authorization: Bearer lh_<编号>_<密钥>”"


__all__ = [
    "CrossAgency",
    "NotFound",
    "OfficerRequired",
    "PermissionDenied",
    "RoleConflict",
    "TokenInvalid",
    "TokenMalformed",
    "ValidationFailed",
]
