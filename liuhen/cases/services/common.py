"""What the case services share: reading input, locking the case, numbering, stage visits and the
optimistic checks a step makes before it changes anything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from liuhen.cases.errors import CaseInvalid, StageChanged, TransitionRefused
from liuhen.cases.models import Case, CaseCounter, CaseStatus, StageVisit
from liuhen.cases.services import deadlines
from liuhen.policy.schema import Profile

ENDED = (CaseStatus.CLOSED, CaseStatus.REFERRED)


def text(value: Any, label: str, *, max_length: int | None = None, required: bool = True) -> str:
    out = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not out:
        raise CaseInvalid(f"请填写{label}", code="field_required", field=label)
    if max_length and len(out) > max_length:
        raise CaseInvalid(f"{label}不能超过 {max_length} 个字", code="field_too_long", field=label)
    return out


def case_lock(case: Case) -> Case:
    """The case row, locked until the caller's transaction ends (steps on one case run one at a time)."""
    return Case.objects.select_for_update().get(pk=case.pk)


def next_number(agency: Any, kind: str, year: int) -> int:
    counter, _ = CaseCounter.objects.select_for_update().get_or_create(agency=agency, kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def open_visit(case: Case, stage_id: str, *, special: bool = False) -> StageVisit | None:
    return case.visits.filter(stage_id=stage_id, special=special, left_at__isnull=True).order_by("-id").first()


def leave_visit(visit: StageVisit, *, actor: Any, at: dt.datetime, outcome: str) -> None:
    visit.left_at, visit.left_by, visit.outcome = at, actor, outcome
    visit.save(update_fields=["left_at", "left_by", "outcome"])


def open_specials(case: Case) -> list[StageVisit]:
    return list(case.visits.filter(special=True, left_at__isnull=True).order_by("id"))


def clock(case: Case, profile: Profile, event: str, at: dt.datetime) -> list[dict[str, Any]]:
    return deadlines.on_event(case, profile, event, at=at)


def bump(case: Case, *fields: str) -> None:
    case.version += 1
    case.save(update_fields=["version", *fields])


def check_expected(case: Case, expected_stage: str | None, expected_version: int | None) -> None:
    if expected_stage is not None and case.stage != expected_stage:
        raise StageChanged(current_stage=case.stage, expected_stage=expected_stage)
    if expected_version is not None and case.version != expected_version:
        raise StageChanged(
            "案件已被他人更新，请刷新后重试", current_version=case.version, expected_version=expected_version
        )


def refusal(message: str, reqs: Iterable[Any], *, code: str = "transition_refused") -> TransitionRefused:
    """A step refused for what its stage still lacks, each missing item in ``detail['missing']``."""
    missing = [r.as_dict() for r in reqs if r.blocking]
    labels = "；".join(r["label"] for r in missing)
    return TransitionRefused(f"{message}：{labels}" if labels else message, code=code, missing=missing)
