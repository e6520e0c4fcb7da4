"""The archiving queue and the case-file page's reads and requests (clauses time-archive-30d,
arch-case-file-complete).

- ``archive_queue(user)``: the case files the user may see, split into 已逾期 / 待归档 / 已归档, each with
  its days left (working days, the calendar module) or days overdue (calendar days);
- ``case_file_item_open``: one item of the package, read from the package directory, every download in
  the ledger (``case_file.downloaded``);
- ``case_file_offers``: the buttons the case-file page shows the user now.

Who may see and do what is ``case_file_policy``'s to say; views and the API only translate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.archive.casefiles.assembly import assembly_pending, package_root
from liuhen.archive.models import CaseFile, CaseFileItem, CaseFileStatus
from liuhen.archive.policies import case_file_policy
from liuhen.core.errors import NotFound
from liuhen.core.people import display_name
from liuhen.ledger.services import record
from liuhen.policy.calendar import WorkingCalendar


@dataclass(frozen=True)
class QueueRow:
    case_file: CaseFile
    state: str  # "overdue", "due", "done"
    days: int | None  # working days left (due) / calendar days overdue (overdue) / None
    handlers: str


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
    qs = case_file_policy.visible(user).prefetch_related("case__handlers")
    open_ = qs.exclude(status=CaseFileStatus.ARCHIVED).order_by("due_on", "id")
    done = qs.filter(status=CaseFileStatus.ARCHIVED).order_by("-archived_at", "-id")[:done_limit]
    out: dict[str, list[QueueRow]] = {"overdue": [], "due": [], "done": []}
    for cf in [*open_, *done]:
        state, days = _state(cf, today, cal)
        names = "、".join(display_name(u) for u in cf.case.handlers.all())
        out[state].append(QueueRow(cf, state, days, names))
    return out


def case_file_for_case(*, user: Any, case_id: int) -> CaseFile:
    cf = case_file_policy.visible(user).filter(case_id=case_id).first()
    if cf is None:
        raise NotFound("案件尚未结案立卷，或无权查看", code="case_file_not_found")
    return cf


def case_file_item_open(*, actor: Any, case_file: CaseFile, item_id: int) -> tuple[CaseFileItem, Path]:
    """One item of the current assembly, as a path inside the package; the download is recorded."""
    item = case_file.items.filter(pk=item_id, assembly=case_file.assembly).first()
    root = package_root(case_file)
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


def case_file_offers(user: Any, case_file: CaseFile) -> dict[str, bool]:
    """What the case-file page offers the user now: 组卷 (not archived, none queued), 归档 (checks
    passed, none queued), and whether the user is the one who archives (for the page's hints)."""
    pending = assembly_pending(case_file)
    return {
        "pending": pending,
        "assemble": not pending
        and case_file.status != CaseFileStatus.ARCHIVED
        and case_file_policy.user_can(user, "assemble", case_file),
        "archive": not pending
        and case_file.status == CaseFileStatus.CHECKED
        and case_file.check_passed is True
        and case_file_policy.user_can(user, "archive", case_file),
        "keeper": case_file_policy.user_can(user, "archive"),
    }
