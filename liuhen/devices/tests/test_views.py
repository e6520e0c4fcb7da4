"""Device pages: the registry with status and holder, registering, assigning, the phone check form, the
fault report form with who will be told, and what each profile demands shown on the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liuhen.core.models import Notification
from liuhen.devices import services
from liuhen.devices.models import Device, DeviceStatus, PreUseCheck
from liuhen.ledger.records import verify_records


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_device_list__status_and_holder(client, staff, camera):
    camera("DSJ-1", holder=staff.officer)
    camera("DSJ-2")
    client.force_login(staff.officer2)
    body = client.get("/devices/").content.decode()
    assert "DSJ-1" in body and "DSJ-2" in body
    assert staff.officer.officer.name in body
    assert "在用" in body
    assert "登记设备" not in body, "an officer does not manage devices"


def test_nav__officer_and_records_keeper_see_devices(client, staff):
    client.force_login(staff.records_keeper)
    assert "执法记录设备" in client.get("/").content.decode()


def test_device_pages__refused_without_permission(client, staff, make_user, camera):
    from liuhen.org.rules import Role

    device = camera()
    client.force_login(make_user(staff.agency, Role.SYSTEM_ADMIN))
    assert client.get("/devices/").status_code == 403
    client.force_login(staff.officer)
    assert client.get("/devices/new/").status_code == 403
    assert client.post(f"/devices/{device.pk}/assign/", {"holder": staff.officer.pk}).status_code == 403


def test_register_and_assign_pages(client, staff):
    client.force_login(staff.department_head)
    response = client.post("/devices/new/", {"serial": "dsj-9", "kind": "body_camera", "model": "DSJ-V9"})
    device = Device.objects.get(serial="DSJ-9")
    assert response.status_code == 302 and response.url == f"/devices/{device.pk}/"
    # duplicate: the message is shown, the form stays filled
    body = client.post("/devices/new/", {"serial": "DSJ-9", "kind": "body_camera"}).content.decode()
    assert "本机关已登记序列号为“DSJ-9”的设备" in body and 'value="DSJ-9"' in body
    assert Device.objects.count() == 1
    page = client.get(f"/devices/{device.pk}/assign/").content.decode()
    assert staff.officer.officer.certificate_no in page
    response = client.post(f"/devices/{device.pk}/assign/", {"holder": staff.officer.pk})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.holder == staff.officer
    detail = client.get(f"/devices/{device.pk}/").content.decode()
    assert "配发给" in detail and staff.officer.officer.name in detail


def test_preuse_check_page__holder_records_a_passing_check(client, staff, camera):
    device = camera(holder=staff.officer)
    client.force_login(staff.officer)
    page = client.get(f"/devices/{device.pk}/check/").content.decode()
    assert "系统时间已校准" in page and "form-switch" in page
    response = client.post(
        f"/devices/{device.pk}/check/",
        {"function_ok": "on", "battery_ok": "on", "storage_ok": "on", "clock_calibrated": "on"},
    )
    assert response.status_code == 302 and response.url == f"/devices/{device.pk}/"
    assert PreUseCheck.objects.get().passed


def test_preuse_check_page__failed_check_leads_to_fault_form(client, staff, camera):
    device = camera(holder=staff.officer)
    client.force_login(staff.officer)
    response = client.post(f"/devices/{device.pk}/check/", {"function_ok": "on", "storage_ok": "on"})
    assert response.url == f"/devices/{device.pk}/fault/"
    assert not PreUseCheck.objects.get().passed


def test_preuse_check_page__not_the_holder_is_told_why(client, staff, camera):
    device = camera(holder=staff.officer)
    client.force_login(staff.officer2)
    body = client.post(f"/devices/{device.pk}/check/", {"function_ok": "on"}).content.decode()
    assert "只有领用人本人可以做使用前检查" in body
    assert PreUseCheck.objects.count() == 0


def test_fault_page__reports_and_notifies_the_head(client, staff, camera):
    device = camera(holder=staff.officer)
    client.force_login(staff.officer)
    page = client.get(f"/devices/{device.pk}/fault/").content.decode()
    assert staff.department_head.officer.name in page, "the page names who will be told"
    future = client.post(
        f"/devices/{device.pk}/fault/",
        {"kind": "fault", "description": "无法开机", "occurred_at": _local(timezone.now() + dt.timedelta(hours=3))},
    ).content.decode()
    assert "晚于现在" in future
    client.post(
        f"/devices/{device.pk}/fault/",
        {
            "kind": "damage",
            "description": "执法中摔坏",
            "occurred_at": _local(timezone.now() - dt.timedelta(minutes=5)),
        },
    )
    device.refresh_from_db()
    assert device.status == DeviceStatus.FAULTY
    client.force_login(staff.department_head)
    listing = client.get("/devices/").content.decode()
    assert "设备故障报告（未读）" in listing and "执法中摔坏" in listing
    note = Notification.objects.get(recipient=staff.department_head)
    response = client.post(f"/devices/notifications/{note.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert "设备故障报告（未读）" not in client.get("/devices/").content.decode()
    # another person's notification is not found
    client.force_login(staff.officer2)
    assert client.post(f"/devices/notifications/{note.pk}/read/").status_code == 404


def test_repair_and_retire_buttons(client, staff, camera):
    device = camera(holder=staff.officer)
    services.fault_report(actor=staff.officer, device=device, kind="fault", description="x", occurred_at=timezone.now())
    client.force_login(staff.department_head)
    assert "未处理的故障报告" in client.get(f"/devices/{device.pk}/").content.decode()
    client.post(f"/devices/{device.pk}/repair-start/", {"note": "送厂家"})
    client.post(f"/devices/{device.pk}/repair-done/", {"note": "已修复"})
    device.refresh_from_db()
    assert device.status == DeviceStatus.IN_SERVICE
    body = client.post(f"/devices/{device.pk}/retire/", {"note": ""}, follow=True).content.decode()
    assert "请填写报废原因" in body
    client.post(f"/devices/{device.pk}/retire/", {"note": "超过使用年限"})
    device.refresh_from_db()
    assert device.status == DeviceStatus.RETIRED and device.holder is None
    assert verify_records() == []


def test_other_agency_device_not_found(client, staff, staff_of, camera):
    device = camera()
    other = staff_of("dev-other", "xigang-culture")
    client.force_login(other.department_head)
    assert client.get(f"/devices/{device.pk}/").status_code == 404


# ---------------------------------------------------------------- two profiles


@pytest.mark.clause("dev-precheck-time-sync", "dev-failure-report")
@pytest.mark.parametrize(
    ("profile_id", "check_demanded", "report_demanded"),
    [("dongxihu-culture", True, False), ("xigang-culture", False, True)],
)
def test_profiles__what_each_demands_is_shown_and_kept(client, staff_of, profile_id, check_demanded, report_demanded):
    from liuhen.devices import selectors

    staff = staff_of(f"dev-{profile_id}", profile_id)
    device = services.device_register(actor=staff.department_head, serial="DSJ-P", kind="body_camera")
    services.device_assign(actor=staff.department_head, device=device, holder=staff.officer)
    assert selectors.preuse_check_required(staff.agency) is check_demanded
    client.force_login(staff.officer)
    check_page = client.get(f"/devices/{device.pk}/check/").content.decode()
    assert ("使用前须检查" in check_page) is check_demanded
    assert ("未强制要求使用前检查" in check_page) is not check_demanded
    fault_page = client.get(f"/devices/{device.pk}/fault/").content.decode()
    assert ("本机关执法规则<strong>要求</strong>向上级报告" in fault_page) is report_demanded
    report = services.fault_report(
        actor=staff.officer, device=device, kind="fault", description="黑屏", occurred_at=timezone.now()
    )
    # the superior is told in both agencies; the report keeps whether the profile demanded it
    assert report.notice_required is report_demanded
    assert Notification.objects.filter(recipient=staff.department_head).count() == 1
