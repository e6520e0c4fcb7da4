"""Writes to the organisation: each service owns its transaction and writes its ledger event."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from liuhen.ledger.services import record
from liuhen.org import rules
from liuhen.org.errors import (
    CrossAgency,
    OfficerRequired,
    RoleConflict,
    TokenInvalid,
    TokenMalformed,
    ValidationFailed,
)
from liuhen.org.models import Agency, ApiToken, Department, Officer, RoleGrant, User
from liuhen.org.policies import account_policy
from liuhen.policy.loader import get_profile

SYSTEM = None  # actor for set-up steps run by the system itself


def _allowed(actor: User | None, action: str) -> None:
    """The account policy's answer; the system itself (``SYSTEM``, set-up steps) may do everything."""
    if actor is not SYSTEM:
        account_policy.require(actor, action)


def _same_agency(actor: User | None, agency_id: int | None) -> None:
    if actor is not None and actor.agency_id != agency_id:
        raise CrossAgency()


def agency_create(
    *, actor: User | None, code: str, name: str, profile_id: str, short_name: str = "", region: str = ""
) -> Agency:
    get_profile(profile_id)  # a profile that does not load is refused here
    with transaction.atomic():
        agency = Agency.objects.create(
            code=code, name=name, profile_id=profile_id, short_name=short_name, region=region
        )
        record(
            actor=actor,
            action="agency.created",
            obj_type="agency",
            obj_id=agency.pk,
            agency_id=agency.pk,
            payload={"code": code, "name": name, "profile_id": profile_id},
        )
    return agency


def department_create(
    *, actor: User | None, agency: Agency, code: str, name: str, is_enforcement: bool = True
) -> Department:
    _allowed(actor, "manage")
    _same_agency(actor, agency.pk)
    with transaction.atomic():
        dept = Department.objects.create(agency=agency, code=code, name=name, is_enforcement=is_enforcement)
        record(
            actor=actor,
            action="department.created",
            obj_type="department",
            obj_id=dept.pk,
            agency_id=agency.pk,
            payload={"code": code, "name": name},
        )
    return dept


def officer_create(
    *,
    actor: User | None,
    agency: Agency,
    department: Department | None,
    name: str,
    certificate_no: str,
    certificate_issuer: str,
    certificate_valid_from: date,
    certificate_valid_until: date,
) -> Officer:
    _allowed(actor, "manage")
    _same_agency(actor, agency.pk)
    if department is not None and department.agency_id != agency.pk:
        raise CrossAgency("科室不属于该执法机关")
    certificate_no = certificate_no.strip()
    if not certificate_no:
        raise ValidationFailed("执法证件号不能为空", code="certificate_no_required")
    if certificate_valid_until < certificate_valid_from:
        raise ValidationFailed("执法证件有效期止不能早于有效期起", code="certificate_dates_invalid")
    try:
        with transaction.atomic():
            officer = Officer.objects.create(
                agency=agency,
                department=department,
                name=name,
                certificate_no=certificate_no,
                certificate_issuer=certificate_issuer,
                certificate_valid_from=certificate_valid_from,
                certificate_valid_until=certificate_valid_until,
            )
            record(
                actor=actor,
                action="officer.created",
                obj_type="officer",
                obj_id=officer.pk,
                agency_id=agency.pk,
                payload={
                    "name": name,
                    "certificate_no": certificate_no,
                    "certificate_issuer": certificate_issuer,
                    "valid_from": certificate_valid_from.isoformat(),
                    "valid_until": certificate_valid_until.isoformat(),
                },
            )
    except IntegrityError as exc:
        raise ValidationFailed(f"执法证件号 {certificate_no} 已登记", code="certificate_no_taken") from exc
    return officer


_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


def user_create(
    *,
    actor: User | None,
    agency: Agency,
    username: str,
    display_name: str,
    password: str,
    department: Department | None = None,
    officer: Officer | None = None,
) -> User:
    """Create a log-in account in ``agency``. Roles are granted separately by the security admin."""
    _allowed(actor, "manage")
    _same_agency(actor, agency.pk)
    if not _USERNAME_RE.match(username):
        raise ValidationFailed("用户名须为3至64位字母、数字或 _ . -", code="username_invalid")
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(f"用户名 {username} 已存在", code="username_taken")
    for related in (department, officer):
        if related is not None and related.agency_id != agency.pk:
            raise CrossAgency("科室或执法人员不属于该执法机关")
    if officer is not None and User.objects.filter(officer=officer).exists():
        raise ValidationFailed(f"执法人员 {officer.name} 已有登录账号", code="officer_has_account")
    user = User(username=username, display_name=display_name, agency=agency, department=department, officer=officer)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed("密码不符合要求：" + "；".join(exc.messages), code="password_weak") from exc
    user.set_password(password)
    with transaction.atomic():
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:  # a concurrent create took the name or the officer first
            raise ValidationFailed(f"用户名 {username} 或所选执法人员已被占用", code="username_taken") from exc
        record(
            actor=actor,
            action="user.created",
            obj_type="user",
            obj_id=user.pk,
            agency_id=agency.pk,
            payload={"username": username, "display_name": display_name, "officer_id": officer.pk if officer else None},
        )
    return user


def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
    _allowed(actor, "manage")
    _same_agency(actor, user.agency_id)
    if actor is not None and actor.pk == user.pk and not active:
        raise ValidationFailed("不能停用自己的账号", code="self_deactivation")
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        record(
            actor=actor,
            action="user.reactivated" if active else "user.deactivated",
            obj_type="user",
            obj_id=user.pk,
            agency_id=user.agency_id,
        )
    return user


def user_password_set(*, actor: User | None, user: User, password: str) -> User:
    """Set a new password for ``user`` (system administrator). The ledger records that, never the password."""
    _allowed(actor, "manage")
    _same_agency(actor, user.agency_id)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed("密码不符合要求：" + "；".join(exc.messages), code="password_weak") from exc
    user.set_password(password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        record(actor=actor, action="user.password_set", obj_type="user", obj_id=user.pk, agency_id=user.agency_id)
    return user


def role_grant(*, actor: User | None, user: User, role: str) -> RoleGrant:
    """Grant a role (security administrator). Refuses combinations that break 三员分立."""
    _allowed(actor, "assign_roles")
    _same_agency(actor, user.agency_id)
    with transaction.atomic():
        held = set(RoleGrant.objects.select_for_update().filter(user=user).values_list("role", flat=True))
        if role in held:
            return RoleGrant.objects.get(user=user, role=role)
        if why := rules.role_conflict(held, role):
            raise RoleConflict(why, role=role)
        if role in rules.OFFICER_ROLES and user.officer_id is None:
            raise OfficerRequired(f"{rules.ROLE_LABELS[role]}须由已登记执法证件的执法人员担任")
        grant = RoleGrant.objects.create(user=user, role=role, granted_by=actor)
        record(
            actor=actor,
            action="role.granted",
            obj_type="user",
            obj_id=user.pk,
            agency_id=user.agency_id,
            payload={"role": role},
        )
    user.__dict__.pop("role_codes", None)
    return grant


def role_revoke(*, actor: User | None, user: User, role: str) -> None:
    _allowed(actor, "assign_roles")
    _same_agency(actor, user.agency_id)
    with transaction.atomic():
        deleted, _ = RoleGrant.objects.filter(user=user, role=role).delete()
        if deleted:
            record(
                actor=actor,
                action="role.revoked",
                obj_type="user",
                obj_id=user.pk,
                agency_id=user.agency_id,
                payload={"role": role},
            )
    user.__dict__.pop("role_codes", None)


TOKEN_PREFIX = "lh"
_TOKEN_RE = re.compile(r"^lh_([0-9a-f]{12})_([A-Za-z0-9_-]{32,64})$")


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_issue(*, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for a machine client acting as ``user``. The full token is shown once only."""
    _allowed(actor, "assign_roles")
    _same_agency(actor, user.agency_id)
    if why := rules.token_holder_refusal(user.role_codes):
        raise ValidationFailed(why, code="token_holder_refused")
    if not user.is_active:
        raise ValidationFailed("不能为已停用的用户签发接口令牌", code="token_user_inactive")
    name = name.strip()
    if not name:
        raise ValidationFailed("令牌名称不能为空", code="token_name_required")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            agency_id=user.agency_id,
            user=user,
            name=name,
            key_id=key_id,
            secret_hash=_hash_secret(secret),
            created_by=actor,
        )
        record(
            actor=actor,
            action="api_token.issued",
            obj_type="api_token",
            obj_id=token.pk,
            agency_id=user.agency_id,
            payload={"name": name, "key_id": key_id, "user_id": user.pk},
        )
    return token, f"{TOKEN_PREFIX}_{key_id}_{secret}"


def api_token_revoke(*, actor: User | None, token: ApiToken) -> None:
    _allowed(actor, "assign_roles")
    _same_agency(actor, token.agency_id)
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            actor=actor, action="api_token.revoked", obj_type="api_token", obj_id=token.pk, agency_id=token.agency_id
        )


def _locked_out(user: User) -> bool:
    """Whether log-in is locked for ``user`` (django-axes: the failure limit reached within the cool-off,
    from any address): a token must not keep working for an account someone is guessing at."""
    if not settings.AXES_ENABLED:
        return False
    attempts = AccessAttempt.objects.filter(
        username=user.username, failures_since_start__gte=get_failure_limit(None, None)
    )
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts.exists()


def api_token_authenticate(raw: str) -> User:
    """The user a presented token acts for; raises TokenMalformed or TokenInvalid (also when the user is
    inactive, locked out, no longer of the token's agency or holds no role: the token dies with the account)."""
    match = _TOKEN_RE.match(raw.strip())
    if not match:
        raise TokenMalformed()
    key_id, secret = match.groups()
    token = ApiToken.objects.select_related("user").filter(key_id=key_id, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash_secret(secret)):
        raise TokenInvalid()
    user = token.user
    if not user.is_active:
        raise TokenInvalid(
            "令牌所属用户已停用；请安全保密管理员为在职的业务账号另行签发令牌", code="token_user_inactive"
        )
    if user.agency_id is None or user.agency_id != token.agency_id or not user.role_codes:
        raise TokenInvalid(
            "令牌所属用户已不在签发令牌的执法机关任职或已没有任何角色；请安全保密管理员另行签发令牌",
            code="token_user_removed",
        )
    if rules.token_holder_refusal(user.role_codes):
        raise TokenInvalid("令牌所属用户现为管理员，令牌不再有效", code="token_holder_refused")
    if _locked_out(user):
        raise TokenInvalid(
            "令牌所属用户因连续登录失败已被锁定，锁定期间令牌不能使用；请待锁定解除，或请安全保密管理员核实后解除锁定",
            code="token_user_locked",
        )
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return user
