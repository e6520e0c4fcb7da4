"""Error pages fail in Chinese with a way back (issue 11 item 6): 400, 403, 404 and 500, and the same
errors under /api/ as JSON ``{code, message}``. A form whose input is too large for the server
(DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS) says so; the browser test
``tests/e2e/test_form_too_large.py`` proves that what was typed is kept.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils.functional import SimpleLazyObject

from liuhen.org.rules import Role

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def officer(make_agency, make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_user(make_agency("err-pages", "dongxihu-culture"), Role.OFFICER)


@pytest.fixture
def browser(officer) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    return client


@pytest.mark.django_db
def test_form_too_large__400_in_chinese_that_keeps_the_draft_and_leads_back(browser, settings):
    big = "线" * 300_000  # 900 kB of UTF-8, 2.7 MB once form-encoded (as a browser sends it): over 2.5 MB
    form = urlencode({"kind": "report", "summary": big, "party_name": "某网吧"})
    response = browser.post("/cases/leads/new", form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    page = response.content.decode()
    assert "提交的内容过大" in page and "Bad Request" not in page
    assert 'data-draft="keep"' in page  # the page script keeps what the form's script saved
    assert 'href="/cases/leads/new"' in page  # back to the form (the Referer is not needed)
    assert "liuhen/forms.js" in page


@pytest.mark.django_db
def test_form_with_too_many_fields__400_in_chinese(browser, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = browser.post("/cases/leads/new", {f"f{n}": "x" for n in range(20)})
    assert response.status_code == 400 and "栏目过多" in response.content.decode()


@pytest.mark.django_db
def test_forms_carry_the_servers_limits_for_the_page_script(browser, settings):
    page = browser.get("/cases/leads/new").content.decode()
    assert f'data-post-max="{settings.DATA_UPLOAD_MAX_MEMORY_SIZE}"' in page
    assert f'data-fields-max="{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}"' in page
    assert "liuhen/forms.js" in page


@pytest.mark.django_db
def test_404_page__chinese_with_a_way_back(browser):
    response = browser.get("/cases/leads/999999999/")
    page = response.content.decode()
    assert response.status_code == 404 and "页面不存在" in page and 'href="/"' in page


@pytest.mark.django_db
def test_403_page__chinese_with_a_way_back(client, make_agency, make_user):
    auditor = make_user(make_agency("err-403", "dongxihu-culture"), Role.AUDIT_ADMIN)
    client.force_login(auditor)
    response = client.get("/cases/leads/new")
    page = response.content.decode()
    assert response.status_code == 403 and "无权" in page and "返回首页" in page


@pytest.mark.django_db
def test_uncaught_refusal_on_a_page__its_status_and_message_not_a_500(client, make_agency, make_user):
    """A permission policy's refusal that a view lets through (the ledger's trail, asked by an officer)
    is the 403 page with the policy's Chinese reason, through DomainErrorMiddleware."""
    officer = make_user(make_agency("err-mw", "dongxihu-culture"), Role.OFFICER)
    client.force_login(officer)
    response = client.get("/ledger/audit/")
    page = response.content.decode()
    assert response.status_code == 403 and "返回首页" in page
    assert "审计" in page  # the policy's reason names who may see the trail


def test_uncaught_refusal_of_another_status__standalone_page_with_the_way_back(rf):
    from liuhen.core.errors import DomainError
    from liuhen.portal.middleware import DomainErrorMiddleware

    class Conflict(DomainError):
        code, status, message = "demo_conflict", 409, "案件已被他人修改，请刷新后重试"

    request = rf.post("/cases/1/act", HTTP_REFERER="/cases/1/")
    response = DomainErrorMiddleware(lambda r: None).process_exception(request, Conflict())
    page = response.content.decode()
    assert response.status_code == 409 and "案件已被他人修改" in page and "/cases/1/" in page
    api = rf.get("/api/cases/1")
    assert DomainErrorMiddleware(lambda r: None).process_exception(api, Conflict()) is None


def test_500_page__needs_neither_the_database_nor_the_user(rf):
    """No django_db mark: a query would raise here, as would touching the user or the session."""
    from liuhen.portal import error_pages

    request = rf.get("/cases/")
    request.user = SimpleLazyObject(lambda: 1 / 0)  # the session or the database is what failed
    request.session = SimpleLazyObject(lambda: 1 / 0)
    response = error_pages.server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert "系统出错" in page and 'href="/"' in page and CHINESE.search(page)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/api/no-such-thing", 404, "not_found"), ("/api/uploads/x/y/z", 404, "not_found")],
)
def test_api_paths__errors_outside_the_api_are_json_too(client, path, status, code):
    response = client.get(path)
    assert response.status_code == status and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and CHINESE.search(body["message"])


def test_api_paths__500_is_json(rf):
    from liuhen.portal import error_pages

    response = error_pages.server_error(rf.get("/api/uploads/abc"))
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    assert b"server_error" in response.content


@pytest.mark.django_db
def test_api_body_too_large__400_request_too_large(client, officer, settings):
    from liuhen.org.services import api_token_issue

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    token = api_token_issue(actor=None, user=officer, name="采集站")[1]
    response = client.post(
        "/api/cases/leads/",
        {"kind": "report", "received_at": "2026-12-01T10:00:00+08:00", "summary": "线" * 2000},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400 and response.json()["code"] == "request_too_large"
