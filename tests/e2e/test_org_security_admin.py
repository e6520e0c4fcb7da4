"""The security administrator in the browser: a refused role (三员分立) is explained in Chinese; a token is shown once."""

from __future__ import annotations

PASSWORD = "Liuhen-test-2026!"


def test_security_admin_grants_roles_and_issues_a_token(page, login, screenshot, make_agency, make_user):
    agency = make_agency("e2e-sec")
    make_user(agency, "security_admin", username="sec.admin")
    station = make_user(agency, "officer", username="station.one")

    login(page, "sec.admin", PASSWORD)
    page.goto(f"/org/users/{station.pk}/")
    page.select_option("#id_role", label="安全审计员")
    with page.expect_navigation():
        page.get_by_role("button", name="授予", exact=True).click()
    assert "三员分立：安全审计员不能兼任业务角色" in page.content()

    page.select_option("#id_role", label="监督人员")
    with page.expect_navigation():
        page.get_by_role("button", name="授予", exact=True).click()
    assert "监督人员" in page.get_by_test_id("role-list").inner_text()
    screenshot(page, "org-user-detail-security-admin")

    page.fill("#id_name", "一号采集站")
    with page.expect_navigation():
        page.get_by_role("button", name="签发").click()
    raw = page.get_by_test_id("raw-token").inner_text()
    assert raw.startswith("lh_")
    screenshot(page, "org-token-issued")

    response = page.request.get("/api/org/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status == 200 and response.json()["username"] == "station.one"
