"""Reads of cases and leads for pages and the API, filtered by who may see what: the lead and case
policies (``liuhen.cases.policies``) decide, these only read through them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from liuhen.cases.models import (
    Case,
    CaseDeadline,
    CaseSource,
    CaseStatus,
    DeadlineStatus,
    Procedure,
    Referral,
    TimelineEntry,
)
from liuhen.cases.policies import SEE_ALL_ROLES as SEE_ALL_ROLES
from liuhen.cases.policies import case_policy, lead_policy
from liuhen.cases.profiles import profile_of
from liuhen.cases.requirements import (
    Requirement,
    approvals_needed,
    stage_requirements,
    summary_av_requirements,
    summary_items,
)
from liuhen.cases.services import deadlines
from liuhen.core.errors import NotFound
from liuhen.core.roles import P_CASES_WORK, ROLE_PERMISSIONS
from liuhen.org.models import User
from liuhen.policy.schema import APPROVAL_KINDS, Profile

# ``SEE_ALL_ROLES`` is the case policy's; the media app still imports it, and ``cases_visible``, from here.


def cases_visible(user: Any) -> QuerySet[Case]:
    """The cases the user sees (``case_policy.visible``; apps that still ask here will ask the policy)."""
    return case_policy.visible(user)


def case_list(
    user: Any,
    *,
    enforcement_type: str = "",
    stage: str = "",
    status: str = "",
    handler: int | None = None,
    due: str = "",
    q: str = "",
    today: dt.date | None = None,
) -> QuerySet[Case]:
    """Visible cases, filtered: ``due`` is ``soon`` (a running deadline within 3 days) or ``late``."""
    case_policy.require(user, "list")
    today = today or timezone.localdate()
    qs = case_policy.visible(user)
    if enforcement_type:
        qs = qs.filter(enforcement_type=enforcement_type)
    if stage:
        qs = qs.filter(stage=stage)
    if status:
        qs = qs.filter(status=status)
    if handler:
        qs = qs.filter(handlers__pk=handler)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(party_name__icontains=q))
    running = CaseDeadline.objects.filter(case=OuterRef("pk"), status=DeadlineStatus.RUNNING)
    if due == "late":
        qs = qs.filter(
            Exists(running.filter(due_on__lt=today))
            | Exists(CaseDeadline.objects.filter(case=OuterRef("pk"), status=DeadlineStatus.LATE))
        )
    elif due == "soon":
        soon = today + dt.timedelta(days=deadlines.DUE_SOON_DAYS)
        qs = qs.filter(Exists(running.filter(due_on__gte=today, due_on__lte=soon)))
    return qs.select_related("department").prefetch_related("handlers").distinct().order_by("-started_at", "-id")


def case_get(user: Any, pk: int) -> Case:
    """A case the user sees; another agency's (or none) is not found, one of the user's own agency is
    refused with a code to a role that never sees cases, and not found to one who does not see this one."""
    return case_policy.get(user, pk)


def case_workers(user: Any) -> QuerySet[Any]:
    """People of the user's agency who may handle cases: active accounts with an officer record and a
    role that carries ``cases.work`` (the choices for a case's handlers)."""
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if P_CASES_WORK in perms]
    return (
        User.objects.filter(
            agency_id=user.agency_id, is_active=True, officer__isnull=False, role_grants__role__in=roles
        )
        .select_related("officer")
        .distinct()
        .order_by("officer__name", "pk")
    )


def source_list(user: Any) -> QuerySet[CaseSource]:
    """The leads a case worker sees, newest first; refused (403) to every other role."""
    lead_policy.require(user, "view")
    return lead_policy.visible(user).select_related("registered_by")


def source_get(user: Any, pk: int) -> CaseSource:
    return lead_policy.get(user, pk)


def referral_get(user: Any, pk: int) -> Referral:
    """A referral of a case or lead the user sees (as the case or lead itself: 404 or 403 alike)."""
    referral = Referral.objects.filter(pk=pk).select_related("case", "source").first()
    if referral is None:
        raise NotFound("移送记录不存在或无权查看", code="referral_not_found")
    try:
        if referral.case_id:
            case_policy.get(user, referral.case_id)
        else:
            lead_policy.get(user, referral.source_id)
    except NotFound:
        raise NotFound("移送记录不存在或无权查看", code="referral_not_found") from None
    return referral


def timeline(case: Case) -> QuerySet[TimelineEntry]:
    return case.timeline.order_by("at", "id")


@dataclass(frozen=True)
class DeadlineView:
    deadline: CaseDeadline
    state: str

    @property
    def state_label(self) -> str:
        return deadlines.STATE_LABELS[self.state]


def case_deadlines(case: Case, *, today: dt.date | None = None) -> list[DeadlineView]:
    return [DeadlineView(d, deadlines.state(d, today)) for d in case.deadlines.order_by("due_on", "id")]


def due_for_user(user: Any, *, today: dt.date | None = None, within_days: int = 7) -> list[DeadlineView]:
    """What is due or late on the user's cases (handlers; heads see their department's / agency's)."""
    today = today or timezone.localdate()
    rows = deadlines.open_deadlines(case_policy.visible(user), today=today, within_days=within_days)
    return [DeadlineView(d, deadlines.state(d, today)) for d in rows]


def late_count(user: Any, *, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return deadlines.open_deadlines(case_policy.visible(user), today=today).filter(due_on__lt=today).count()


@dataclass(frozen=True)
class Action:
    code: str  # advance / close / approve / special_enter / special_leave / filing_form / summary / refer
    label: str
    stage_id: str = ""
    kind: str = ""
    enabled: bool = True
    reason: str = ""


def current_requirements(case: Case, profile: Profile | None = None) -> list[Requirement]:
    profile = profile or profile_of(case)
    visit = case.visits.filter(stage_id=case.stage, special=False, left_at__isnull=True).first()
    return stage_requirements(case, profile, case.stage, visit=visit)


def available_actions(user: Any, case: Case) -> list[Action]:
    """The steps this user may take on the case now (the page offers these; the services re-check):
    as the case policy allows, where the profile and the case's state make them possible."""
    if case.status in (CaseStatus.CLOSED, CaseStatus.REFERRED) or not case_policy.user_can(user, "work", case):
        return []
    profile = profile_of(case)
    et = profile.enforcement_types[case.enforcement_type]
    actions: list[Action] = []
    is_handler = case_policy.user_can(user, "handle", case)
    open_specials = list(case.visits.filter(special=True, left_at__isnull=True))
    if is_handler and et.filing_stage and case.filed_at is None and case.procedure == Procedure.ORDINARY:
        actions.append(Action("filing_form", "填写立案审批表", stage_id=et.filing_stage))
    # approvals the user's role carries, on the stages that need them now
    targets: list[tuple[str, bool]] = [(v.stage_id, True) for v in open_specials]
    if et.filing_stage and case.filed_at is None and case.procedure == Procedure.ORDINARY:
        targets.append((et.filing_stage, False))
    if case.stage != et.filing_stage:
        targets.append((case.stage, False))
    seen: set[tuple[str, str]] = set()
    for stage_id, special in targets:
        stage = profile.stage(case.enforcement_type, stage_id)
        if stage is None:
            continue
        for kind in approvals_needed(case, profile, stage, special=special):
            if (stage_id, kind) in seen or not case_policy.user_can(user, f"approve:{kind}", case):
                continue
            seen.add((stage_id, kind))
            actions.append(Action("approve", f"{APPROVAL_KINDS[kind]}（{stage.name}）", stage_id=stage_id, kind=kind))
    if not is_handler:
        return actions
    if case.procedure == Procedure.SUMMARY and summary_items(profile, case):
        actions.append(Action("summary", "记录简易程序事项"))
    for visit in open_specials:
        stage = profile.stage(case.enforcement_type, visit.stage_id)
        actions.append(
            Action("special_leave", f"结束{stage.name if stage else visit.stage_id}", stage_id=visit.stage_id)
        )
    if case.status in (CaseStatus.OPEN, CaseStatus.SUSPENDED):
        active = {v.stage_id for v in open_specials}
        for s in et.special_stages:
            if case.stage in s.enter_from and s.id not in active:
                actions.append(Action("special_enter", f"进入{s.name}", stage_id=s.id))
    if case.status in (CaseStatus.OPEN, CaseStatus.PENDING_FILING) and not open_specials:
        if case.procedure == Procedure.SUMMARY:  # closed on its on-the-spot record (and AV where mandatory)
            reqs = summary_av_requirements(case, profile)
            blocking = [r.label for r in reqs if r.blocking]
            if summary_items(profile, case) and not case.summary_record:
                blocking.insert(0, "简易程序事项尚未记录")
        else:
            reqs = current_requirements(case, profile)
            blocking = [r.label for r in reqs if r.blocking]
        last = case.stage == et.stages[-1].id or case.procedure == Procedure.SUMMARY
        code, label = ("close", "结案") if last else ("advance", "进入下一环节")
        actions.append(Action(code, label, enabled=not blocking, reason="；".join(blocking)))
    actions.append(Action("refer", "移送"))
    return actions
