"""Changes to the device registry, each one transaction with its ledger event.

Clauses dev-equipment-provision (registry and assignment), dev-precheck-time-sync (pre-use check of
function, battery, storage space and clock), dev-failure-report (a fault, damage or loss is reported
and the officer's superior is notified at once), dev-maintenance (repair and retirement; a faulty,
under-repair or retired device cannot be handed out or checked for use).

Who may do what is the devices policy's (``liuhen.devices.policies.device_policy``), asked by each service:
registering, assigning, returning, repairing and retiring are ``manage``; the pre-use check is ``use``
(the holder; a fixed camera nobody holds, any officer); a fault report is ``report`` (as ``use``, and
device managers). Whether the device's state allows the act is checked here (409).

Profiles: ``av_rules.pre_use_check`` says whether the check is demanded (the media app flags
recordings without one); ``av_rules.failure_report_to_superior`` whether the agency's rules demand the
report to the superior. The superior is notified in every agency — it costs nothing and the national
rule (000 第五条) asks for it — and the report records whether the profile demanded it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from liuhen.core.clock import not_in_future
from liuhen.core.notifications import notify
from liuhen.devices import selectors
from liuhen.devices.errors import DeviceConflict, DeviceInvalid, DeviceNotFound
from liuhen.devices.models import (
    CheckResult,
    Device,
    DeviceAssignment,
    DeviceKind,
    DeviceReturn,
    DeviceStatus,
    DeviceStatusChange,
    FaultKind,
    FaultReport,
    PreUseCheck,
    StatusStep,
)
from liuhen.devices.policies import device_policy
from liuhen.ledger.records import ImmutableRecord
from liuhen.ledger.services import record
from liuhen.org import rules

DEVICE_FIELDS = ("agency_id", "serial", "kind", "registered_by_id", "registered_at")
ASSIGNMENT_FIELDS = ("device_id", "holder_id", "holder_name", "assigned_by_id", "assigned_at")
RETURN_FIELDS = ("assignment_id", "returned_by_id", "returned_at")
CHECK_FIELDS = (
    "device_id",
    "officer_id",
    "checked_at",
    "function_ok",
    "battery_ok",
    "storage_ok",
    "clock_calibrated",
    "result",
)
FAULT_FIELDS = ("device_id", "reporter_id", "kind", "description", "occurred_at", "reported_at", "notified")
STATUS_FIELDS = ("device_id", "step", "status_before", "status_after", "actor_id", "at")
STEP_ACTIONS = {
    StatusStep.REPAIR_STARTED: "device.repair_started",
    StatusStep.REPAIRED: "device.repaired",
    StatusStep.RETIRED: "device.retired",
}

RECORDS = (
    # Device rows change status and holder; their identity columns never change.
    ImmutableRecord("devices.Device", "device.registered", "device", DEVICE_FIELDS, "设备登记", columns=DEVICE_FIELDS),
    ImmutableRecord("devices.DeviceAssignment", "device.assigned", "device_assignment", ASSIGNMENT_FIELDS, "设备配发"),
    ImmutableRecord("devices.DeviceReturn", "device.returned", "device_return", RETURN_FIELDS, "设备收回"),
    ImmutableRecord("devices.PreUseCheck", "device.preuse_checked", "preuse_check", CHECK_FIELDS, "设备使用前检查"),
    ImmutableRecord("devices.FaultReport", "device.fault_reported", "fault_report", FAULT_FIELDS, "设备故障报告"),
    ImmutableRecord(
        "devices.DeviceStatusChange",
        tuple(STEP_ACTIONS.values()),
        "device_status_change",
        STATUS_FIELDS,
        "设备维修与报废",
    ),
)


# ---------------------------------------------------------------- helpers


def _normal(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _payload(row: Any, fields: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    """The event payload: the row's checked columns exactly as ``verify`` reads them back, and more."""
    return {**{f: _normal(getattr(row, f)) for f in fields}, **extra}


_name = selectors.person_name


def _utc(value: dt.datetime | None, label: str, *, not_before: dt.datetime | None = None) -> dt.datetime:
    """A moment given by a person: aware, not in the future, stored in UTC (so payload and row agree)."""
    now = timezone.now()
    if value is None:
        return now.astimezone(dt.UTC)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    value = not_in_future(value, label=label)
    if not_before is not None and value < not_before:
        shown = timezone.localtime(not_before).strftime("%Y-%m-%d %H:%M")
        raise DeviceInvalid(f"{label}早于设备登记时间（{shown}）", code="date_before_registration", field=label)
    return value.astimezone(dt.UTC)


def _text(value: str | None, label: str, *, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DeviceInvalid(f"请填写{label}", code="field_required", field=label)
    if len(text) > max_length:
        raise DeviceInvalid(f"{label}不能超过 {max_length} 个字", code="field_too_long", field=label)
    return text


def _lock(actor: Any, device: Device) -> Device:
    """The device row, locked for this transaction; another agency's device is not found."""
    row = device_policy.in_agency(actor).select_for_update().filter(pk=device.pk).first()
    if row is None:
        raise DeviceNotFound()
    return row


def _usable(device: Device, doing: str) -> None:
    if device.status == DeviceStatus.RETIRED:
        raise DeviceConflict(f"设备 {device.serial} 已报废，不能{doing}", code="device_retired", status=device.status)
    if device.status != DeviceStatus.IN_SERVICE:
        raise DeviceConflict(
            f"设备 {device.serial} 当前为“{device.get_status_display()}”状态，须维修完成后才能{doing}",
            code="device_not_in_service",
            status=device.status,
        )


# ---------------------------------------------------------------- registry


def device_register(
    *,
    actor: Any,
    serial: str,
    kind: str,
    model: str = "",
    location: str = "",
    department: Any = None,
    note: str = "",
) -> Device:
    """Register a recorder of the actor's agency (dev-equipment-provision)."""
    device_policy.require(actor, "manage")
    serial = selectors.normalise_serial(serial)
    if not serial:
        raise DeviceInvalid("请填写设备序列号", code="device_serial_required")
    if len(serial) > 64 or not serial.isprintable() or any(c.isspace() for c in serial):
        raise DeviceInvalid("设备序列号不能含空格或控制字符，且不超过 64 个字符", code="device_serial_invalid")
    if kind not in DeviceKind.values:
        raise DeviceInvalid(
            f"未知的设备类型“{kind}”，应为：" + "、".join(f"{v} {label}" for v, label in DeviceKind.choices),
            code="device_kind_unknown",
        )
    location = _text(location, "安装位置", max_length=200, required=kind == DeviceKind.FIXED_CAMERA)
    if department is not None and department.agency_id != actor.agency_id:
        raise DeviceInvalid("所属科室不是本机关的科室", code="department_invalid")
    model = _text(model, "型号", max_length=100)
    note = _text(note, "备注", max_length=300)
    existing = Device.objects.filter(agency_id=actor.agency_id, serial=serial).first()
    if existing is not None:
        raise DeviceConflict(
            f"本机关已登记序列号为“{serial}”的设备（{existing.get_kind_display()}，{existing.get_status_display()}）",
            code="device_serial_taken",
            device_id=existing.pk,
        )
    try:
        with transaction.atomic():
            device = Device.objects.create(
                agency_id=actor.agency_id,
                department=department,
                serial=serial,
                model=model,
                kind=kind,
                location=location,
                registered_by=actor,
                registered_at=timezone.now().astimezone(dt.UTC),
                note=note,
            )
            record(
                actor=actor,
                action="device.registered",
                obj_type="device",
                obj_id=device.pk,
                payload=_payload(device, DEVICE_FIELDS, model=model, location=location),
            )
    except IntegrityError as exc:  # registered by someone else a moment ago
        raise DeviceConflict(f"本机关已登记序列号为“{serial}”的设备", code="device_serial_taken") from exc
    return device


def device_assign(*, actor: Any, device: Device, holder: Any, note: str = "") -> DeviceAssignment:
    """Hand a device in service to an officer of the agency; one holder at a time."""
    device_policy.require(actor, "manage")
    note = _text(note, "备注", max_length=300)
    if (
        holder is None
        or holder.agency_id != actor.agency_id
        or not holder.is_active
        or getattr(holder, "officer", None) is None
    ):
        raise DeviceInvalid("领用人须为本机关在岗、持有执法证件的执法人员", code="holder_invalid")
    officer = holder.officer
    status = rules.certificate_status(
        officer.certificate_valid_from, officer.certificate_valid_until, timezone.localdate()
    )
    if status in ("expired", "not_yet_valid"):
        raise DeviceInvalid(
            f"{officer.name}的执法证件（{officer.certificate_no}）不在有效期内，不得配发执法记录设备",
            code="holder_certificate_invalid",
        )
    with transaction.atomic():
        device = _lock(actor, device)
        _usable(device, "配发")
        if device.holder_id is not None:
            raise DeviceConflict(
                f"设备 {device.serial} 已配发给{_name(device.holder)}，请先收回再配发",
                code="device_already_assigned",
                holder=_name(device.holder),
            )
        row = DeviceAssignment.objects.create(
            device=device,
            holder=holder,
            holder_name=_name(holder),
            certificate_no=holder.officer.certificate_no,
            assigned_by=actor,
            assigned_at=timezone.now().astimezone(dt.UTC),
            note=note,
        )
        device.holder = holder
        device.save(update_fields=["holder"])
        record(
            actor=actor,
            action="device.assigned",
            obj_type="device_assignment",
            obj_id=row.pk,
            payload=_payload(row, ASSIGNMENT_FIELDS, serial=device.serial, certificate_no=row.certificate_no),
        )
    return row


def _end_assignment(actor: Any, device: Device, note: str) -> DeviceReturn | None:
    assignment = selectors.open_assignment(device)
    if assignment is None:
        return None
    row = DeviceReturn.objects.create(
        assignment=assignment, returned_by=actor, returned_at=timezone.now().astimezone(dt.UTC), note=note
    )
    device.holder = None
    device.save(update_fields=["holder"])
    record(
        actor=actor,
        action="device.returned",
        obj_type="device_return",
        obj_id=row.pk,
        payload=_payload(row, RETURN_FIELDS, device_id=device.pk, serial=device.serial, holder=assignment.holder_name),
    )
    return row


def device_unassign(*, actor: Any, device: Device, note: str = "") -> DeviceReturn:
    """Take a device back from its holder (it may be faulty: a broken camera is returned too)."""
    device_policy.require(actor, "manage")
    note = _text(note, "备注", max_length=300)
    with transaction.atomic():
        device = _lock(actor, device)
        row = _end_assignment(actor, device, note)
        if row is None:
            raise DeviceConflict(f"设备 {device.serial} 当前没有领用人", code="device_not_assigned")
    return row


# ---------------------------------------------------------------- use


def preuse_check_record(
    *,
    actor: Any,
    device: Device,
    function_ok: bool,
    battery_ok: bool,
    storage_ok: bool,
    clock_calibrated: bool,
    note: str = "",
    checked_at: dt.datetime | None = None,
) -> PreUseCheck:
    """使用前检查 by the holder: function, battery, storage space, clock calibrated (dev-precheck-time-sync).

    Passed only when all four are fine; a failed check is kept too (it shows the device was not used
    blind) and the page offers the fault report.
    """
    note = _text(note, "说明", max_length=300)
    with transaction.atomic():
        device = _lock(actor, device)
        _usable(device, "做使用前检查")
        device_policy.require(actor, "use", device)
        when = _utc(checked_at, "检查时间", not_before=device.registered_at)
        passed = all((function_ok, battery_ok, storage_ok, clock_calibrated))
        row = PreUseCheck.objects.create(
            device=device,
            officer=actor,
            officer_name=_name(actor),
            checked_at=when,
            function_ok=bool(function_ok),
            battery_ok=bool(battery_ok),
            storage_ok=bool(storage_ok),
            clock_calibrated=bool(clock_calibrated),
            result=CheckResult.PASSED if passed else CheckResult.FAILED,
            note=note,
            recorded_at=timezone.now(),
        )
        record(
            actor=actor,
            action="device.preuse_checked",
            obj_type="preuse_check",
            obj_id=row.pk,
            payload=_payload(row, CHECK_FIELDS, serial=device.serial, note=note),
        )
    return row


def fault_report(
    *,
    actor: Any,
    device: Device,
    kind: str,
    description: str,
    occurred_at: dt.datetime,
) -> FaultReport:
    """Report a fault, damage or loss; the device becomes faulty and the superior is notified at once
    (dev-failure-report), in the same transaction as the report."""
    if kind not in FaultKind.values:
        raise DeviceInvalid(
            f"未知的报告类别“{kind}”，应为：" + "、".join(f"{v} {label}" for v, label in FaultKind.choices),
            code="fault_kind_unknown",
        )
    description = _text(description, "情况说明（原因、经过）", max_length=2000, required=True)
    if occurred_at is None:
        raise DeviceInvalid("请填写发生时间", code="field_required", field="发生时间")
    with transaction.atomic():
        device = _lock(actor, device)
        if device.status == DeviceStatus.RETIRED:
            raise DeviceConflict(f"设备 {device.serial} 已报废，无须再报告故障", code="device_retired")
        device_policy.require(actor, "report", device)
        occurred = _utc(occurred_at, "发生时间")
        subject = device.holder or actor
        superiors = selectors.superiors_of(subject)
        if subject.pk != actor.pk:
            superiors = [s for s in superiors if s.pk != actor.pk]
        notified = [{"id": s.pk, "name": _name(s), "roles": sorted(s.role_codes)} for s in superiors]
        status_before = device.status
        row = FaultReport.objects.create(
            device=device,
            reporter=actor,
            reporter_name=_name(actor),
            kind=kind,
            description=description,
            occurred_at=occurred,
            reported_at=timezone.now().astimezone(dt.UTC),
            status_before=status_before,
            notified=notified,
            notice_required=selectors.failure_report_required(device.agency),
        )
        if device.status == DeviceStatus.IN_SERVICE:
            device.status = DeviceStatus.FAULTY
            device.save(update_fields=["status"])
        when = timezone.localtime(occurred).strftime("%Y-%m-%d %H:%M")
        notify(
            recipients=superiors,
            kind="device_fault",
            title=f"{row.reporter_name}报告{row.get_kind_display()}：{device.get_kind_display()} {device.serial}",
            body=f"发生时间：{when}\n设备：{device.get_kind_display()} {device.serial}"
            + (f"（{device.model}）" if device.model else "")
            + f"\n领用人：{_name(subject)}\n情况说明：{description}",
            link=reverse("devices:detail", args=[device.pk]),
            obj=("fault_report", row.pk),
        )
        record(
            actor=actor,
            action="device.fault_reported",
            obj_type="fault_report",
            obj_id=row.pk,
            payload=_payload(row, FAULT_FIELDS, serial=device.serial, notice_required=row.notice_required),
        )
    return row


# ---------------------------------------------------------------- maintenance


def _step(actor: Any, device: Device, step: str, to: str, note: str) -> DeviceStatusChange:
    row = DeviceStatusChange.objects.create(
        device=device,
        step=step,
        status_before=device.status,
        status_after=to,
        note=note,
        actor=actor,
        actor_name=_name(actor),
        at=timezone.now().astimezone(dt.UTC),
    )
    device.status = to
    device.save(update_fields=["status"])
    record(
        actor=actor,
        action=STEP_ACTIONS[StatusStep(step)],
        obj_type="device_status_change",
        obj_id=row.pk,
        payload=_payload(row, STATUS_FIELDS, serial=device.serial, note=note),
    )
    return row


def repair_start(*, actor: Any, device: Device, note: str = "") -> DeviceStatusChange:
    """送修: a faulty device goes to repair."""
    device_policy.require(actor, "manage")
    note = _text(note, "说明", max_length=300)
    with transaction.atomic():
        device = _lock(actor, device)
        if device.status != DeviceStatus.FAULTY:
            raise DeviceConflict(
                f"只有“故障”状态的设备可以送修（设备 {device.serial} 当前为“{device.get_status_display()}”）",
                code="device_status_refused",
                status=device.status,
            )
        return _step(actor, device, StatusStep.REPAIR_STARTED, DeviceStatus.UNDER_REPAIR, note)


def repair_done(*, actor: Any, device: Device, note: str = "") -> DeviceStatusChange:
    """维修完成: back in service; resolves the fault reports before it."""
    device_policy.require(actor, "manage")
    note = _text(note, "维修结果", max_length=300)
    with transaction.atomic():
        device = _lock(actor, device)
        if device.status not in (DeviceStatus.UNDER_REPAIR, DeviceStatus.FAULTY):
            raise DeviceConflict(
                f"设备 {device.serial} 当前为“{device.get_status_display()}”，没有待完成的维修",
                code="device_status_refused",
                status=device.status,
            )
        return _step(actor, device, StatusStep.REPAIRED, DeviceStatus.IN_SERVICE, note)


def device_retire(*, actor: Any, device: Device, note: str) -> DeviceStatusChange:
    """报废: for good; the holder's assignment ends with it. The row and its history stay."""
    device_policy.require(actor, "manage")
    note = _text(note, "报废原因", max_length=300, required=True)
    with transaction.atomic():
        device = _lock(actor, device)
        if device.status == DeviceStatus.RETIRED:
            raise DeviceConflict(f"设备 {device.serial} 已报废", code="device_retired")
        _end_assignment(actor, device, f"设备报废：{note}"[:300])
        return _step(actor, device, StatusStep.RETIRED, DeviceStatus.RETIRED, note)
