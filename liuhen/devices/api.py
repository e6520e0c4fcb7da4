"""设备接口 (devices API), mounted at /api/devices/: the registry, assignment and return, pre-use
checks, fault reports, repair and retirement.

The same services and the same policy (``liuhen.devices.policies.device_policy``) as the pages. A device of
another agency answers ``404 device_not_found``; the three administrators get ``403
admin_business_forbidden``. Refusals are ``{code, message, detail}``, e.g. ``409 device_serial_taken``
(duplicate serial), ``409 device_retired`` / ``409 device_not_in_service`` (assigning or checking a
retired, faulty or under-repair device), ``409 device_already_assigned``, ``403 device_not_holder`` (a
check by someone who is not the holder), ``422 date_in_future`` (a fault that has not happened yet),
``403 device_forbidden`` (managing without the permission).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from liuhen.core.api import ERRORS
from liuhen.core.inputs import Id, Page
from liuhen.core.people import display_name
from liuhen.devices import selectors, services
from liuhen.devices.errors import DeviceInvalid
from liuhen.devices.models import Device, DeviceKind, DeviceReturn, DeviceStatus, FaultKind
from liuhen.devices.policies import device_policy
from liuhen.org.models import Department, User

router = Router(tags=["执法记录设备"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _choices(choices: list[tuple[str, str]]) -> str:
    return "、".join(f"{v} {label}" for v, label in choices)


# ---------------------------------------------------------------- schemas


class DeviceOut(Schema):
    id: int
    serial: str = Field(description="设备序列号（去空格、大写）")
    model: str
    kind: str = Field(description="设备类型：" + _choices(DeviceKind.choices))
    location: str = Field(description="安装位置（固定视频监控）")
    status: str = Field(description="状态：" + _choices(DeviceStatus.choices))
    department_id: int | None
    holder_id: int | None = Field(description="当前领用人（用户 id）")
    holder_name: str
    registered_at: dt.datetime

    @staticmethod
    def resolve_holder_name(obj: Device | dict[str, Any]) -> str:
        if isinstance(obj, dict):  # the detail view passes a dict that already holds it
            return obj.get("holder_name", "")
        return display_name(obj.holder, max_length=60) if obj.holder_id else ""


class AssignmentOut(Schema):
    id: int
    device_id: int
    holder_id: int
    holder_name: str
    certificate_no: str
    assigned_at: dt.datetime
    returned_at: dt.datetime | None = None


class CheckOut(Schema):
    id: int
    device_id: int
    officer_id: int
    officer_name: str
    checked_at: dt.datetime
    function_ok: bool
    battery_ok: bool
    storage_ok: bool
    clock_calibrated: bool
    result: str = Field(description="passed 检查通过 / failed 检查未通过")
    note: str


class FaultOut(Schema):
    id: int
    device_id: int
    reporter_name: str
    kind: str = Field(description="类别：" + _choices(FaultKind.choices))
    description: str
    occurred_at: dt.datetime
    reported_at: dt.datetime
    notified: list[dict[str, Any]] = Field(description="已通知的上级（id、姓名、角色）")
    notice_required: bool = Field(description="本机关执法规则是否规定须向上级报告")


class StepOut(Schema):
    id: int
    device_id: int
    step: str = Field(description="repair_started 送修 / repaired 维修完成 / retired 报废")
    status_before: str
    status_after: str
    note: str
    at: dt.datetime


class DeviceDetailOut(DeviceOut):
    assignments: list[AssignmentOut]
    checks: list[CheckOut]
    faults: list[FaultOut]
    steps: list[StepOut] = Field(description="维修与报废")
    preuse_check_required: bool = Field(description="本机关执法规则要求使用前检查")
    failure_report_required: bool = Field(description="本机关执法规则要求故障立即报告上级")


class RegisterIn(Schema):
    serial: str
    kind: str = Field(description="设备类型：" + _choices(DeviceKind.choices))
    model: str = ""
    location: str = Field("", description="安装位置；固定视频监控必填")
    department_id: Id | None = None
    note: str = ""


class AssignIn(Schema):
    holder_id: Id = Field(description="领用人（本机关执法人员的用户 id）")
    note: str = ""


class NoteIn(Schema):
    note: str = ""


class CheckIn(Schema):
    function_ok: bool = Field(description="设备性能正常")
    battery_ok: bool = Field(description="电量充足")
    storage_ok: bool = Field(description="存储空间充足")
    clock_calibrated: bool = Field(description="系统时间已校准")
    note: str = ""
    checked_at: dt.datetime | None = Field(None, description="检查时间；缺省为现在")


class FaultIn(Schema):
    kind: str = Field(description="类别：" + _choices(FaultKind.choices))
    description: str = Field(description="情况说明（原因、经过）")
    occurred_at: dt.datetime = Field(description="发生时间（不得晚于现在）")


class PreuseStatusOut(Schema):
    ok: bool
    check_id: int | None
    required: bool = Field(description="本机关执法规则要求使用前检查")


# ---------------------------------------------------------------- endpoints


def _detail(device: Device) -> dict[str, Any]:
    assignments = [
        {
            "id": a.pk,
            "device_id": a.device_id,
            "holder_id": a.holder_id,
            "holder_name": a.holder_name,
            "certificate_no": a.certificate_no,
            "assigned_at": a.assigned_at,
            "returned_at": getattr(getattr(a, "_ended", None), "returned_at", None),
        }
        for a in _assignments(device)
    ]
    return {
        **DeviceOut.from_orm(device).dict(),
        "assignments": assignments,
        "checks": list(device.checks.all()[:100]),
        "faults": list(device.faults.all()),
        "steps": list(device.status_changes.all()),
        "preuse_check_required": selectors.preuse_check_required(device.agency),
        "failure_report_required": selectors.failure_report_required(device.agency),
    }


def _assignments(device: Device) -> list[Any]:
    rows = list(device.assignments.select_related("ended"))
    for a in rows:
        try:
            a._ended = a.ended
        except DeviceReturn.DoesNotExist:  # still open
            a._ended = None
    return rows


class DevicePage(Page):
    limit: int = Field(100, ge=1, le=500, description="每页条数（1–500）")


@router.get("/", response={200: list[DeviceOut], **ERRORS}, summary="设备列表")
def device_list(request: HttpRequest, page: Query[DevicePage], status: str | None = None) -> Any:
    qs = selectors.device_list(_user(request))
    if status:
        qs = qs.filter(status=status)
    return list(page.slice(qs))


@router.post("/", response={201: DeviceOut, **ERRORS}, summary="登记设备")
def device_register(request: HttpRequest, body: RegisterIn) -> Any:
    actor = _user(request)
    department = None
    if body.department_id is not None:
        department = Department.objects.filter(pk=body.department_id, agency_id=actor.agency_id).first()
        if department is None:
            raise DeviceInvalid("所属科室不是本机关的科室", code="department_invalid")
    data = body.dict(exclude={"department_id"})
    return Status(201, services.device_register(actor=actor, department=department, **data))


@router.get("/by-serial/{serial}", response={200: DeviceOut, **ERRORS}, summary="按序列号查找设备")
def device_by_serial(request: HttpRequest, serial: str) -> Any:
    return selectors.device_get_by_serial(_user(request), serial)


@router.get("/{device_id}", response={200: DeviceDetailOut, **ERRORS}, summary="设备详情（配发、检查、故障、维修）")
def device_detail(request: HttpRequest, device_id: Id) -> Any:
    return _detail(device_policy.get(_user(request), device_id))


@router.post("/{device_id}/assign", response={201: AssignmentOut, **ERRORS}, summary="配发设备")
def device_assign(request: HttpRequest, device_id: Id, body: AssignIn) -> Any:
    actor = _user(request)
    device = device_policy.get(actor, device_id)
    holder = User.objects.filter(pk=body.holder_id, agency_id=actor.agency_id).select_related("officer").first()
    row = services.device_assign(actor=actor, device=device, holder=holder, note=body.note)
    return Status(201, row)


@router.post("/{device_id}/return", response={200: AssignmentOut, **ERRORS}, summary="收回设备")
def device_unassign(request: HttpRequest, device_id: Id, body: NoteIn) -> Any:
    actor = _user(request)
    ret = services.device_unassign(actor=actor, device=device_policy.get(actor, device_id), note=body.note)
    a = ret.assignment
    return {
        "id": a.pk,
        "device_id": a.device_id,
        "holder_id": a.holder_id,
        "holder_name": a.holder_name,
        "certificate_no": a.certificate_no,
        "assigned_at": a.assigned_at,
        "returned_at": ret.returned_at,
    }


@router.post("/{device_id}/checks", response={201: CheckOut, **ERRORS}, summary="登记使用前检查")
def preuse_check(request: HttpRequest, device_id: Id, body: CheckIn) -> Any:
    actor = _user(request)
    row = services.preuse_check_record(actor=actor, device=device_policy.get(actor, device_id), **body.dict())
    return Status(201, row)


@router.get(
    "/{device_id}/checks/ok", response={200: PreuseStatusOut, **ERRORS}, summary="某时刻前当日是否已做使用前检查"
)
def preuse_status(request: HttpRequest, device_id: Id, at: dt.datetime, officer_id: Id | None = None) -> Any:
    actor = _user(request)
    device = device_policy.get(actor, device_id)
    officer = actor
    if officer_id is not None:
        officer = User.objects.filter(pk=officer_id, agency_id=actor.agency_id).first()
    check = selectors.preuse_check_ok(device, officer, at) if officer else None
    return {
        "ok": check is not None,
        "check_id": check.pk if check else None,
        "required": selectors.preuse_check_required(device.agency),
    }


@router.post("/{device_id}/faults", response={201: FaultOut, **ERRORS}, summary="报告设备故障、损坏或遗失")
def fault_report(request: HttpRequest, device_id: Id, body: FaultIn) -> Any:
    actor = _user(request)
    row = services.fault_report(actor=actor, device=device_policy.get(actor, device_id), **body.dict())
    return Status(201, row)


@router.post("/{device_id}/repair-start", response={200: StepOut, **ERRORS}, summary="设备送修")
def repair_start(request: HttpRequest, device_id: Id, body: NoteIn) -> Any:
    actor = _user(request)
    return services.repair_start(actor=actor, device=device_policy.get(actor, device_id), note=body.note)


@router.post("/{device_id}/repair-done", response={200: StepOut, **ERRORS}, summary="设备维修完成")
def repair_done(request: HttpRequest, device_id: Id, body: NoteIn) -> Any:
    actor = _user(request)
    return services.repair_done(actor=actor, device=device_policy.get(actor, device_id), note=body.note)


@router.post("/{device_id}/retire", response={200: StepOut, **ERRORS}, summary="设备报废")
def device_retire(request: HttpRequest, device_id: Id, body: NoteIn) -> Any:
    actor = _user(request)
    return services.device_retire(actor=actor, device=device_policy.get(actor, device_id), note=body.note)
