"""Reads of cases for pages and the API, filtered by who may see what.

A case is seen by its handlers, the head of its department, the agency head, legal reviewers and
records keepers (who act on every case) and supervisors, all of its own agency; other officers of
the agency do not see it. Leads are seen by the agency's case workers (the protected identity of a
complainant or informant is for the access rules of a later issue to hide from the party).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from liuhen.cases import deadlines
from liuhen.cases.errors import CaseNotFound, SourceNotFound
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
from liuhen.cases.requirements import (
    Requirement,
    approvals_needed,
    stage_requirements,
    summary_av_requirements,
    summary_items,
)
from liuhen.cases.rules import may_record
from liuhen.cases.services import profile_of
from liuhen.core.errors import NotFound
from liuhen.org import rules as org_rules
from liuhen.org.access import require_business
from liuhen.org.rules import Role
from liuhen.policy.schema import APPROVAL_KINDS, Profile

SEE_ALL_ROLES = frozenset({Role.AGENCY_HEAD, Role.LEGAL_REVIEWER, Role.RECORDS_KEEPER, Role.SUPERVISOR})


CASE_READ = (org_rules.P_CASES_WORK, org_rules.P_SUPERVISE)  # who may see cases at all
LEAD_READ = (org_rules.P_CASES_WORK,)  # leads (with protected complainant identities): case workers only


def can_work(user: Any) -> bool:
    return org_rules.has_permission(user, org_rules.P_CASES_WORK)


def require_case_reader(user: Any) -> None:
    """403 for a role that never sees cases (the three administrators, 三员分立)."""
    require_business(user, *CASE_READ, what="案件")


def require_lead_reader(user: Any) -> None:
    require_business(user, *LEAD_READ, what="案源")


def cases_visible(user: Any) -> QuerySet[Case]:
    if not org_rules.has_any_permission(user, *CASE_READ):
        return Case.objects.none()
    qs = Case.objects.filter(agency_id=user.agency_id)
    roles = user.role_codes
    if roles & SEE_ALL_ROLES:
        return qs
    mine = Q(handlers=user)
    if Role.DEPARTMENT_HEAD in roles:
        mine |= Q(department_id=user.department_id) if user.department_id else Q(pk__isnull=False)
    return qs.filter(mine).distinct()


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
    require_case_reader(user)
    today = today or timezone.localdate()
    qs = cases_visible(user)
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
    case = cases_visible(user).filter(pk=pk).first()
    if case is None:
        if Case.objects.filter(pk=pk, agency_id=getattr(user, "agency_id", None)).exists():
            require_case_reader(user)
        raise CaseNotFound()
    return case


def case_workers(user: Any) -> QuerySet[Any]:
    """People of the user's agency who may handle cases: active accounts with an officer record and a
    role that carries ``cases.work`` (the choices for a case's handlers)."""
    from liuhen.org.models import User

    roles = [r for r, perms in org_rules.ROLE_PERMISSIONS.items() if org_rules.P_CASES_WORK in perms]
    return (
        User.objects.filter(
            agency_id=user.agency_id, is_active=True, officer__isnull=False, role_grants__role__in=roles
        )
        .select_related("officer")
        .distinct()
        .order_by("officer__name", "pk")
    )


def sources_visible(user: Any) -> QuerySet[CaseSource]:
    if not can_work(user):
        return CaseSource.objects.none()
    return CaseSource.objects.filter(agency_id=user.agency_id).select_related("registered_by")


def source_list(user: Any) -> QuerySet[CaseSource]:
    """The leads a case worker sees, newest first; refused (403) to every other role."""
    require_lead_reader(user)
    return sources_visible(user)


def source_get(user: Any, pk: int) -> CaseSource:
    source = sources_visible(user).filter(pk=pk).first()
    if source is None:
        if CaseSource.objects.filter(pk=pk, agency_id=getattr(user, "agency_id", None)).exists():
            require_lead_reader(user)
        raise SourceNotFound()
    return source


def referral_get(user: Any, pk: int) -> Referral:
    """A referral of a case or lead the user sees (as the case or lead itself: 404 or 403 alike)."""
    referral = Referral.objects.filter(pk=pk).select_related("case", "source").first()
    if referral is None:
        raise NotFound("移送记录不存在或无权查看", code="referral_not_found")
    try:
        if referral.case_id:
            case_get(user, referral.case_id)
        else:
            source_get(user, referral.source_id)
    except (CaseNotFound, SourceNotFound):
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
    rows = deadlines.open_deadlines(cases_visible(user), today=today, within_days=within_days)
    return [DeadlineView(d, deadlines.state(d, today)) for d in rows]


def late_count(user: Any, *, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return deadlines.open_deadlines(cases_visible(user), today=today).filter(due_on__lt=today).count()


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
    """The steps this user may take on the case now (the page offers these; the services re-check)."""
    if (
        case.status in (CaseStatus.CLOSED, CaseStatus.REFERRED)
        or not can_work(user)
        or user.agency_id != case.agency_id
    ):
        return []
    profile = profile_of(case)
    et = profile.enforcement_types[case.enforcement_type]
    roles = user.role_codes
    actions: list[Action] = []
    is_handler = case.handlers.filter(pk=user.pk).exists() or bool(roles & {Role.AGENCY_HEAD, Role.DEPARTMENT_HEAD})
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
            if (stage_id, kind) in seen or not may_record(kind, roles):
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
