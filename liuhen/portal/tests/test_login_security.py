"""Log-in security: argon2 hashes, lock-out, Chinese refusals, session expiry, CSRF, security headers
and CSP on every page, and every log-in attempt in the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from liuhen.ledger.models import Event
from liuhen.org.rules import Role

PASSWORD = "Liuhen-test-2026!"
pytestmark = pytest.mark.usefixtures("real_password_hashing")  # argon2 and lock-out as deployed


@pytest.fixture
def agency(make_agency):
    return make_agency("sec-a")


def _login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_password_is_stored_as_argon2(agency, make_user):
    user = make_user(agency, Role.OFFICER)
    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password


def test_successful_login_redirects_home_and_is_in_the_ledger(client, agency, make_user):
    user = make_user(agency, Role.OFFICER, username="good.user")
    r = _login(client, "good.user", PASSWORD)
    assert r.status_code == 302 and r["Location"] == "/"
    event = Event.objects.get(action="user.logged_in")
    assert event.actor_id == user.pk and event.object_id == str(user.pk)
    assert '"ip":"127.0.0.1"' in event.payload


def test_wrong_password_gets_chinese_message_and_is_in_the_ledger(client, agency, make_user):
    user = make_user(agency, Role.OFFICER, username="bad.pw")
    r = _login(client, "bad.pw", "wrong-password")
    assert r.status_code == 200
    assert "用户名或密码错误" in r.content.decode()
    event = Event.objects.get(action="user.login_failed")
    assert event.object_id == str(user.pk) and event.agency_id == agency.pk
    assert "wrong-password" not in event.payload  # the attempted password is never kept
    assert not Event.objects.filter(action="user.logged_in").exists()


def test_unknown_user_login_fails_in_chinese_and_is_in_the_ledger(client, db):
    r = _login(client, "nobody", "whatever-123")
    assert r.status_code == 200 and "用户名或密码错误" in r.content.decode()
    assert Event.objects.filter(action="user.login_failed", payload__contains='"username":"nobody"').exists()


def test_lockout_after_repeated_failures_even_with_the_right_password(client, agency, make_user):
    make_user(agency, Role.OFFICER, username="target.user")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "target.user", "wrong-password").status_code == 200
    locked = _login(client, "target.user", "wrong-password")
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()

    r = _login(client, "target.user", PASSWORD)
    assert r.status_code == 429 and "账号已暂时锁定" in r.content.decode()
    assert "_auth_user_id" not in client.session
    assert Event.objects.filter(action="user.login_failed").count() >= settings.AXES_FAILURE_LIMIT


def test_lockout_of_one_user_does_not_lock_another(client, agency, make_user):
    make_user(agency, Role.OFFICER, username="locked.one")
    make_user(agency, Role.OFFICER, username="free.one")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "locked.one", "wrong-password")
    assert _login(client, "free.one", PASSWORD).status_code == 302


def test_expired_session_redirects_to_login_with_chinese_notice(client, agency, make_user):
    user = make_user(agency, Role.OFFICER, username="sleepy")
    assert _login(client, "sleepy", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200

    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    r = client.get("/org/")
    assert r.status_code == 302 and r["Location"] == "/login/?next=/org/"
    page = client.get(r["Location"]).content.decode()
    assert "登录已过期，请重新登录" in page
    assert user.pk  # the account itself is untouched
    user.refresh_from_db()
    assert user.is_active


def test_session_expires_after_inactivity_setting(client, agency, make_user):
    make_user(agency, Role.OFFICER, username="timer")
    _login(client, "timer", PASSWORD)
    session = Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert 0 < remaining <= settings.SESSION_COOKIE_AGE
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_login_post_without_csrf_token_is_refused(agency, make_user):
    make_user(agency, Role.OFFICER, username="csrf.user")
    c = Client(enforce_csrf_checks=True)
    r = c.post("/login/", {"username": "csrf.user", "password": PASSWORD})
    assert r.status_code == 403
    assert "请求已拒绝" in r.content.decode()
    assert "_auth_user_id" not in c.session

    c.get("/login/")
    token = c.cookies[settings.CSRF_COOKIE_NAME].value
    r = c.post("/login/", {"username": "csrf.user", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert r.status_code == 302


def test_org_write_without_csrf_token_is_refused(agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    c = Client(enforce_csrf_checks=True)
    c.force_login(sysadmin)
    r = c.post("/org/departments/new/", {"code": "nocsrf", "name": "无令牌科"})
    assert r.status_code == 403
    assert not agency.departments.filter(code="nocsrf").exists()


def _plain_paths() -> list[str]:
    """Every URL pattern without parameters (the pages a user can open directly)."""
    paths: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if "<" in route or route.startswith("^"):
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                paths.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def _assert_security_headers(response, path: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    assert csp, f"{path}: no Content-Security-Policy"
    assert "default-src 'self'" in csp, path
    assert "frame-ancestors 'none'" in csp, path
    for bad in ("http:", "https:", "*", "'unsafe-inline'", "'unsafe-eval'"):
        assert bad not in csp, f"{path}: CSP allows {bad}: {csp}"
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["X-Frame-Options"] == "DENY", path
    assert response["Referrer-Policy"] == "same-origin", path


def test_every_page_sends_security_headers_and_a_csp_without_outside_origins(agency, make_user):
    paths = _plain_paths()
    assert {"/", "/login/", "/org/", "/org/users/new/"} <= set(paths)
    anonymous = Client(raise_request_exception=False)
    admin = Client(raise_request_exception=False)
    admin.force_login(make_user(agency, Role.SYSTEM_ADMIN))
    for path in [*paths, "/no-such-page/"]:
        for c in (anonymous, admin):
            response = c.get(path)
            _assert_security_headers(response, path)
            if response.get("Content-Type", "").startswith("text/html"):
                body = response.content.decode()
                for attr in ('src="http', "src='http", 'href="http', "href='http", 'src="//', 'href="//'):
                    assert attr not in body, f"{path} loads something from outside: {attr}"


def test_api_docs_are_self_hosted(client, db):
    body = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn.jsdelivr.net" not in body


def test_404_page_is_chinese(client, db):
    r = client.get("/no-such-page/")
    assert r.status_code == 404
    assert "页面不存在" in r.content.decode()


def test_logout_is_in_the_ledger(client, agency, make_user):
    user = make_user(agency, Role.OFFICER, username="leaver")
    _login(client, "leaver", PASSWORD)
    client.post("/logout/")
    assert Event.objects.filter(action="user.logged_out", actor_id=user.pk).exists()
    assert client.get("/").status_code == 302


def test_https_deployment_turns_on_hsts_and_secure_cookies(tmp_path):
    """LIUHEN_HTTPS=1 (read once at start-up) must switch on HSTS and secure-only cookies."""
    import os
    import subprocess
    import sys

    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "liuhen.settings", "LIUHEN_DATA_DIR": str(tmp_path)}
    on = subprocess.run([sys.executable, "-c", code], env={**env, "LIUHEN_HTTPS": "1"}, capture_output=True, text=True)
    off = subprocess.run([sys.executable, "-c", code], env={**env, "LIUHEN_HTTPS": "0"}, capture_output=True, text=True)
    assert on.stdout.strip() == "[31536000, true, true]", on.stderr
    assert off.stdout.strip() == "[0, false, false]", off.stderr


def test_login_page_notices(client, db):
    assert "请先登录" in client.get("/login/?next=/org/").content.decode()
    first_visit = client.get("/", follow=True).content.decode()  # the usual first visit: no noise
    assert "请先登录" not in first_visit and "登录已过期" not in first_visit and "登录留痕" in first_visit
