"""Log-in in a real browser: an officer reaches the Chinese home page; a wrong password is refused in Chinese."""

from __future__ import annotations

PASSWORD = "Liuhen-test-2026!"


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
