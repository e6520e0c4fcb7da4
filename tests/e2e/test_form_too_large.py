"""A form too large for the server says so in Chinese and keeps what was typed (issue 11 item 6).

Two ways, both in a real browser, since only a browser shows whether the text survives:

- the page knows the server's limits (DATA_UPLOAD_MAX_MEMORY_SIZE) and does not send a form over them:
  a 300,000-character 线索内容 stays in its field, with the reason above the form;
- where the server refuses all the same (its limit lowered after the page was loaded, as a proxy's might
  be), the Chinese 400 page says the text was kept, and 返回修改 leads to the form with the text back.
"""

from __future__ import annotations

import pytest

PASSWORD = "Liuhen-test-2026!"


@pytest.fixture
def officer_page(page, login, make_agency, make_user):
    make_user(make_agency("e2e-big-form", "dongxihu-culture"), "officer", username="wang.big")
    login(page, "wang.big", PASSWORD)
    page.goto("/cases/leads/new")
    page.select_option("#id_kind", "report")
    page.fill("#id_party_name", "某网吧")
    return page


def test_form_over_the_servers_limit__not_sent_and_the_text_stays(officer_page, screenshot):
    page = officer_page
    text = "群众举报某网吧接纳未成年人。" * 21_429  # 300,006 characters: about 2.7 MB once form-encoded
    page.fill("#id_summary", text)
    page.click("form[data-testid=lead-form] button[type=submit]")

    note = page.get_by_test_id("form-too-large")
    note.wait_for()
    assert "提交的内容过大" in note.inner_text() and "仍在页面上" in note.inner_text()
    assert page.url.endswith("/cases/leads/new")
    assert page.input_value("#id_summary") == text
    assert page.input_value("#id_party_name") == "某网吧"
    screenshot(page, "form-too-large-refused-on-the-page")


def test_form_refused_by_the_server__400_in_chinese_and_the_text_comes_back(officer_page, settings, screenshot):
    page = officer_page
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000  # lower than the page was told: the server refuses
    text = ("举报人称该网吧夜间接纳未成年人上网。" * 300 + "\n") * 10  # 54,010 characters, 0.5 MB form-encoded
    page.fill("#id_summary", text)
    with page.expect_navigation():
        page.click("form[data-testid=lead-form] button[type=submit]")

    assert page.get_by_test_id("error-400").is_visible()
    assert "提交的内容过大" in page.content() and "Bad Request" not in page.content()
    assert page.locator("[data-draft-note]").is_visible()  # 您在表单中输入的内容已保存在本浏览器中
    screenshot(page, "form-too-large-400")

    with page.expect_navigation():
        page.get_by_test_id("error-back").click()
    assert page.url.endswith("/cases/leads/new")
    restored = page.get_by_test_id("form-restored")
    restored.wait_for()
    assert "已恢复" in restored.inner_text()
    assert page.input_value("#id_summary").replace("\r\n", "\n") == text
    assert page.input_value("#id_party_name") == "某网吧"
    assert page.input_value("#id_kind") == "report"
    screenshot(page, "form-too-large-restored")


def test_session_expired_on_submit__after_logging_in_again_the_text_comes_back(officer_page, screenshot):
    """The same keeping where the answer is the log-in page (the session ran out while typing)."""
    from django.contrib.sessions.models import Session

    page = officer_page
    text = "经现场检查，该网吧于当晚接纳三名未成年人上网。" * 200
    page.fill("#id_summary", text)
    Session.objects.all().delete()  # the session expired on the server while the officer typed
    with page.expect_navigation():
        page.click("form[data-testid=lead-form] button[type=submit]")
    assert "/login/" in page.url  # 请先登录
    assert page.locator("[data-draft-note]").is_visible()
    screenshot(page, "form-session-expired-login")

    page.fill("#id_username", "wang.big")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/cases/leads/new")
    page.get_by_test_id("form-restored").wait_for()
    assert page.input_value("#id_summary") == text and page.input_value("#id_party_name") == "某网吧"


def test_kept_draft__never_shown_to_the_next_user_of_the_same_browser(officer_page, login, make_user, settings):
    """A kept draft may name a protected complainant: it belongs to the user who typed it, and logging out drops it."""
    from liuhen.org.models import Agency

    page = officer_page
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    page.fill("#id_reporter_name", "张某（受保护身份）")
    page.fill("#id_summary", "举报内容。" * 5_000)
    with page.expect_navigation():
        page.click("form[data-testid=lead-form] button[type=submit]")
    assert page.get_by_test_id("error-400").is_visible()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

    page.goto("/")  # the officer leaves the form and another colleague takes over the browser
    make_user(Agency.objects.get(code="e2e-big-form"), "officer", username="li.next")
    page.context.clear_cookies()
    login(page, "li.next", PASSWORD)
    page.goto("/cases/leads/new")
    assert page.get_by_test_id("form-restored").count() == 0
    assert page.input_value("#id_summary") == "" and page.input_value("#id_reporter_name") == ""

    page.goto("/")  # and logging out clears whatever was kept
    page.evaluate("sessionStorage.setItem('liuhen:draft:kept', JSON.stringify({url: '/', at: Date.now()}))")
    with page.expect_navigation():
        page.click("nav form[action='/logout/'] button")
    assert page.evaluate("sessionStorage.getItem('liuhen:draft:kept')") is None
