"""组织与用户接口 (org API), mounted at /api/org/.

The same services as the pages (三员分立 enforced there): the system administrator creates
departments, officers and users; the security administrator grants and revokes roles and issues
API tokens for collection stations. Every read goes through selectors and sees one agency only:
an object of another agency answers 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from liuhen.core.api import ERRORS, ErrorOut
from liuhen.core.errors import ValidationFailed
from liuhen.core.inputs import Id
from liuhen.org import rules, selectors, services
from liuhen.org.models import ApiToken, Officer, User
from liuhen.org.policies import account_policy

router = Router(tags=["组织与用户"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,return-value]


class MeOut(Schema):
    id: int = Field(description="用户编号")
    username: str = Field(description="用户名")
    display_name: str = Field(description="姓名")
    agency_code: str | None = Field(description="所属执法机关代码")
    agency_name: str | None = Field(description="所属执法机关名称")
    roles: list[str] = Field(description="角色代码")
    role_labels: list[str] = Field(description="角色名称（中文）")
    permissions: list[str] = Field(description="由角色得出的权限")


class DepartmentIn(Schema):
    code: str = Field(description="科室代码，机关内唯一", examples=["zfk"])
    name: str = Field(description="科室名称", examples=["执法一科"])
    is_enforcement: bool = Field(True, description="是否执法机构")


class DepartmentOut(Schema):
    id: int
    code: str = Field(description="科室代码")
    name: str = Field(description="科室名称")
    is_enforcement: bool = Field(description="是否执法机构")


class OfficerIn(Schema):
    department_id: Id | None = Field(None, description="科室编号（本机关）")
    name: str = Field(description="姓名")
    certificate_no: str = Field(description="执法证件号")
    certificate_issuer: str = Field(description="发证机关")
    certificate_valid_from: date = Field(description="证件有效期起")
    certificate_valid_until: date = Field(description="证件有效期止")


class OfficerOut(Schema):
    id: int
    department_id: int | None = Field(description="科室编号")
    name: str = Field(description="姓名")
    certificate_no: str = Field(description="执法证件号")
    certificate_issuer: str = Field(description="发证机关")
    certificate_valid_from: date = Field(description="证件有效期起")
    certificate_valid_until: date = Field(description="证件有效期止")
    certificate_status: str = Field(
        description="证件状态：valid 有效 / expiring 即将过期 / expired 已过期 / not_yet_valid 尚未生效"
    )

    @staticmethod
    def resolve_certificate_status(obj: Officer) -> str:
        return rules.certificate_status(obj.certificate_valid_from, obj.certificate_valid_until, timezone.localdate())


class UserIn(Schema):
    username: str = Field(description="用户名：3至64位字母、数字或 _ . -")
    display_name: str = Field(description="姓名")
    password: str = Field(description="初始密码（至少10位，不能过于简单）")
    department_id: Id | None = Field(None, description="科室编号（本机关）")
    officer_id: Id | None = Field(None, description="关联的执法人员编号（本机关）")


class UserOut(Schema):
    id: int
    username: str = Field(description="用户名")
    display_name: str = Field(description="姓名")
    department_id: int | None = Field(description="科室编号")
    officer_id: int | None = Field(description="关联执法人员编号")
    is_active: bool = Field(description="是否启用")
    roles: list[str] = Field(description="角色代码")

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return sorted(g.role for g in obj.role_grants.all())


class RoleIn(Schema):
    role: str = Field(description="角色代码：" + "，".join(f"{k} {v}" for k, v in rules.ROLE_LABELS.items()))


class TokenIn(Schema):
    name: str = Field(description="令牌名称，例如“一号采集站”")


class TokenOut(Schema):
    id: int
    name: str = Field(description="令牌名称")
    key_id: str = Field(description="令牌编号（公开部分）")
    user_id: int = Field(description="令牌代表的用户")
    created_at: datetime = Field(description="签发时间")
    last_used_at: datetime | None = Field(None, description="最近使用时间")
    revoked_at: datetime | None = Field(None, description="吊销时间；为空表示有效")


class TokenIssuedOut(TokenOut):
    token: str = Field(description="完整令牌，只在签发时返回一次；用法：Authorization: Bearer <令牌>")


@router.get(
    "/me",
    response={200: MeOut, 401: ErrorOut},
    summary="当前用户",
    description="令牌或会话所代表的用户及其角色、权限。",
)
def me(request: HttpRequest) -> Any:
    u = _actor(request)
    return {
        "id": u.pk,
        "username": u.username,
        "display_name": u.display_name,
        "agency_code": u.agency.code if u.agency else None,
        "agency_name": u.agency.name if u.agency else None,
        "roles": sorted(u.role_codes),
        "role_labels": u.role_labels,
        "permissions": sorted(rules.permissions_for(u.role_codes)),
    }


@router.get("/departments", response={200: list[DepartmentOut], 401: ErrorOut}, summary="本机关科室")
def department_list(request: HttpRequest) -> Any:
    return selectors.departments_visible_to(_actor(request))


@router.post("/departments", response={201: DepartmentOut, **ERRORS}, summary="新建科室", description="系统管理员。")
def department_create(request: HttpRequest, payload: DepartmentIn) -> Any:
    actor = _actor(request)
    dept = services.department_create(actor=actor, agency=actor.agency, **payload.dict())
    return 201, dept


@router.get("/officers", response={200: list[OfficerOut], 401: ErrorOut}, summary="本机关执法人员")
def officer_list(request: HttpRequest) -> Any:
    return selectors.officers_visible_to(_actor(request))


@router.post(
    "/officers",
    response={201: OfficerOut, **ERRORS},
    summary="登记执法人员",
    description="系统管理员。执法证件号全局唯一；有效期止不能早于有效期起。",
)
def officer_create(request: HttpRequest, payload: OfficerIn) -> Any:
    actor = _actor(request)
    data = payload.dict()
    dept_id = data.pop("department_id")
    department = selectors.department_get(actor, dept_id) if dept_id is not None else None
    officer = services.officer_create(actor=actor, agency=actor.agency, department=department, **data)
    return 201, officer


@router.get(
    "/users",
    response={200: list[UserOut], 401: ErrorOut, 403: ErrorOut},
    summary="本机关用户",
    description="系统管理员、安全保密管理员及有组织查看权限的角色。",
)
def user_list(request: HttpRequest) -> Any:
    actor = _actor(request)
    account_policy.require(actor, "view")
    return selectors.users_visible_to(actor)


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="用户详情")
def user_detail(request: HttpRequest, user_id: Id) -> Any:
    return selectors.user_get(_actor(request), user_id)


@router.post(
    "/users",
    response={201: UserOut, **ERRORS},
    summary="新建用户",
    description="系统管理员。新用户没有角色，角色由安全保密管理员授予。",
)
def user_create(request: HttpRequest, payload: UserIn) -> Any:
    actor = _actor(request)
    department = selectors.department_get(actor, payload.department_id) if payload.department_id else None
    officer = selectors.officer_get(actor, payload.officer_id) if payload.officer_id else None
    user = services.user_create(
        actor=actor,
        agency=actor.agency,
        username=payload.username,
        display_name=payload.display_name,
        password=payload.password,
        department=department,
        officer=officer,
    )
    return 201, user


@router.post(
    "/users/{user_id}/roles",
    response={200: UserOut, **ERRORS},
    summary="授予角色",
    description="安全保密管理员。违反三员分立的组合返回 409 role_conflict；执法角色须关联执法证件（422 officer_required）。",
)
def role_grant(request: HttpRequest, user_id: Id, payload: RoleIn) -> Any:
    actor = _actor(request)
    user = selectors.user_get(actor, user_id)
    account_policy.require(actor, "assign_roles")
    services.role_grant(actor=actor, user=user, role=payload.role)
    return selectors.user_get(actor, user_id)


@router.delete("/users/{user_id}/roles/{role}", response={200: UserOut, **ERRORS}, summary="撤销角色")
def role_revoke(request: HttpRequest, user_id: Id, role: str) -> Any:
    actor = _actor(request)
    user = selectors.user_get(actor, user_id)
    account_policy.require(actor, "assign_roles")
    if role not in rules.ROLE_LABELS:
        raise ValidationFailed(f"未知角色：{role}", code="role_unknown")
    services.role_revoke(actor=actor, user=user, role=role)
    return selectors.user_get(actor, user_id)


@router.get(
    "/tokens", response={200: list[TokenOut], **ERRORS}, summary="本机关接口令牌", description="安全保密管理员。"
)
def token_list(request: HttpRequest) -> Any:
    actor = _actor(request)
    account_policy.require(actor, "assign_roles")
    return selectors.api_tokens_visible_to(actor)


@router.post(
    "/users/{user_id}/tokens",
    response={201: TokenIssuedOut, **ERRORS},
    summary="签发接口令牌",
    description="安全保密管理员为采集站等业务账号签发令牌；完整令牌只返回这一次，系统只保存其摘要。不能为管理员签发。",
)
def token_issue(request: HttpRequest, user_id: Id, payload: TokenIn) -> Any:
    actor = _actor(request)
    user = selectors.user_get(actor, user_id)
    account_policy.require(actor, "assign_roles")
    token, raw = services.api_token_issue(actor=actor, user=user, name=payload.name)
    return 201, _token_dict(token) | {"token": raw}


@router.delete("/tokens/{token_id}", response={200: TokenOut, **ERRORS}, summary="吊销接口令牌")
def token_revoke(request: HttpRequest, token_id: Id) -> Any:
    actor = _actor(request)
    token = selectors.api_token_get(actor, token_id)
    services.api_token_revoke(actor=actor, token=token)
    return _token_dict(token)


def _token_dict(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "key_id": token.key_id,
        "user_id": token.user_id,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }
