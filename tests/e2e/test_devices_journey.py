"""Body cameras in the browser: the department head registers a camera and hands it to an officer; the
officer, on a phone-sized screen, records the pre-use check; the device page shows the history."""

from __future__ import annotations

from liuhen.devices.models import Device, PreUseCheck

PASSWORD = "Liuhen-test-2026!"


def _logout(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()


def test_head_registers_and_assigns_a_camera_officer_checks_it(page, login, screenshot, make_agency, make_user):
    agency = make_agency("e2e-devices", "dongxihu-culture")
    officer = make_user(agency, "officer", username="officer.one")
    make_user(agency, "department_head", username="head.one")

    # 1. the department head registers a body camera
    login(page, "head.one", PASSWORD)
    page.get_by_role("link", name="执法记录设备", exact=True).click()
    page.get_by_test_id("device-new-link").click()
    page.fill("#id_serial", "dsj-a8-e2e01")
    page.select_option("#id_kind", label="执法记录仪")
    page.fill("#id_model", "DSJ-A8")
    screenshot(page, "devices-register")
    with page.expect_navigation():
        page.get_by_role("button", name="登记").click()
    assert "已登记设备 DSJ-A8-E2E01" in page.content()
    assert page.get_by_test_id("device-serial").inner_text() == "DSJ-A8-E2E01"

    # 2. hands it to the officer
    page.get_by_test_id("assign-link").click()
    page.select_option("#id_holder", label=f"{officer.officer.name}（{officer.officer.certificate_no}）")
    screenshot(page, "devices-assign")
    with page.expect_navigation():
        page.get_by_role("button", name="配发").click()
    assert page.get_by_test_id("device-holder").inner_text().startswith(officer.officer.name)
    _logout(page)

    # 3. the officer, on a phone, records the pre-use check
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "officer.one", PASSWORD)
    page.goto("/devices/")
    page.get_by_test_id("my-check-DSJ-A8-E2E01").click()
    for label in ("设备性能正常（开机、录像、录音正常）", "电量充足", "存储空间充足", "系统时间已校准"):
        page.get_by_label(label).check()
    screenshot(page, "devices-preuse-check-phone")
    with page.expect_navigation():
        page.get_by_test_id("check-submit").click()
    assert "已登记使用前检查" in page.content()
    assert page.get_by_test_id("timeline-check").first.inner_text().find("均正常") >= 0
    screenshot(page, "devices-detail-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "devices-detail")

    device = Device.objects.get(agency=agency)
    assert device.holder_id == officer.pk
    assert PreUseCheck.objects.get(device=device).passed
