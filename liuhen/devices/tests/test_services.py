"""Device registry services: registering, assignment history, pre-use checks, fault reports that
notify the superior at once, repair and retirement; refusals leave everything stored as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liuhen.core.errors import DomainError
from liuhen.core.models import Notification
from liuhen.devices import selectors, services
from liuhen.devices.models import (
    Device,
    DeviceAssignment,
    DeviceReturn,
    DeviceStatus,
    DeviceStatusChange,
    FaultReport,
    PreUseCheck,
)
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.testing.attacker import attacker


def _snapshot() -> tuple:
    return (
        list(Device.objects.values_list("pk", "status", "holder_id", "serial")),
        DeviceAssignment.objects.count(),
        DeviceReturn.objects.count(),
        PreUseCheck.objects.count(),
        FaultReport.objects.count(),
        DeviceStatusChange.objects.count(),
        Notification.objects.count(),
        Event.objects.count(),
    )


def _refused(code: str, call, *args, **kwargs) -> DomainError:
    before = _snapshot()
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.as_dict()
    assert _snapshot() == before, "a refusal must not change anything stored"
    return info.value


def _check(actor, device, **kw):
    args = {"function_ok": True, "battery_ok": True, "storage_ok": True, "clock_calibrated": True}
    args.update(kw)
    return services.preuse_check_record(actor=actor, device=device, **args)


# ---------------------------------------------------------------- registry


@pytest.mark.clause("dev-equipment-provision")
def test_device_register__normalises_serial_and_records_event(staff):
    device = services.device_register(
        actor=staff.department_head, serial="  dsj-a8-0001 ", kind="body_camera", model="DSJ-A8"
    )
    assert device.serial == "DSJ-A8-0001"
    assert device.status == DeviceStatus.IN_SERVICE
    event = Event.objects.get(action="device.registered", object_id=str(device.pk))
    assert event.agency_id == staff.agency.pk
    assert selectors.device_by_serial(staff.agency, "dsj-a8-0001") == device
    assert selectors.device_by_serial(staff.agency.pk, "UNKNOWN-1") is None
    assert verify_records() == []


def test_device_register__duplicate_serial_refused(staff, camera):
    first = camera("DSJ-0001")
    err = _refused(
        "device_serial_taken", services.device_register, actor=staff.agency_head, serial="dsj-0001", kind="body_camera"
    )
    assert "DSJ-0001" in err.message and err.detail["device_id"] == first.pk


def test_device_register__same_serial_allowed_in_another_agency(staff, staff_of, camera):
    camera("DSJ-0001")
    other = staff_of("dev-other", "xigang-culture")
    services.device_register(actor=other.department_head, serial="DSJ-0001", kind="body_camera")
    assert Device.objects.filter(serial="DSJ-0001").count() == 2


def test_device_register__bad_input_refused(staff):
    head = staff.department_head
    _refused("device_serial_required", services.device_register, actor=head, serial="  ", kind="body_camera")
    _refused("device_serial_invalid", services.device_register, actor=head, serial="A B", kind="body_camera")
    _refused("device_kind_unknown", services.device_register, actor=head, serial="X1", kind="drone")
    err = _refused("field_required", services.device_register, actor=head, serial="CAM-1", kind="fixed_camera")
    assert "安装位置" in err.message
    _refused("device_forbidden", services.device_register, actor=staff.officer, serial="X1", kind="body_camera")


def test_device_register__records_keeper_may_manage(staff):
    device = services.device_register(
        actor=staff.records_keeper, serial="HALL-1", kind="fixed_camera", location="听证室"
    )
    assert device.location == "听证室"


# ---------------------------------------------------------------- assignment


@pytest.mark.clause("dev-equipment-provision")
def test_device_assign__history_with_one_open_assignment(staff, camera):
    device = camera()
    services.device_assign(actor=staff.department_head, device=device, holder=staff.officer)
    device.refresh_from_db()
    assert device.holder == staff.officer
    err = _refused(
        "device_already_assigned",
        services.device_assign,
        actor=staff.department_head,
        device=device,
        holder=staff.officer2,
    )
    assert staff.officer.officer.name in err.message
    services.device_unassign(actor=staff.department_head, device=device, note="交还")
    services.device_assign(actor=staff.records_keeper, device=device, holder=staff.officer2)
    device.refresh_from_db()
    assert device.holder == staff.officer2
    history = [
        (a.holder_id, DeviceReturn.objects.filter(assignment=a).exists())
        for a in device.assignments.order_by("assigned_at")
    ]
    assert history == [(staff.officer.pk, True), (staff.officer2.pk, False)]
    assert selectors.holder_at(device, timezone.now()) == staff.officer2
    spare = camera("SPARE-1")
    _refused("device_not_assigned", services.device_unassign, actor=staff.department_head, device=spare)
    assert verify_records() == []


@pytest.mark.clause("dev-maintenance")
def test_device_assign__faulty_or_retired_device_refused(staff, camera):
    device = camera(holder=staff.officer)
    services.fault_report(
        actor=staff.officer, device=device, kind="fault", description="无法开机", occurred_at=timezone.now()
    )
    services.device_unassign(actor=staff.department_head, device=device)
    err = _refused(
        "device_not_in_service",
        services.device_assign,
        actor=staff.department_head,
        device=device,
        holder=staff.officer2,
    )
    assert "故障" in err.message
    services.device_retire(actor=staff.department_head, device=device, note="主板损坏，无维修价值")
    err = _refused(
        "device_retired", services.device_assign, actor=staff.department_head, device=device, holder=staff.officer2
    )
    assert "已报废" in err.message


@pytest.mark.clause("av-show-credentials")
def test_device_assign__refused_to_an_officer_whose_certificate_expired(staff, camera):
    import datetime as dt

    officer = staff.officer2.officer
    officer.certificate_valid_until = timezone.localdate() - dt.timedelta(days=1)
    officer.save()
    err = _refused(
        "holder_certificate_invalid",
        services.device_assign,
        actor=staff.department_head,
        device=camera(),
        holder=staff.officer2,
    )
    assert officer.certificate_no in err.message and "不在有效期内" in err.message


def test_device_assign__holder_must_be_an_officer_of_the_agency(staff, staff_of, camera):
    device = camera()
    other = staff_of("dev-other", "xigang-culture")
    _refused("holder_invalid", services.device_assign, actor=staff.department_head, device=device, holder=other.officer)
    _refused(
        "holder_invalid",
        services.device_assign,
        actor=staff.department_head,
        device=device,
        holder=staff.records_keeper,
    )
    _refused("device_forbidden", services.device_assign, actor=staff.officer, device=device, holder=staff.officer)
    # a manager of another agency does not find this device
    _refused(
        "device_not_found", services.device_assign, actor=other.department_head, device=device, holder=other.officer
    )


# ---------------------------------------------------------------- pre-use checks


@pytest.mark.clause("dev-precheck-time-sync")
def test_preuse_check__holder_records_all_four_items(staff, camera):
    device = camera(holder=staff.officer)
    check = _check(staff.officer, device)
    assert check.passed and check.officer == staff.officer
    event = Event.objects.get(action="device.preuse_checked", object_id=str(check.pk))
    assert '"clock_calibrated":true' in event.payload
    failed = _check(staff.officer, device, clock_calibrated=False, note="时间差 3 分钟，无法校准")
    assert not failed.passed
    assert verify_records() == []


@pytest.mark.clause("dev-precheck-time-sync")
def test_preuse_check_ok__a_passing_check_that_day_before_the_moment(staff, camera):
    device = camera(holder=staff.officer)
    now = timezone.now()
    assert not selectors.preuse_check_ok(device, staff.officer, now)
    _check(staff.officer, device, battery_ok=False)
    assert not selectors.preuse_check_ok(device, staff.officer, timezone.now()), "a failed check does not count"
    check = _check(staff.officer, device)
    later = timezone.now() + dt.timedelta(minutes=1)
    assert selectors.preuse_check_ok(device, staff.officer, later) == check
    assert selectors.preuse_check_ok(device, staff.officer.officer, later) == check  # org.Officer works too
    assert not selectors.preuse_check_ok(device, staff.officer, check.checked_at - dt.timedelta(seconds=1))
    assert not selectors.preuse_check_ok(device, staff.officer2, later)
    tomorrow = timezone.localtime(later) + dt.timedelta(days=1)
    assert not selectors.preuse_check_ok(device, staff.officer, tomorrow), "yesterday's check does not cover today"


def test_preuse_check__someone_not_the_holder_refused(staff, camera):
    device = camera(holder=staff.officer)
    err = _refused("device_not_holder", _check, staff.officer2, device)
    assert staff.officer.officer.name in err.message
    _refused("device_not_holder", _check, staff.department_head, device)
    spare = camera("SPARE-2")
    _refused("device_not_holder", _check, staff.officer, spare)


def test_preuse_check__fixed_camera_checked_by_any_officer(staff):
    hall = services.device_register(
        actor=staff.department_head, serial="HALL-1", kind="fixed_camera", location="听证室"
    )
    assert _check(staff.officer2, hall).passed


@pytest.mark.clause("dev-maintenance")
def test_preuse_check__faulty_or_retired_device_refused(staff, camera):
    device = camera(holder=staff.officer)
    services.fault_report(
        actor=staff.officer, device=device, kind="damage", description="摔坏", occurred_at=timezone.now()
    )
    _refused("device_not_in_service", _check, staff.officer, device)
    services.device_retire(actor=staff.department_head, device=device, note="损坏无法修复")
    _refused("device_retired", _check, staff.officer, device)


def test_preuse_check__time_in_future_refused(staff, camera):
    device = camera(holder=staff.officer)
    _refused("date_in_future", _check, staff.officer, device, checked_at=timezone.now() + dt.timedelta(hours=2))


# ---------------------------------------------------------------- faults, repair, retirement


@pytest.mark.clause("dev-failure-report")
def test_fault_report__device_faulty_and_superior_notified_at_once(staff, camera):
    device = camera(holder=staff.officer)
    occurred = timezone.now() - dt.timedelta(minutes=20)
    report = services.fault_report(
        actor=staff.officer, device=device, kind="fault", description="雨天进水，无法开机", occurred_at=occurred
    )
    device.refresh_from_db()
    assert device.status == DeviceStatus.FAULTY
    assert [n["id"] for n in report.notified] == [staff.department_head.pk]
    note = Notification.objects.get(recipient=staff.department_head)
    # the notification carries the time, the device id and the reason (clause's testable statement)
    assert device.serial in note.title
    assert "雨天进水，无法开机" in note.body
    assert timezone.localtime(occurred).strftime("%Y-%m-%d %H:%M") in note.body
    assert note.created_at == report.reported_at or abs(note.created_at - report.reported_at) < dt.timedelta(seconds=5)
    assert note.link == f"/devices/{device.pk}/"
    event = Event.objects.get(action="device.fault_reported", object_id=str(report.pk))
    assert str(staff.department_head.pk) in event.payload
    assert verify_records() == []


def test_fault_report__department_head_reports_to_agency_head(staff_of, make_user):
    staff = staff_of()
    hall = services.device_register(
        actor=staff.department_head, serial="HALL-9", kind="fixed_camera", location="询问室"
    )
    report = services.fault_report(
        actor=staff.department_head, device=hall, kind="fault", description="画面黑屏", occurred_at=timezone.now()
    )
    assert [n["id"] for n in report.notified] == [staff.agency_head.pk]


def test_fault_report__occurred_in_future_refused(staff, camera):
    device = camera(holder=staff.officer)
    err = _refused(
        "date_in_future",
        services.fault_report,
        actor=staff.officer,
        device=device,
        kind="fault",
        description="无法开机",
        occurred_at=timezone.now() + dt.timedelta(hours=1),
    )
    assert "发生时间" in err.message


def test_fault_report__bad_input_refused(staff, camera):
    device = camera(holder=staff.officer)
    now = timezone.now()
    _refused(
        "fault_kind_unknown",
        services.fault_report,
        actor=staff.officer,
        device=device,
        kind="x",
        description="d",
        occurred_at=now,
    )
    _refused(
        "field_required",
        services.fault_report,
        actor=staff.officer,
        device=device,
        kind="fault",
        description=" ",
        occurred_at=now,
    )
    _refused(
        "device_not_holder",
        services.fault_report,
        actor=staff.officer2,
        device=device,
        kind="loss",
        description="丢失",
        occurred_at=now,
    )


@pytest.mark.clause("dev-maintenance")
def test_repair_and_retire__status_steps_and_fault_resolution(staff, camera):
    device = camera(holder=staff.officer)
    report = services.fault_report(
        actor=staff.officer, device=device, kind="damage", description="镜头碎裂", occurred_at=timezone.now()
    )
    assert selectors.faults_open(device) == [report]
    _refused("device_forbidden", services.repair_start, actor=staff.officer, device=device)
    services.repair_start(actor=staff.department_head, device=device, note="送厂家维修")
    device.refresh_from_db()
    assert device.status == DeviceStatus.UNDER_REPAIR
    _refused("device_status_refused", services.repair_start, actor=staff.department_head, device=device)
    done = services.repair_done(actor=staff.department_head, device=device, note="更换镜头")
    device.refresh_from_db()
    assert device.status == DeviceStatus.IN_SERVICE
    assert selectors.fault_resolution(report) == done
    assert selectors.faults_open(device) == []
    assert _check(staff.officer, device).passed  # back in service: usable again
    services.device_retire(actor=staff.records_keeper, device=device, note="超过使用年限")
    device.refresh_from_db()
    assert device.status == DeviceStatus.RETIRED and device.holder is None
    assert device.assignments.get().ended.note.startswith("设备报废")
    _refused("device_retired", services.device_retire, actor=staff.department_head, device=device, note="再次")
    _refused(
        "device_retired",
        services.fault_report,
        actor=staff.officer,
        device=device,
        kind="loss",
        description="x",
        occurred_at=timezone.now(),
    )
    kinds = [e.kind for e in selectors.device_timeline(device)]
    assert {"registered", "assigned", "returned", "check", "fault", "repair_started", "repaired", "retired"} <= set(
        kinds
    )
    assert verify_records() == []


def test_history_rows_are_write_once(staff, camera):
    device = camera(holder=staff.officer)
    check = _check(staff.officer, device)
    with pytest.raises(DomainError):
        check.save()
    with pytest.raises(DomainError):
        PreUseCheck.objects.filter(pk=check.pk).update(battery_ok=False)
    with pytest.raises(DomainError):
        DeviceAssignment.objects.all().delete()


def test_verify__finds_an_edited_check_and_a_changed_serial(staff, camera):
    from django.db import IntegrityError, connection, transaction

    device = camera(holder=staff.officer)
    check = _check(staff.officer, device, battery_ok=False)
    assert verify_records() == []
    for sql in (
        "UPDATE devices_preusecheck SET battery_ok = TRUE WHERE id = %s",
        "UPDATE devices_device SET serial = 'FORGED-1' WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [check.pk if "preuse" in sql else device.pk])
    with connection.cursor() as cursor:  # a device's status and note change; its identity never does
        cursor.execute("UPDATE devices_device SET note = 'x' WHERE id = %s", [device.pk])
    with attacker(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE devices_preusecheck SET battery_ok = %s, result = 'passed' WHERE id = %s", [True, check.pk]
        )
        cursor.execute("UPDATE devices_device SET serial = 'FORGED-1' WHERE id = %s", [device.pk])
    found = {(f.code, f.item) for f in verify_records()}
    assert ("record_row_edited", f"record:devices.PreUseCheck:{check.pk}") in found
    assert ("record_row_edited", f"record:devices.Device:{device.pk}") in found
