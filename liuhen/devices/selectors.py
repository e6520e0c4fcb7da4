"""Reads of the devices app; which devices a user sees is the devices policy's (``policies.device_policy``).

For the media app (音像记录) — stable signatures:

``device_by_serial(agency, serial) -> Device | None``
    The agency's device with that serial (``agency`` an ``org.Agency`` or its id). Serials are
    compared trimmed and upper-cased, as they are stored. ``None`` for a serial nobody registered:
    keep the recording and flag it for assignment, never drop it. A retired device is still
    returned (check ``device.status``).

``preuse_check_ok(device, officer, at) -> PreUseCheck | None``
    The latest passing pre-use check (dev-precheck-time-sync) of ``device`` by ``officer`` (a ``User``,
    or an ``org.Officer``, matched through its user account) made on the same local day
    (Asia/Shanghai) as ``at`` and not after it; ``None`` when there is none. Truthy/falsy, so it can
    be used as a bool.

``preuse_check_required(agency) -> bool``
    Whether the agency's profile demands the check (``av_rules.pre_use_check``); where it does not,
    a missing check is worth showing but is not a breach.

``holder_at(device, at) -> User | None``
    Who held the device at a moment (from the assignment history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from liuhen.core.people import display_name
from liuhen.devices.errors import DeviceNotFound
from liuhen.devices.models import (
    CheckResult,
    Device,
    DeviceAssignment,
    DeviceReturn,
    DeviceStatus,
    DeviceStatusChange,
    FaultReport,
    PreUseCheck,
    StatusStep,
)
from liuhen.devices.policies import device_policy
from liuhen.org import rules
from liuhen.org.models import Agency, User
from liuhen.policy.loader import get_profile


def normalise_serial(serial: str) -> str:
    return (serial or "").strip().upper()


def person_name(user: Any) -> str:
    """The name as on the records (``liuhen.core.people``), cut to the 60 characters device rows keep."""
    return display_name(user, max_length=60)


def device_list(user: Any) -> QuerySet[Device]:
    """The devices of the user's agency; refused (403) to a role that never sees devices."""
    device_policy.require(user, "view")
    return device_policy.visible(user)


def device_get_by_serial(viewer: Any, serial: str) -> Device:
    """The agency's device with that serial: 404 naming the serial when there is none, then the policy."""
    serial = normalise_serial(serial)
    device = device_policy.in_agency(viewer).filter(serial=serial).first()
    if device is None:
        raise DeviceNotFound(f"本机关没有登记序列号为“{serial}”的设备", serial=serial)
    device_policy.require(viewer, "view", device)
    return device


def device_by_serial(agency: Agency | int, serial: str) -> Device | None:
    agency_id = agency if isinstance(agency, int) else agency.pk
    return Device.objects.filter(agency_id=agency_id, serial=normalise_serial(serial)).first()


def _user_of(officer: Any) -> Any:
    if isinstance(officer, User):
        return officer
    return User.objects.filter(officer=officer).first()  # an org.Officer


def preuse_check_ok(device: Device, officer: Any, at: dt.datetime) -> PreUseCheck | None:
    user = _user_of(officer)
    if user is None:
        return None
    local = timezone.localtime(at)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        PreUseCheck.objects.filter(
            device=device, officer=user, result=CheckResult.PASSED, checked_at__gte=day_start, checked_at__lte=at
        )
        .order_by("-checked_at", "-id")
        .first()
    )


def preuse_check_required(agency: Agency) -> bool:
    return get_profile(agency.profile_id).av_rules.pre_use_check


def failure_report_required(agency: Agency) -> bool:
    return get_profile(agency.profile_id).av_rules.failure_report_to_superior


def holder_at(device: Device, at: dt.datetime) -> Any:
    row = (
        DeviceAssignment.objects.filter(device=device, assigned_at__lte=at)
        .filter(Q(ended__isnull=True) | Q(ended__returned_at__gt=at))
        .select_related("holder")
        .order_by("-assigned_at", "-id")
        .first()
    )
    return row.holder if row else None


def open_assignment(device: Device) -> DeviceAssignment | None:
    return DeviceAssignment.objects.filter(device=device, ended__isnull=True).order_by("-assigned_at", "-id").first()


def _department_of(user: Any) -> int | None:
    if getattr(user, "department_id", None):
        return user.department_id
    officer = getattr(user, "officer", None)
    return officer.department_id if officer else None


def superiors_of(user: Any) -> list[User]:
    """Whom an officer reports to at once: the heads of the officer's department; where there is none
    (or the officer is that head), the agency heads. Active accounts of the same agency only."""
    people = User.objects.filter(agency_id=user.agency_id, is_active=True).exclude(pk=user.pk)
    department_id = _department_of(user)
    heads: list[User] = []
    if department_id and rules.Role.DEPARTMENT_HEAD not in user.role_codes:
        heads = [
            u
            for u in people.filter(role_grants__role=rules.Role.DEPARTMENT_HEAD).select_related("officer")
            if _department_of(u) == department_id
        ]
    if not heads:
        heads = list(people.filter(role_grants__role=rules.Role.AGENCY_HEAD).order_by("pk"))
    return heads


def faults_open(device: Device) -> list[FaultReport]:
    """Fault reports not yet followed by a repair or retirement."""
    last = (
        DeviceStatusChange.objects.filter(device=device, step__in=[StatusStep.REPAIRED, StatusStep.RETIRED])
        .order_by("-at", "-id")
        .first()
    )
    qs = FaultReport.objects.filter(device=device)
    if last is not None:
        qs = qs.filter(reported_at__gt=last.at)
    return list(qs)


def fault_resolution(fault: FaultReport) -> DeviceStatusChange | None:
    return (
        DeviceStatusChange.objects.filter(
            device_id=fault.device_id, step__in=[StatusStep.REPAIRED, StatusStep.RETIRED], at__gte=fault.reported_at
        )
        .order_by("at", "id")
        .first()
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # assigned / returned / check / fault / repair_started / repaired / retired / registered
    title: str
    text: str
    actor: str
    tone: str = "secondary"  # Bootstrap colour of the badge


def device_timeline(device: Device) -> list[TimelineEntry]:
    """Everything that happened to the device, newest first."""
    entries = [
        TimelineEntry(
            device.registered_at,
            "registered",
            "登记",
            f"{device.get_kind_display()} {device.serial}",
            person_name(device.registered_by),
        )
    ]
    for a in DeviceAssignment.objects.filter(device=device).select_related(
        "assigned_by__officer", "ended__returned_by__officer"
    ):
        cert = f"（{a.certificate_no}）" if a.certificate_no else ""
        entries.append(
            TimelineEntry(
                a.assigned_at,
                "assigned",
                "配发",
                f"配发给 {a.holder_name}{cert}" + (f"；{a.note}" if a.note else ""),
                person_name(a.assigned_by),
                "primary",
            )
        )
        try:
            ended = a.ended
        except DeviceReturn.DoesNotExist:
            ended = None
        if ended is not None:
            entries.append(
                TimelineEntry(
                    ended.returned_at,
                    "returned",
                    "收回",
                    f"自 {a.holder_name} 收回" + (f"；{ended.note}" if ended.note else ""),
                    person_name(ended.returned_by),
                )
            )
    for c in PreUseCheck.objects.filter(device=device):
        failed = [
            label
            for ok, label in (
                (c.function_ok, "性能"),
                (c.battery_ok, "电量"),
                (c.storage_ok, "存储空间"),
                (c.clock_calibrated, "时间校准"),
            )
            if not ok
        ]
        text = "性能、电量、存储空间、时间校准均正常" if not failed else "不合格项：" + "、".join(failed)
        entries.append(
            TimelineEntry(
                c.checked_at,
                "check",
                c.get_result_display(),
                text + (f"；{c.note}" if c.note else ""),
                c.officer_name,
                "success" if c.passed else "warning",
            )
        )
    for f in FaultReport.objects.filter(device=device):
        names = "、".join(n["name"] for n in f.notified) or "未找到上级"
        entries.append(
            TimelineEntry(
                f.reported_at,
                "fault",
                f.get_kind_display(),
                f"发生于 {timezone.localtime(f.occurred_at):%Y-%m-%d %H:%M}：{f.description}（已通知：{names}）",
                f.reporter_name,
                "danger",
            )
        )
    for s in DeviceStatusChange.objects.filter(device=device):
        entries.append(
            TimelineEntry(
                s.at, s.step, s.get_step_display(), s.note or s.get_status_after_display(), s.actor_name, "info"
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


@dataclass(frozen=True)
class Provision:
    """dev-equipment-provision: devices by status, officers without a device."""

    by_status: dict[str, int]
    officers_without_device: list[Any]


def provision_summary(viewer: Any) -> Provision:
    visible = device_policy.visible(viewer)
    counts = {label: 0 for _, label in DeviceStatus.choices}
    for status in visible.values_list("status", flat=True):
        counts[DeviceStatus(status).label] += 1
    holders = set(visible.exclude(holder__isnull=True).values_list("holder_id", flat=True))
    officers = [
        u
        for u in User.objects.filter(
            agency_id=getattr(viewer, "agency_id", None),
            is_active=True,
            officer__isnull=False,
            role_grants__role=rules.Role.OFFICER,
        )
        .select_related("officer")
        .distinct()
        .order_by("officer__name")
        if u.pk not in holders
    ]
    return Provision(
        by_status=counts, officers_without_device=officers if device_policy.user_can(viewer, "view") else []
    )


def assignable_people(viewer: Any) -> QuerySet[User]:
    """Officers of the viewer's agency who may hold a device (active, with a certificate)."""
    return (
        User.objects.filter(agency_id=viewer.agency_id, is_active=True, officer__isnull=False)
        .select_related("officer")
        .order_by("officer__name")
    )


def devices_held(user: Any, start: dt.datetime, end: dt.datetime, *, kinds: tuple[str, ...] = ()) -> list[Device]:
    """Devices the user held at some time between ``start`` and ``end`` (dev-mandatory-use)."""
    rows = (
        DeviceAssignment.objects.filter(holder=user, assigned_at__lte=end)
        .filter(Q(ended__isnull=True) | Q(ended__returned_at__gt=start))
        .select_related("device")
        .order_by("assigned_at", "id")
    )
    out = {a.device_id: a.device for a in rows if not kinds or a.device.kind in kinds}
    return list(out.values())
