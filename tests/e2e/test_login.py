"""Log-in in a real browser: an officer reaches the Chinese home page; a wrong password is refused in Chinese."""

from __future__ import annotations

import pytest

PASSWORD = "Liuhen-test-2026!"
pytestmark = pytest.mark.usefixtures("real_password_hashing")  # the admin creates a user: argon2 as deployed


def test_officer_logs_in_and_sees_chinese_home_page(page, live_server, login, screenshot, make_agency, make_user):
    agency = make_agency("e2e-culture")
    agency.name = "测试市文化市场综合行政执法支队"
    agency.save(update_fields=["name"])
    officer = make_user(agency, "officer", username="zhang.san")

    login(page, "zhang.san", PASSWORD)

    assert page.url == live_server.url + "/"
    assert "首页" in page.title()
    assert page.get_by_test_id("home-title").is_visible()
    assert "测试市文化市场综合行政执法支队" in page.content()
    assert officer.officer.certificate_no in page.content()
    screenshot(page, "login-officer-home")


def test_wrong_password_shows_chinese_error(page, login, screenshot, make_agency, make_user):
    agency = make_agency("e2e-wrong")
    make_user(agency, "officer", username="li.si")

    login(page, "li.si", "not-the-password")

    error = page.get_by_test_id("login-error")
    assert error.is_visible()
    assert "用户名或密码错误" in error.inner_text()
    assert "/login/" in page.url
    screenshot(page, "login-wrong-password")


def test_system_admin_creates_a_user_in_the_browser(page, login, screenshot, make_agency, make_user):
    from liuhen.org.models import User

    agency = make_agency("e2e-admin")
    make_user(agency, "system_admin", username="sys.admin")
    make_user(agency, "officer", username="existing.officer")

    login(page, "sys.admin", PASSWORD)
    page.get_by_role("link", name="组织与用户").first.click()
    page.wait_for_url("**/org/")
    assert "existing.officer" in page.get_by_test_id("users-table").inner_text()
    screenshot(page, "org-overview-system-admin")

    page.get_by_test_id("user-create-link").click()
    page.wait_for_url("**/org/users/new/")
    page.fill("#id_username", "new.clerk")
    page.fill("#id_display_name", "新文员")
    page.select_option("#id_department", label="执法科")
    page.fill("#id_password1", "Newclerk-2026-pw")
    page.fill("#id_password2", "Newclerk-2026-pw")
    screenshot(page, "org-user-create-form")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()

    assert "已创建用户“new.clerk”" in page.content()
    assert "尚未授予任何角色" in page.content()
    screenshot(page, "org-user-created")
    created = User.objects.get(username="new.clerk")
    assert created.agency_id == agency.pk and created.department.name == "执法科"
    assert created.password.startswith("argon2")


def test_audit_admin_sees_chinese_403_on_org_page(page, live_server, login, screenshot, make_agency, make_user):
    agency = make_agency("e2e-audit")
    make_user(agency, "audit_admin", username="audit.admin")
    login(page, "audit.admin", PASSWORD)
    response = page.goto("/org/")
    assert response.status == 403
    assert "无权访问" in page.get_by_test_id("error-403").inner_text()
    assert "您的角色无权访问组织与用户管理" in page.content()
    screenshot(page, "org-403-audit-admin")
