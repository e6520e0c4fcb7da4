"""Organisation pages: what each administrator may do there, in Chinese, within one agency only."""

from __future__ import annotations

import datetime as dt

import pytest

from liuhen.ledger.models import Event
from liuhen.org.models import ApiToken, Department, Officer, RoleGrant, User
from liuhen.org.rules import Role

PASSWORD = "Liuhen-test-2026!"


@pytest.fixture
def agency(make_agency):
    return make_agency("org-a")


@pytest.fixture
def other_agency(make_agency):
    return make_agency("org-b")


def _client_for(client, user):
    client.force_login(user)
    return client


def test_overview__lists_departments_officers_and_users_with_certificate_flags(client, agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    today = dt.date.today()
    dept = agency.departments.first()
    Officer.objects.create(
        agency=agency,
        department=dept,
        name="过期人",
        certificate_no="EXP001",
        certificate_issuer="某市人民政府",
        certificate_valid_from=today - dt.timedelta(days=900),
        certificate_valid_until=today - dt.timedelta(days=1),
    )
    Officer.objects.create(
        agency=agency,
        department=dept,
        name="将到期",
        certificate_no="SOON01",
        certificate_issuer="某市人民政府",
        certificate_valid_from=today - dt.timedelta(days=900),
        certificate_valid_until=today + dt.timedelta(days=10),
    )
    make_user(agency, Role.OFFICER, username="officer.a")

    html = _client_for(client, sysadmin).get("/org/").content.decode()

    assert "执法科" in html
    assert "EXP001" in html and 'data-testid="cert-expired"' in html and "已过期" in html
    assert "SOON01" in html and 'data-testid="cert-expiring"' in html and "即将过期" in html
    assert 'data-testid="cert-valid"' in html  # officer.a's certificate runs to 2030
    assert "officer.a" in html and "执法人员" in html


def test_overview__shows_nothing_of_another_agency(client, agency, other_agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    make_user(other_agency, Role.OFFICER, username="stranger.b")
    html = _client_for(client, sysadmin).get("/org/").content.decode()
    assert "stranger.b" not in html
    assert other_agency.name not in html


def test_system_admin_creates_department_officer_and_user_linked_to_officer(client, agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    c = _client_for(client, sysadmin)

    r = c.post("/org/departments/new/", {"code": "zf2", "name": "执法二科", "is_enforcement": "on"})
    assert r.status_code == 302
    dept = Department.objects.get(agency=agency, code="zf2")

    r = c.post(
        "/org/officers/new/",
        {
            "department": dept.pk,
            "name": "王五",
            "certificate_no": "15010120001",
            "certificate_issuer": "某市人民政府",
            "certificate_valid_from": "2025-01-01",
            "certificate_valid_until": "2029-12-31",
        },
    )
    assert r.status_code == 302
    officer = Officer.objects.get(certificate_no="15010120001")
    assert officer.agency == agency and officer.department == dept

    r = c.post(
        "/org/users/new/",
        {
            "username": "wang.wu",
            "display_name": "王五",
            "department": dept.pk,
            "officer": officer.pk,
            "password1": "Wangwu-pass-2026",
            "password2": "Wangwu-pass-2026",
        },
    )
    new = User.objects.get(username="wang.wu")
    assert r.status_code == 302 and r["Location"] == f"/org/users/{new.pk}/"
    assert new.agency == agency and new.officer == officer and new.check_password("Wangwu-pass-2026")
    assert new.role_codes == frozenset()  # roles come from the security administrator
    assert Event.objects.filter(action="user.created", object_id=str(new.pk), actor_id=sysadmin.pk).exists()


def test_user_create__refusal_shown_in_chinese_and_nothing_created(client, agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    c = _client_for(client, sysadmin)
    r = c.post(
        "/org/users/new/",
        {"username": "short.pw", "display_name": "短密码", "password1": "abc", "password2": "abc"},
    )
    assert r.status_code == 200
    assert "密码不符合要求" in r.content.decode()
    assert not User.objects.filter(username="short.pw").exists()

    r = c.post(
        "/org/users/new/",
        {"username": "mismatch", "display_name": "不一致", "password1": "Aa-123456789", "password2": "Bb-123456789"},
    )
    assert "两次输入的密码不一致" in r.content.decode()
    assert not User.objects.filter(username="mismatch").exists()


def test_officer_create__duplicate_certificate_refused_in_chinese(client, agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    holder = make_user(agency, Role.OFFICER)
    r = _client_for(client, sysadmin).post(
        "/org/officers/new/",
        {
            "name": "重号",
            "certificate_no": holder.officer.certificate_no,
            "certificate_issuer": "某市人民政府",
            "certificate_valid_from": "2025-01-01",
            "certificate_valid_until": "2029-12-31",
        },
    )
    assert r.status_code == 200
    assert "已登记" in r.content.decode()
    assert Officer.objects.filter(certificate_no=holder.officer.certificate_no).count() == 1


def test_system_admin_deactivates_reactivates_and_resets_password(client, agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    target = make_user(agency, Role.OFFICER)
    c = _client_for(client, sysadmin)

    c.post(f"/org/users/{target.pk}/active/", {"active": "0"})
    target.refresh_from_db()
    assert not target.is_active
    c.post(f"/org/users/{target.pk}/active/", {"active": "1"})
    target.refresh_from_db()
    assert target.is_active

    r = c.post(f"/org/users/{target.pk}/password/", {"password1": "New-secret-2026", "password2": "New-secret-2026"})
    assert r.status_code == 302
    target.refresh_from_db()
    assert target.check_password("New-secret-2026")
    assert Event.objects.filter(action="user.password_set", object_id=str(target.pk)).exists()
    assert "New-secret-2026" not in "".join(Event.objects.values_list("payload", flat=True))


def test_system_admin_cannot_deactivate_himself(client, agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    r = _client_for(client, sysadmin).post(f"/org/users/{sysadmin.pk}/active/", {"active": "0"}, follow=True)
    sysadmin.refresh_from_db()
    assert sysadmin.is_active
    assert "不能停用自己的账号" in r.content.decode()


def test_security_admin_grants_and_revokes_roles(client, agency, make_user):
    secadmin = make_user(agency, Role.SECURITY_ADMIN)
    target = make_user(agency, Role.OFFICER)
    c = _client_for(client, secadmin)

    r = c.post(f"/org/users/{target.pk}/roles/grant/", {"role": Role.DEPARTMENT_HEAD}, follow=True)
    assert "已授予" in r.content.decode()
    assert RoleGrant.objects.filter(user=target, role=Role.DEPARTMENT_HEAD, granted_by=secadmin).exists()

    c.post(f"/org/users/{target.pk}/roles/revoke/", {"role": Role.DEPARTMENT_HEAD})
    assert not RoleGrant.objects.filter(user=target, role=Role.DEPARTMENT_HEAD).exists()
    assert Event.objects.filter(action="role.revoked", object_id=str(target.pk), actor_id=secadmin.pk).exists()


def test_security_admin_role_conflict_refusal_shown_in_chinese(client, agency, make_user):
    secadmin = make_user(agency, Role.SECURITY_ADMIN)
    auditor = make_user(agency, Role.AUDIT_ADMIN)
    r = _client_for(client, secadmin).post(
        f"/org/users/{auditor.pk}/roles/grant/", {"role": Role.SYSTEM_ADMIN}, follow=True
    )
    assert "三员分立：已担任安全审计员的用户不能再担任系统管理员" in r.content.decode()
    assert not RoleGrant.objects.filter(user=auditor, role=Role.SYSTEM_ADMIN).exists()


def test_security_admin_issues_token_shown_once_and_revokes_it(client, agency, make_user):
    secadmin = make_user(agency, Role.SECURITY_ADMIN)
    station = make_user(agency, Role.OFFICER, username="station-1")
    c = _client_for(client, secadmin)

    r = c.post(f"/org/users/{station.pk}/tokens/new/", {"name": "一号采集站"})
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=station)
    html = r.content.decode()
    assert f"lh_{token.key_id}_" in html
    raw = html.split('data-testid="raw-token">', 1)[1].split("<", 1)[0]
    assert token.secret_hash not in html

    detail = c.get(f"/org/users/{station.pk}/").content.decode()
    assert token.key_id in detail and raw not in detail  # never shown again

    c.post(f"/org/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_for_an_administrator_is_refused(client, agency, make_user):
    secadmin = make_user(agency, Role.SECURITY_ADMIN)
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    r = _client_for(client, secadmin).post(f"/org/users/{sysadmin.pk}/tokens/new/", {"name": "后门"}, follow=True)
    assert "不能为系统管理员签发接口令牌" in r.content.decode()
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/org/users/{pk}/",
        "/org/users/{pk}/password/",
    ],
)
def test_another_agencys_user_is_not_found(client, agency, other_agency, make_user, path):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    stranger = make_user(other_agency, Role.OFFICER)
    r = _client_for(client, sysadmin).get(path.format(pk=stranger.pk))
    assert r.status_code == 404
    assert "页面不存在" in r.content.decode()


def test_another_agencys_user_cannot_be_changed(client, agency, other_agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    secadmin = make_user(agency, Role.SECURITY_ADMIN)
    stranger = make_user(other_agency, Role.OFFICER)

    assert _client_for(client, sysadmin).post(f"/org/users/{stranger.pk}/active/", {"active": "0"}).status_code == 404
    r = _client_for(client, secadmin).post(f"/org/users/{stranger.pk}/roles/grant/", {"role": Role.SUPERVISOR})
    assert r.status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active and stranger.role_codes == frozenset({Role.OFFICER})


def test_officer_department_from_another_agency_is_not_offered(client, agency, other_agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    foreign = other_agency.departments.first()
    r = _client_for(client, sysadmin).post(
        "/org/officers/new/",
        {
            "department": foreign.pk,
            "name": "越界",
            "certificate_no": "X0001",
            "certificate_issuer": "某市人民政府",
            "certificate_valid_from": "2025-01-01",
            "certificate_valid_until": "2029-12-31",
        },
    )
    assert r.status_code == 200
    assert not Officer.objects.filter(certificate_no="X0001").exists()


def test_plain_officer_gets_chinese_403_on_org_page(client, agency, make_user):
    officer = make_user(agency, Role.OFFICER)
    r = _client_for(client, officer).get("/org/")
    assert r.status_code == 403
    assert "无权访问" in r.content.decode()


def test_anonymous_is_sent_to_login(client, db):
    r = client.get("/org/")
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=/org/")


def test_deactivated_user_is_logged_out_at_once(client, agency, make_user):
    from django.test import Client

    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    target = make_user(agency, Role.OFFICER)
    victim = Client()
    victim.force_login(target)
    assert victim.get("/").status_code == 200

    _client_for(client, sysadmin).post(f"/org/users/{target.pk}/active/", {"active": "0"})
    assert victim.get("/").status_code == 302
