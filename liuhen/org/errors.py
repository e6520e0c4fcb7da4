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


class BusinessDataForbidden(PermissionDenied):
    code = "admin_business_forbidden"
    message = "三员分立：系统管理员、安全保密管理员和安全审计员不查看、不办理执法业务数据"


class RoleNotPermitted(PermissionDenied):
    code = "role_not_permitted"
    message = "您的角色无权查看或办理这类数据"


class TokenInvalid(DomainError):
    code = "token_invalid"
    status = 401
    message = "接口令牌无效"


class TokenMalformed(DomainError):
    code = "token_malformed"
    status = 401
    message = "接口令牌格式错误，应为 “Authorization: Bearer lh_<编号>_<密钥>”"


__all__ = [
    "BusinessDataForbidden",
    "CrossAgency",
    "NotFound",
    "OfficerRequired",
    "PermissionDenied",
    "RoleConflict",
    "RoleNotPermitted",
    "TokenInvalid",
    "TokenMalformed",
    "ValidationFailed",
]
