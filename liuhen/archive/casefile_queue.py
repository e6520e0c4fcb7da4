"""The archiving queue and the case-file page's reads and requests (clauses time-archive-30d,
arch-case-file-complete).

- ``archive_queue(user)``: the case files the user may see, split into 已逾期 / 待归档 / 已归档, each with
  its days left (working days, the calendar module) or days overdue (calendar days);
- ``case_file_assembly_request``: 组卷 is queued as a task (``bagit`` changes the process's working
  directory, ADR 0010), after the same permission and completeness checks the service makes, so a
  refusal is shown at once and logged; ``assembly_pending`` tells the page to keep polling;
- ``case_file_item_open``: one item of the package, read from the package directory, every download in
  the ledger (``case_file.downloaded``).

Who may see and do what is decided by ``casefiles`` (``visible_case_files``, the assembler and keeper
checks); views and the API only translate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.archive import casefiles
from liuhen.archive.models import CaseFile, CaseFileItem, CaseFileStatus
from liuhen.cases.models import Case
from liuhen.core.errors import NotFound
from liuhen.core.people import display_name
from liuhen.ledger.services import record
from liuhen.org.rules import Role
from liuhen.policy.calendar import WorkingCalendar

ASSEMBLE_TASK_PATH = "liuhen.archive.casefile_tasks.case_file_assemble_task"
QUEUE_ROLES = frozenset({Role.RECORDS_KEEPER, Role.DEPARTMENT_HEAD, Role.AGENCY_HEAD})


@dataclass(frozen=True)
class QueueRow:
    case_file: CaseFile
    state: str  # "overdue", "due", "done"
    days: int | None  # working days left (due) / calendar days overdue (overdue) / None
    handlers: str


def may_see_queue(user: Any) -> bool:
    """The nav item: records keepers and heads (a handler reaches his case files from the case page)."""
    return bool(getattr(user, "role_codes", frozenset()) & QUEUE_ROLES)


def _state(cf: CaseFile, today: dt.date, cal: WorkingCalendar) -> tuple[str, int | None]:
    if cf.status == CaseFileStatus.ARCHIVED:
        return "done", None
    if cf.due_on is None:
        return "due", None
    if today > cf.due_on:
        return "overdue", (today - cf.due_on).days
    return "due", cal.working_days_between(today, cf.due_on).days


def archive_queue(user: Any, *, today: dt.date | None = None, done_limit: int = 50) -> dict[str, list[QueueRow]]:
    """{"overdue": [...], "due": [...], "done": [...]}: the user's visible case files, earliest due first;
    the archived ones most recent first, at most ``done_limit``."""
    today = today or timezone.localdate()
    cal = WorkingCalendar()
    qs = casefiles.visible_case_files(user).prefetch_related("case__handlers")
    open_ = qs.exclude(status=CaseFileStatus.ARCHIVED).order_by("due_on", "id")
    done = qs.filter(status=CaseFileStatus.ARCHIVED).order_by("-archived_at", "-id")[:done_limit]
    out: dict[str, list[QueueRow]] = {"overdue": [], "due": [], "done": []}
    for cf in [*open_, *done]:
        state, days = _state(cf, today, cal)
        names = "、".join(display_name(u) for u in cf.case.handlers.all())
        out[state].append(QueueRow(cf, state, days, names))
    return out


def case_file_for_case(*, user: Any, case_id: int) -> CaseFile:
    cf = casefiles.visible_case_files(user).filter(case_id=case_id).first()
    if cf is None:
        raise NotFound("案件尚未结案立卷，或无权查看", code="case_file_not_found")
    return cf


def assembly_pending(case_file: CaseFile) -> bool:
    """A 组卷 task for this case file is queued or running (DB task backend; other backends run at once)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the backend is in the requirements
        return False
    return DBTaskResult.objects.filter(
        task_path=ASSEMBLE_TASK_PATH,
        status__in=["READY", "RUNNING"],
        args_kwargs__kwargs__case_file_id=case_file.pk,
    ).exists()


def case_file_assembly_request(*, actor: Any, case: Case) -> CaseFile:
    """组卷 requested: the assembler and completeness checks now (a refusal raised and logged as by
    ``case_file_assemble``), the build queued in the worker when the request commits."""
    from liuhen.archive.casefile_tasks import case_file_assemble_task

    casefiles._require_assembler(actor, case)
    case.refresh_from_db()
    case_file = CaseFile.objects.filter(case=case).first()
    if case_file is not None and case_file.status == CaseFileStatus.ARCHIVED:
        raise casefiles.CaseFileRefused("案卷已归档，不能重新组卷", code="case_file_archived")
    problems = casefiles.assembly_problems(case)
    if problems:
        casefiles._refuse(actor, case, "case_file.assembly_refused", problems, case_file.pk if case_file else case.pk)
    with transaction.atomic():
        if case_file is None:
            case_file = casefiles.case_file_open(case=case, actor=actor)
        if not assembly_pending(case_file):
            cf_id, actor_id = case_file.pk, actor.pk
            transaction.on_commit(
                lambda: case_file_assemble_task.enqueue(case_file_id=cf_id, actor_id=actor_id), robust=True
            )
    return case_file


def last_assembly_refusal(case_file: CaseFile) -> dict[str, Any] | None:
    """The refusal the worker met on the latest queued assembly, when it came after the last assembly."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover
        return None
    row = (
        DBTaskResult.objects.filter(
            task_path=ASSEMBLE_TASK_PATH, status="SUCCESSFUL", args_kwargs__kwargs__case_file_id=case_file.pk
        )
        .order_by("-finished_at")
        .first()
    )
    if row is None or not isinstance(row.return_value, dict) or row.return_value.get("ok", True):
        return None
    if case_file.assembled_at and row.finished_at and row.finished_at < case_file.assembled_at:
        return None
    return row.return_value


def case_file_item_open(*, actor: Any, case_file: CaseFile, item_id: int) -> tuple[CaseFileItem, Path]:
    """One item of the current assembly, as a path inside the package; the download is recorded."""
    item = case_file.items.filter(pk=item_id, assembly=case_file.assembly).first()
    root = casefiles.package_root(case_file)
    if item is None or root is None or not item.path:
        raise NotFound("卷内文件不存在", code="case_file_item_not_found")
    path = (root / item.path).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        raise NotFound("卷内文件不在归档包中", code="case_file_item_missing")
    with transaction.atomic():
        record(
            actor=actor,
            action="case_file.downloaded",
            obj_type="case_file",
            obj_id=case_file.pk,
            payload={
                "case_id": case_file.case_id,
                "assembly": case_file.assembly,
                "item_id": item.pk,
                "seq": item.seq,
                "volume": item.volume,
                "path": item.path,
                "sha256": item.sha256,
            },
            agency_id=case_file.agency_id,
        )
    return item, path


def case_file_view_record(*, actor: Any, case_file: CaseFile) -> None:
    """Opening the case-file page is recorded, like ``document.viewed``."""
    with transaction.atomic():
        record(
            actor=actor,
            action="case_file.viewed",
            obj_type="case_file",
            obj_id=case_file.pk,
            payload={"case_id": case_file.case_id, "assembly": case_file.assembly},
            agency_id=case_file.agency_id,
        )
