"""三员分立: the system, security and audit administrators each do their own job and nothing else.

- system administrator: creates users; cannot grant roles; cannot read the audit trail;
- security administrator: grants roles; cannot create users; cannot read the audit trail;
- audit administrator: reads the audit trail; cannot manage users or roles;
- nobody holds two of the three, nor one of them plus a business role (rules.role_conflict).
"""

from __future__ import annotations

import itertools

import pytest

from liuhen.core.errors import PermissionDenied
from liuhen.org import rules, services
from liuhen.org.errors import RoleConflict
from liuhen.org.models import RoleGrant, User
from liuhen.org.rules import ADMIN_ROLES, BUSINESS_ROLES, Role


@pytest.fixture
def agency(make_agency):
    return make_agency("sep-a")


@pytest.fixture
def admins(agency, make_user):
    return {
        "system": make_user(agency, Role.SYSTEM_ADMIN, username="sysadmin"),
        "security": make_user(agency, Role.SECURITY_ADMIN, username="secadmin"),
        "audit": make_user(agency, Role.AUDIT_ADMIN, username="auditadmin"),
    }


def _new_user_post(username: str) -> dict[str, str]:
    return {
        "username": username,
        "display_name": "新人",
        "password1": "Newuser-2026-pw",
        "password2": "Newuser-2026-pw",
    }


def _as(client, user):
    client.force_login(user)
    return client


# --- system administrator ---------------------------------------------------------------------


def test_system_admin__creates_users(client, admins):
    r = _as(client, admins["system"]).post("/org/users/new/", _new_user_post("made.by.sys"))
    assert r.status_code == 302
    assert User.objects.filter(username="made.by.sys").exists()


def test_system_admin__cannot_grant_roles(client, agency, admins, make_user):
    target = make_user(agency)
    r = _as(client, admins["system"]).post(f"/org/users/{target.pk}/roles/grant/", {"role": Role.OFFICER})
    assert r.status_code == 403 and "只有安全保密管理员" in r.content.decode()
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=admins["system"], user=target, role=Role.SUPERVISOR)
    assert not RoleGrant.objects.filter(user=target).exists()


def test_system_admin__cannot_read_the_audit_trail(client, admins):
    r = _as(client, admins["system"]).get("/ledger/audit/")
    assert r.status_code == 403
    labels = [label for label, _ in r.context["nav_items"]]
    assert "组织与用户" in labels and "审计日志" not in labels


def test_system_admin__cannot_issue_tokens(client, agency, admins, make_user):
    station = make_user(agency, Role.OFFICER)
    r = _as(client, admins["system"]).post(f"/org/users/{station.pk}/tokens/new/", {"name": "x"})
    assert r.status_code == 403
    assert not station.api_tokens.exists()


# --- security administrator -------------------------------------------------------------------


def test_security_admin__grants_roles(client, agency, admins, make_user):
    target = make_user(agency, Role.OFFICER)
    _as(client, admins["security"]).post(f"/org/users/{target.pk}/roles/grant/", {"role": Role.LEGAL_REVIEWER})
    assert RoleGrant.objects.filter(user=target, role=Role.LEGAL_REVIEWER).exists()


def test_security_admin__cannot_create_users(client, admins, agency):
    c = _as(client, admins["security"])
    assert c.get("/org/users/new/").status_code == 403
    r = c.post("/org/users/new/", _new_user_post("made.by.sec"))
    assert r.status_code == 403 and "只有系统管理员" in r.content.decode()
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=admins["security"], agency=agency, username="x.y.z", display_name="x", password="Xyz-2026-pass"
        )
    assert not User.objects.filter(username__in=["made.by.sec", "x.y.z"]).exists()


def test_security_admin__cannot_deactivate_or_reset_passwords(client, agency, admins, make_user):
    target = make_user(agency, Role.OFFICER)
    c = _as(client, admins["security"])
    assert c.post(f"/org/users/{target.pk}/active/", {"active": "0"}).status_code == 403
    assert (
        c.post(
            f"/org/users/{target.pk}/password/", {"password1": "A-2026-pass!", "password2": "A-2026-pass!"}
        ).status_code
        == 403
    )
    target.refresh_from_db()
    assert target.is_active and not target.check_password("A-2026-pass!")


def test_security_admin__cannot_read_the_audit_trail(client, admins):
    assert _as(client, admins["security"]).get("/ledger/audit/").status_code == 403


# --- audit administrator ----------------------------------------------------------------------


def test_audit_admin__reads_the_audit_trail(client, admins):
    r = _as(client, admins["audit"]).get("/ledger/audit/")
    assert r.status_code == 200
    labels = [label for label, _ in r.context["nav_items"]]
    assert "审计日志" in labels and "组织与用户" not in labels


@pytest.mark.parametrize("path", ["/org/", "/org/users/new/", "/org/officers/new/", "/org/departments/new/"])
def test_audit_admin__cannot_reach_user_or_role_management(client, admins, path):
    r = _as(client, admins["audit"]).get(path)
    assert r.status_code == 403
    assert "无权访问" in r.content.decode()


def test_audit_admin__cannot_grant_roles_or_create_users(client, agency, admins, make_user):
    target = make_user(agency, Role.OFFICER)
    c = _as(client, admins["audit"])
    assert c.post(f"/org/users/{target.pk}/roles/grant/", {"role": Role.SUPERVISOR}).status_code == 403
    assert c.post(f"/org/users/{target.pk}/roles/revoke/", {"role": Role.OFFICER}).status_code == 403
    assert c.post("/org/users/new/", _new_user_post("made.by.audit")).status_code == 403
    assert c.get(f"/org/users/{target.pk}/").status_code == 403
    assert target.role_codes == frozenset({Role.OFFICER})
    assert not User.objects.filter(username="made.by.audit").exists()
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=admins["audit"], user=target, role=Role.SUPERVISOR)


def test_audit_admin__api_refuses_user_listing_and_role_changes(client, agency, admins, make_user):
    target = make_user(agency, Role.OFFICER)
    c = _as(client, admins["audit"])
    assert c.get("/api/org/users").status_code == 403
    assert c.get("/api/org/tokens").status_code == 403
    r = c.post(f"/api/org/users/{target.pk}/roles", {"role": "supervisor"}, content_type="application/json")
    assert r.status_code == 403
    assert target.role_codes == frozenset({Role.OFFICER})


# --- role combinations --------------------------------------------------------------------------


@pytest.mark.parametrize(("held", "new"), list(itertools.permutations(sorted(ADMIN_ROLES), 2)))
def test_role_grant__refuses_two_admin_roles(agency, admins, make_user, held, new):
    user = make_user(agency, held)
    with pytest.raises(RoleConflict) as exc:
        services.role_grant(actor=admins["security"], user=user, role=new)
    assert exc.value.message.startswith("三员分立")
    assert user.role_codes == frozenset({held})


@pytest.mark.parametrize("admin_role", sorted(ADMIN_ROLES))
@pytest.mark.parametrize("business_role", sorted(BUSINESS_ROLES))
def test_role_conflict__admin_and_business_roles_never_combine(admin_role, business_role):
    assert rules.role_conflict({admin_role}, business_role) is not None
    assert rules.role_conflict({business_role}, admin_role) is not None


@pytest.mark.parametrize("business_role", sorted(BUSINESS_ROLES))
def test_role_grant__refuses_business_role_to_an_admin_in_the_service(agency, admins, make_user, business_role):
    user = make_user(agency, Role.SYSTEM_ADMIN)
    with pytest.raises(RoleConflict):
        services.role_grant(actor=admins["security"], user=user, role=business_role)
    assert user.role_codes == frozenset({Role.SYSTEM_ADMIN})


def test_role_grant__business_roles_combine_freely(agency, admins, make_user):
    user = make_user(agency, Role.OFFICER)
    services.role_grant(actor=admins["security"], user=user, role=Role.DEPARTMENT_HEAD)
    services.role_grant(actor=admins["security"], user=user, role=Role.LEGAL_REVIEWER)
    assert user.role_codes == frozenset({Role.OFFICER, Role.DEPARTMENT_HEAD, Role.LEGAL_REVIEWER})


def test_role_grant__officer_role_needs_a_certificate(agency, admins, make_user):
    from liuhen.org.errors import OfficerRequired

    user = make_user(agency)  # no officer record
    with pytest.raises(OfficerRequired):
        services.role_grant(actor=admins["security"], user=user, role=Role.OFFICER)


def test_security_admin_cannot_make_himself_another_administrator(agency, admins):
    sec = admins["security"]
    for role in (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN):
        with pytest.raises(RoleConflict):
            services.role_grant(actor=sec, user=sec, role=role)
