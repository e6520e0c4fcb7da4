"""The home page: Chinese; the user's agency, roles and certificate; admins see what they may manage."""

from __future__ import annotations

import datetime as dt

from liuhen.org.rules import Role


def test_home__officer_sees_agency_roles_and_certificate(client, make_agency, make_user):
    agency = make_agency("home-a")
    officer = make_user(agency, Role.OFFICER, Role.DEPARTMENT_HEAD)
    client.force_login(officer)
    html = client.get("/").content.decode()
    assert '<html lang="zh-Hans">' in html
    assert agency.name in html
    assert "执法人员" in html and "科室负责人" in html
    assert officer.officer.certificate_no in html and 'data-testid="cert-valid"' in html
    assert "我的待办期限" in html and 'data-testid="home-no-deadlines"' in html
    assert 'data-testid="admin-links"' not in html


def test_home__expired_certificate_is_flagged(client, make_agency, make_user):
    agency = make_agency("home-b")
    officer = make_user(agency, Role.OFFICER)
    officer.officer.certificate_valid_until = dt.date.today() - dt.timedelta(days=1)
    officer.officer.save()
    client.force_login(officer)
    html = client.get("/").content.decode()
    assert 'data-testid="cert-expired"' in html and "不得从事执法活动" in html


def test_home__each_administrator_sees_only_his_own_links(client, make_agency, make_user):
    agency = make_agency("home-c")
    expectations = {
        Role.SYSTEM_ADMIN: ({"新建用户", "组织与用户"}, {"角色与令牌", "审计日志"}),
        Role.SECURITY_ADMIN: ({"角色与令牌"}, {"新建用户", "审计日志"}),
        Role.AUDIT_ADMIN: ({"审计日志"}, {"新建用户", "角色与令牌"}),
    }
    for role, (shown, hidden) in expectations.items():
        client.force_login(make_user(agency, role))
        response = client.get("/")
        labels = {label for label, _, _ in response.context["admin_links"]}
        assert shown <= labels, role
        assert not (hidden & labels), role
        assert "我的案件" not in response.content.decode()  # administrators handle no cases


def test_home__user_without_roles_is_told_whom_to_ask(client, make_agency, make_user):
    agency = make_agency("home-d")
    client.force_login(make_user(agency))
    assert "请联系本机关的安全保密管理员" in client.get("/").content.decode()


def test_home__unread_notifications_are_listed_and_can_be_marked_read(client, make_agency, make_user):
    from django.db import transaction

    from liuhen.core.notifications import notify

    agency = make_agency("home-n")
    head = make_user(agency, Role.DEPARTMENT_HEAD)
    other = make_user(agency, Role.OFFICER)
    with transaction.atomic():
        (row,) = notify(recipients=[head], kind="device_fault", title="执法记录仪 DSJ-1 报告故障", body="无法开机")
        notify(recipients=[other], kind="device_fault", title="别人的通知")
    client.force_login(head)
    html = client.get("/").content.decode()
    assert 'data-testid="home-notices"' in html and "执法记录仪 DSJ-1 报告故障" in html and "无法开机" in html
    assert "别人的通知" not in html
    r = client.post(f"/devices/notifications/{row.pk}/read/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = client.get("/").content.decode()
    assert 'data-testid="home-notices"' not in html
