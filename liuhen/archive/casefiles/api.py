"""立卷归档接口, mounted at /api/archive/ (clauses time-archive-30d, arch-case-file-complete).

``GET queue`` (已逾期 / 待归档 / 已归档 of the caller's visible case files), ``GET case-files/{id}``
(status, archive number, items of the current assembly, the DA/T 70 report, whether an assembly is
queued), ``POST case-files/{id}/assemble`` (202: queued in the worker; refusals at once as
``{code, message}``), ``POST case-files/{id}/archive`` (records keeper of the agency, checks passed).
Same services as the pages. The operation ids are those the endpoints had before the archive was laid
out by sub-domain (``liuhen_archive_api_*``): programs generated from the OpenAPI keep working.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from liuhen.archive.casefiles import queue
from liuhen.archive.casefiles.archiving import case_file_archive as archive_service
from liuhen.archive.casefiles.assembly import (
    assembly_pending,
    case_file_assembly_request,
    current_items,
)
from liuhen.archive.models import CaseFile
from liuhen.archive.policies import case_file_policy
from liuhen.core.api import ERRORS
from liuhen.core.inputs import Id

router = Router(tags=["立卷归档"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class QueueRowOut(Schema):
    case_file_id: int
    case_id: int
    case_number: str
    case_title: str
    handlers: str
    status: str = Field(
        description="assembling 待立卷 / assembled / checked 已检测 / rejected 检测未通过 / archived 已归档"
    )
    status_label: str
    due_on: dt.date | None
    days_left: int | None = Field(None, description="距归档期限的工作日数（待归档）")
    days_overdue: int | None = Field(None, description="逾期自然日数（已逾期）")
    archive_number: str
    archived_at: dt.datetime | None


class QueueOut(Schema):
    overdue: list[QueueRowOut]
    due: list[QueueRowOut]
    done: list[QueueRowOut]


class ItemOut(Schema):
    id: int
    volume: str
    seq: int
    kind: str
    title: str
    doc_number: str
    item_date: dt.date | None
    path: str
    sha256: str
    sm3: str
    size: int


class CaseFileOut(Schema):
    id: int
    case_id: int
    case_number: str
    status: str
    status_label: str
    pending: bool = Field(description="组卷任务已排队或正在执行")
    due_on: dt.date | None
    archive_number: str
    assembly: int
    volumes: list[dict[str, Any]]
    package_sha256: str
    check_passed: bool | None
    report: dict[str, Any] = Field(description="四性检测报告：properties.{authenticity,integrity,usability,security}")
    items: list[ItemOut]
    archived_at: dt.datetime | None


def _row(r: queue.QueueRow) -> dict[str, Any]:
    cf = r.case_file
    return {
        "case_file_id": cf.pk,
        "case_id": cf.case_id,
        "case_number": cf.case.number,
        "case_title": cf.case.title,
        "handlers": r.handlers,
        "status": cf.status,
        "status_label": cf.get_status_display(),
        "due_on": cf.due_on,
        "days_left": r.days if r.state == "due" else None,
        "days_overdue": r.days if r.state == "overdue" else None,
        "archive_number": cf.archive_number,
        "archived_at": cf.archived_at,
    }


def _out(cf: CaseFile) -> dict[str, Any]:
    return {
        "id": cf.pk,
        "case_id": cf.case_id,
        "case_number": cf.case.number,
        "status": cf.status,
        "status_label": cf.get_status_display(),
        "pending": assembly_pending(cf),
        "due_on": cf.due_on,
        "archive_number": cf.archive_number,
        "assembly": cf.assembly,
        "volumes": cf.volumes or [],
        "package_sha256": cf.package_sha256,
        "check_passed": cf.check_passed,
        "report": cf.check_report or {},
        "items": current_items(cf),
        "archived_at": cf.archived_at,
    }


OPERATION_ID_PREFIX = "liuhen_archive_api_"


@router.get(
    "/queue",
    response={200: QueueOut, **ERRORS},
    summary="立卷归档队列（已逾期、待归档、已归档）",
    operation_id=OPERATION_ID_PREFIX + "queue_list",
)
def queue_list(request: HttpRequest) -> Any:
    case_file_policy.require(_user(request), "view")
    rows = queue.archive_queue(_user(request))
    return {key: [_row(r) for r in value] for key, value in rows.items()}


@router.get(
    "/case-files/{case_file_id}",
    response={200: CaseFileOut, **ERRORS},
    summary="案卷：卷内文件与四性检测报告",
    operation_id=OPERATION_ID_PREFIX + "case_file_detail",
)
def case_file_detail(request: HttpRequest, case_file_id: Id) -> Any:
    return _out(case_file_policy.get(_user(request), case_file_id))


@router.post(
    "/case-files/{case_file_id}/assemble",
    response={202: CaseFileOut, **ERRORS},
    summary="组卷（后台生成归档包并进行四性检测；查询案卷状态直到 pending 为 false）",
    operation_id=OPERATION_ID_PREFIX + "case_file_assemble",
)
def case_file_assemble(request: HttpRequest, case_file_id: Id) -> Any:
    cf = case_file_policy.get(_user(request), case_file_id)
    cf = case_file_assembly_request(actor=_user(request), case=cf.case)
    cf.refresh_from_db()
    return Status(202, _out(cf))


@router.post(
    "/case-files/{case_file_id}/archive",
    response={200: CaseFileOut, **ERRORS},
    summary="归档（本机关档案管理员；四性检测通过后）",
    operation_id=OPERATION_ID_PREFIX + "case_file_archive",
)
def case_file_archive(request: HttpRequest, case_file_id: Id) -> Any:
    cf = case_file_policy.get(_user(request), case_file_id)
    return _out(archive_service(actor=_user(request), case_file=cf))
