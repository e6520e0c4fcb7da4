"""Org API over real HTTP (Django test client): token authentication, one agency only, 三员分立."""

from __future__ import annotations

import pytest

from liuhen.org import services
from liuhen.org.models import ApiToken, RoleGrant, User
from liuhen.org.rules import Role


@pytest.fixture
def agency(make_agency):
    return make_agency("api-a")


@pytest.fixture
def other_agency(make_agency):
    return make_agency("api-b")


def _token_for(user) -> str:
    """Issue a token for ``user`` as the system itself (set-up step)."""
    _, raw = services.api_token_issue(actor=None, user=user, name="采集站")
    return raw


def _auth(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_me__with_a_valid_token(client, agency, make_user):
    head = make_user(agency, Role.DEPARTMENT_HEAD, username="head.a")
    r = client.get("/api/org/me", **_auth(_token_for(head)))
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == "head.a"
    assert body["agency_code"] == "api-a"
    assert body["roles"] == ["department_head"]
    assert body["role_labels"] == ["科室负责人"]


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer lh_zz_short", "Bearer lh_0123456789ab_!!"])
def test_malformed_token__401_token_malformed(client, db, header):
    r = client.get("/api/org/me", HTTP_AUTHORIZATION=header)
    assert r.status_code == 401
    assert r.json()["code"] == "token_malformed"
    assert "格式错误" in r.json()["message"]


def test_unknown_token__401_token_invalid(client, db):
    r = client.get("/api/org/me", **_auth("lh_0123456789ab_" + "A" * 43))
    assert r.status_code == 401
    assert r.json() == {"code": "token_invalid", "message": "接口令牌无效"}


def test_revoked_token__401_token_invalid(client, agency, make_user):
    station = make_user(agency, Role.OFFICER)
    raw = _token_for(station)
    assert client.get("/api/org/me", **_auth(raw)).status_code == 200
    services.api_token_revoke(actor=None, token=ApiToken.objects.get(user=station))
    r = client.get("/api/org/me", **_auth(raw))
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"


def test_token_with_the_right_id_but_wrong_secret__401_token_invalid(client, agency, make_user):
    station = make_user(agency, Role.OFFICER)
    raw = _token_for(station)
    prefix, key_id, secret = raw.split("_", 2)
    forged = f"{prefix}_{key_id}_{'x' * len(secret)}"
    r = client.get("/api/org/me", **_auth(forged))
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"


def test_token_of_a_deactivated_user_stops_working(client, agency, make_user):
    station = make_user(agency, Role.OFFICER)
    raw = _token_for(station)
    services.user_set_active(actor=None, user=station, active=False)
    r = client.get("/api/org/me", **_auth(raw))
    assert r.status_code == 401 and r.json()["code"] == "token_user_inactive"


def test_token_of_a_locked_out_user_stops_working_until_the_lock_ends(client, agency, make_user, settings):
    station = make_user(agency, Role.OFFICER, username="station.user")
    raw = _token_for(station)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "station.user", "password": "wrong-password"})
    r = client.get("/api/org/me", **_auth(raw))
    assert r.status_code == 401 and r.json()["code"] == "token_user_locked"
    assert "锁定" in r.json()["message"]
    r = client.get("/api/uploads/nothing", HTTP_TUS_RESUMABLE="1.0.0", **_auth(raw))
    assert r.status_code == 401 and r.json()["code"] == "token_user_locked"  # tus asks the same service

    from axes.models import AccessAttempt

    AccessAttempt.objects.filter(username="station.user").update(attempt_time="2000-01-01T00:00:00Z")
    assert client.get("/api/org/me", **_auth(raw)).status_code == 200  # the cool-off is over


def test_token_of_a_user_with_no_role_left_stops_working(client, agency, make_user):
    station = make_user(agency, Role.OFFICER)
    raw = _token_for(station)
    services.role_revoke(actor=None, user=station, role=Role.OFFICER)
    r = client.get("/api/org/me", **_auth(raw))
    assert r.status_code == 401 and r.json()["code"] == "token_user_removed"


def test_token_of_a_user_moved_to_another_agency_stops_working(client, agency, other_agency, make_user):
    station = make_user(agency, Role.OFFICER)
    raw = _token_for(station)
    User.objects.filter(pk=station.pk).update(agency=other_agency)
    r = client.get("/api/org/me", **_auth(raw))
    assert r.status_code == 401 and r.json()["code"] == "token_user_removed"


def test_no_credentials__401(client, db):
    r = client.get("/api/org/me")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_token_of_agency_a_cannot_read_agency_b(client, agency, other_agency, make_user):
    head_a = make_user(agency, Role.DEPARTMENT_HEAD, username="head.a")
    b_user = make_user(other_agency, Role.OFFICER, username="officer.b")
    raw = _token_for(head_a)

    users = client.get("/api/org/users", **_auth(raw)).json()
    assert {u["username"] for u in users} == {"head.a"}
    officers = client.get("/api/org/officers", **_auth(raw)).json()
    assert {o["certificate_no"] for o in officers} == {head_a.officer.certificate_no}
    depts = client.get("/api/org/departments", **_auth(raw)).json()
    assert {d["id"] for d in depts} == set(agency.departments.values_list("pk", flat=True))

    r = client.get(f"/api/org/users/{b_user.pk}", **_auth(raw))
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_plain_officer_token_cannot_list_users(client, agency, make_user):
    station = make_user(agency, Role.OFFICER)
    r = client.get("/api/org/users", **_auth(_token_for(station)))
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_system_admin_creates_officer_and_user_over_session(client, agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    client.force_login(sysadmin)
    dept = agency.departments.first()
    r = client.post(
        "/api/org/officers",
        {
            "department_id": dept.pk,
            "name": "赵六",
            "certificate_no": "API0001",
            "certificate_issuer": "某市人民政府",
            "certificate_valid_from": "2025-01-01",
            "certificate_valid_until": "2029-12-31",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["certificate_status"] in {"valid", "expiring"}
    officer_id = r.json()["id"]

    r = client.post(
        "/api/org/users",
        {"username": "zhao.liu", "display_name": "赵六", "password": "Zhaoliu-2026-pw", "officer_id": officer_id},
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["roles"] == []
    assert User.objects.get(username="zhao.liu").officer_id == officer_id


def test_system_admin_cannot_grant_roles_over_api(client, agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    target = make_user(agency)
    client.force_login(sysadmin)
    r = client.post(f"/api/org/users/{target.pk}/roles", {"role": "supervisor"}, content_type="application/json")
    assert r.status_code == 403
    assert not RoleGrant.objects.filter(user=target).exists()


def test_security_admin_grants_role__conflict_is_409_with_chinese_message(client, agency, make_user):
    secadmin = make_user(agency, Role.SECURITY_ADMIN)
    target = make_user(agency, Role.OFFICER)
    client.force_login(secadmin)

    r = client.post(f"/api/org/users/{target.pk}/roles", {"role": "supervisor"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["roles"] == ["officer", "supervisor"]

    r = client.post(f"/api/org/users/{target.pk}/roles", {"role": "audit_admin"}, content_type="application/json")
    assert r.status_code == 409
    assert r.json()["code"] == "role_conflict"
    assert r.json()["message"] == "三员分立：安全审计员不能兼任业务角色"

    r = client.delete(f"/api/org/users/{target.pk}/roles/supervisor")
    assert r.status_code == 200 and r.json()["roles"] == ["officer"]


def test_security_admin_cannot_create_users_over_api(client, agency, make_user):
    secadmin = make_user(agency, Role.SECURITY_ADMIN)
    client.force_login(secadmin)
    r = client.post(
        "/api/org/users",
        {"username": "sneaky", "display_name": "x", "password": "Sneaky-2026-pw"},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


def test_security_admin_issues_token_that_works_then_revokes_it(client, agency, make_user):
    secadmin = make_user(agency, Role.SECURITY_ADMIN)
    station = make_user(agency, Role.OFFICER, username="station-2")
    client.force_login(secadmin)

    r = client.post(f"/api/org/users/{station.pk}/tokens", {"name": "二号采集站"}, content_type="application/json")
    assert r.status_code == 201
    raw, token_id = r.json()["token"], r.json()["id"]
    listed = client.get("/api/org/tokens").json()
    assert [t["id"] for t in listed] == [token_id] and "token" not in listed[0]

    client.logout()
    assert client.get("/api/org/me", **_auth(raw)).json()["username"] == "station-2"

    client.force_login(secadmin)
    assert client.delete(f"/api/org/tokens/{token_id}").status_code == 200
    client.logout()
    assert client.get("/api/org/me", **_auth(raw)).json()["code"] == "token_invalid"


def test_token_stops_working_when_its_user_becomes_an_administrator(client, agency, make_user):
    user = make_user(agency)
    raw = _token_for(user)
    services.role_grant(actor=None, user=user, role=Role.SYSTEM_ADMIN)
    r = client.get("/api/org/me", **_auth(raw))
    assert r.status_code == 401 and r.json()["code"] == "token_holder_refused"


def test_unsafe_session_request_needs_csrf(agency, make_user):
    from django.test import Client

    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    c = Client(enforce_csrf_checks=True)
    c.force_login(sysadmin)
    r = c.post("/api/org/departments", {"code": "x1", "name": "x"}, content_type="application/json")
    assert r.status_code in (401, 403)
    assert not agency.departments.filter(code="x1").exists()


def test_openapi_spec_is_in_chinese(client, db):
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    assert paths["/api/org/users"]["post"]["summary"] == "新建用户"
    assert paths["/api/org/users/{user_id}/tokens"]["post"]["summary"] == "签发接口令牌"


def test_user_create__officer_who_already_has_an_account_is_refused(client, agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    holder = make_user(agency, Role.OFFICER)
    client.force_login(sysadmin)
    r = client.post(
        "/api/org/users",
        {
            "username": "dup.officer",
            "display_name": "x",
            "password": "Dupofficer-2026",
            "officer_id": holder.officer_id,
        },
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["code"] == "officer_has_account"
    assert not User.objects.filter(username="dup.officer").exists()


def test_officer_create__department_of_another_agency_is_not_found(client, agency, other_agency, make_user):
    sysadmin = make_user(agency, Role.SYSTEM_ADMIN)
    client.force_login(sysadmin)
    r = client.post(
        "/api/org/officers",
        {
            "department_id": other_agency.departments.first().pk,
            "name": "越界",
            "certificate_no": "API-X1",
            "certificate_issuer": "某市人民政府",
            "certificate_valid_from": "2025-01-01",
            "certificate_valid_until": "2029-12-31",
        },
        content_type="application/json",
    )
    assert r.status_code == 404


def test_officer_create__end_before_start_is_refused_in_chinese(client, agency, make_user):
    client.force_login(make_user(agency, Role.SYSTEM_ADMIN))
    r = client.post(
        "/api/org/officers",
        {
            "name": "倒挂",
            "certificate_no": "API-X2",
            "certificate_issuer": "某市人民政府",
            "certificate_valid_from": "2029-01-01",
            "certificate_valid_until": "2025-12-31",
        },
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json() == {"code": "certificate_dates_invalid", "message": "执法证件有效期止不能早于有效期起"}


def test_openapi_spec_has_no_duplicate_keys(client, db):
    """Swagger UI parses the spec as YAML, which refuses a key given twice (e.g. responses 200 and "200")."""
    import json

    duplicated: list[list[str]] = []

    def pairs_hook(pairs: list[tuple[str, object]]) -> dict:
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            duplicated.append(keys)
        return dict(pairs)

    json.loads(client.get("/api/openapi.json").content, object_pairs_hook=pairs_hook)
    assert duplicated == []
