"""Officer pages of the cases app: case list, leads, opening a case, the case page with its actions
and timeline. Views translate forms and delegate: reads through selectors (which scope by role, so
another agency's case is simply not found), writes through services, whose Chinese refusals are shown
with ``messages`` while the form is rendered again, filled as it was sent. Who may see or do what is
asked of the lead and case policies (``liuhen.cases.policies``). Apps above cases add sections to the
case page and links to its requirements through ``liuhen.cases.hooks``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liuhen.cases import forms, hooks, selectors, services
from liuhen.cases.models import Case, CaseDeadline, DeadlineStatus, Procedure, Referral, SourceStatus
from liuhen.cases.policies import case_policy, lead_policy
from liuhen.cases.profiles import stage_name
from liuhen.cases.requirements import Requirement, stage_requirements, summary_items
from liuhen.cases.services import deadlines
from liuhen.core.errors import DomainError, NotFound
from liuhen.core.people import display_name
from liuhen.core.permissions import PermissionPolicy
from liuhen.ledger.actions import ACTIONS
from liuhen.policy.loader import get_profile
from liuhen.policy.schema import APPROVAL_KINDS, ENFORCEMENT_TYPES, Profile

PAGE_SIZE = 25


# ---------------------------------------------------------------- helpers


def _allowed(request: HttpRequest, policy: PermissionPolicy[Any], action: str, obj: Any = None) -> None:
    """The policy's refusal as the page's answer: 404 for what the user may not know of, 403 otherwise."""
    refused = policy.refusal(request.user, action, obj)
    if isinstance(refused, NotFound):
        raise Http404(refused.message)
    if refused is not None:
        raise PermissionDenied(refused.message)


def _case(request: HttpRequest, pk: int) -> Case:
    try:
        return selectors.case_get(request.user, pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _source(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.source_get(request.user, pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _run(request: HttpRequest, action: Callable[[], Any], success: str | Callable[[Any], str]) -> Any:
    """Call a service; its refusal becomes an error message. Returns the result, or None when refused."""
    try:
        result = action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result if result is not None else True


def _agency_profile(user: Any) -> Profile | None:
    agency = getattr(user, "agency", None)
    return get_profile(agency.profile_id) if agency else None


class _Profiles(dict):
    """Pinned profiles by (id, version), loaded once per request."""

    def of(self, case: Case) -> Profile:
        key = (case.profile_id, case.profile_version)
        if key not in self:
            self[key] = services.profile_of(case)
        return self[key]


# ---------------------------------------------------------------- case list


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    _allowed(request, case_policy, "list")
    user = request.user
    workers = selectors.case_workers(user)
    form = forms.CaseFilterForm(request.GET or None, profile=_agency_profile(user), workers=workers)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
    page = Paginator(selectors.case_list(user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    cases = list(page)
    next_due: dict[int, CaseDeadline] = {}
    for d in CaseDeadline.objects.filter(case__in=cases, status=DeadlineStatus.RUNNING).order_by("due_on", "id"):
        next_due.setdefault(d.case_id, d)
    profiles = _Profiles()
    rows = []
    for case in cases:
        profile = profiles.of(case)
        d = next_due.get(case.pk)
        rows.append(
            {
                "case": case,
                "type": ENFORCEMENT_TYPES.get(case.enforcement_type, case.enforcement_type),
                "stage": stage_name(profile, case, case.stage),
                "deadline": d,
                "deadline_state": deadlines.state(d, today) if d else "",
            }
        )
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "cases/case_list.html",
        {"form": form, "page": page, "rows": rows, "query": query, "can_work": lead_policy.user_can(user, "view")},
    )


# ---------------------------------------------------------------- leads


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    _allowed(request, lead_policy, "view")
    status = request.GET.get("status", "")
    sources = selectors.source_list(request.user)
    if status in SourceStatus.values:
        sources = sources.filter(status=status)
    page = Paginator(sources, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/lead_list.html",
        {"page": page, "status": status, "statuses": SourceStatus.choices, "query": urlencode({"status": status})},
    )


@login_required
def lead_new(request: HttpRequest) -> HttpResponse:
    _allowed(request, lead_policy, "register")
    form = forms.LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = _run(
            request,
            lambda: services.case_source_register(actor=request.user, **form.cleaned_data),
            lambda s: f"已登记案源 {s.number}",
        )
        if source:
            return redirect("cases:lead_detail", pk=source.pk)
    return render(request, "cases/lead_new.html", {"form": form})


def _lead_page(request: HttpRequest, source: Any, **bound: Any) -> HttpResponse:
    user = request.user
    profile = _agency_profile(user)
    assert profile is not None
    workers = selectors.case_workers(user)
    open_form = bound.get("open") or forms.CaseOpenForm(
        profile=profile,
        workers=workers,
        from_lead=True,
        user=user,
        initial={"party_name": source.party_name, "party_info": source.party_info},
    )
    context = {
        "source": source,
        "open_form": open_form,
        "not_file_form": bound.get("not_file") or forms.NotFileForm(source=source),
        "refer_form": bound.get("refer") or forms.ReferralForm(for_case=False),
        "may_not_file": lead_policy.user_can(user, "not_file", source),
        "may_see_identity": lead_policy.user_can(user, "view_identity", source),
        "decision": getattr(source, "not_filing", None) if source.status == SourceStatus.NOT_FILED else None,
        "notices": source.not_filed_notices.all(),
        "referrals": source.referrals.all(),
        "cases": case_policy.visible(user).filter(source=source),
        "open_tab": bound.get("tab", ""),
        "registered": source.status == SourceStatus.REGISTERED,
        "recipient_labels": services.NOTICE_RECIPIENT_LABELS,
    }
    status = 422 if bound else 200
    return render(request, "cases/lead_detail.html", context, status=status)


@login_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request, lead_policy, "view")
    return _lead_page(request, _source(request, pk))


@login_required
@require_POST
def lead_open(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request, lead_policy, "view")
    source = _source(request, pk)
    profile = _agency_profile(request.user)
    form = forms.CaseOpenForm(
        request.POST, profile=profile, workers=selectors.case_workers(request.user), from_lead=True, user=request.user
    )
    if form.is_valid():
        data = form.service_kwargs()
        case = _run(
            request,
            lambda: services.case_open(actor=request.user, source=source, **data),
            lambda c: f"已启动案件 {c.number}",
        )
        if case:
            return redirect("cases:detail", pk=case.pk)
    return _lead_page(request, source, open=form, tab="open")


@login_required
@require_POST
def lead_not_file(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request, lead_policy, "view")
    source = _source(request, pk)
    form = forms.NotFileForm(request.POST)
    if form.is_valid():
        done = _run(
            request,
            lambda: services.case_source_not_file(
                actor=request.user, source=source, reasons=form.cleaned_data["reasons"], notices=form.notices()
            ),
            "已记录不予立案决定",
        )
        if done:
            return redirect("cases:lead_detail", pk=source.pk)
    return _lead_page(request, source, not_file=form, tab="not_file")


@login_required
@require_POST
def lead_refer(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request, lead_policy, "view")
    source = _source(request, pk)
    form = forms.ReferralForm(request.POST, for_case=False)
    if form.is_valid():
        done = _run(
            request,
            lambda: services.referral_create(actor=request.user, source=source, **form.cleaned_data),
            "已记录移送",
        )
        if done:
            return redirect("cases:lead_detail", pk=source.pk)
    return _lead_page(request, source, refer=form, tab="refer")


# ---------------------------------------------------------------- new case without a lead


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    _allowed(request, case_policy, "open")
    user = request.user
    profile = _agency_profile(user)
    assert profile is not None
    form = forms.CaseOpenForm(
        request.POST or None, profile=profile, workers=selectors.case_workers(user), from_lead=False, user=user
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        case = _run(request, lambda: services.case_open(actor=user, **data), lambda c: f"已启动案件 {c.number}")
        if case:
            return redirect("cases:detail", pk=case.pk)
    summary_types = [
        ENFORCEMENT_TYPES[t] for t, et in profile.enforcement_types.items() if et.summary_procedure.allowed
    ]
    return render(request, "cases/case_new.html", {"form": form, "summary_types": summary_types})


# ---------------------------------------------------------------- the case page


@dataclass(frozen=True)
class LinkedRequirement:
    """A requirement of the case with the page where it is met (from ``hooks.requirement_links``)."""

    requirement: Requirement
    link: str = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.requirement, name)


def _linked(case: Case, reqs: list[Requirement], stage_id: str) -> list[LinkedRequirement]:
    links: dict[str, str] = {}
    for found in hooks.requirement_links.collect(case=case, requirements=reqs, stage_id=stage_id):
        links.update(found)
    return [LinkedRequirement(r, links.get(r.code, "")) for r in reqs]


def _action_key(code: str, stage_id: str = "", kind: str = "") -> str:
    return "-".join(p for p in (code, stage_id, kind) if p)


def _action_form(case: Case, profile: Profile, action: selectors.Action, data: Any = None) -> Any:
    et = profile.enforcement_types[case.enforcement_type]
    prefix = _action_key(action.code, action.stage_id, action.kind)
    if action.code == "filing_form":
        latest = case.filing_forms.order_by("-revision").first()
        initial = dict(latest.values) if latest else _filing_initial(case)
        return forms.FilingFormForm(data, profile=profile, prefix=prefix, initial=initial)
    if action.code == "approve":
        stage = profile.stage(case.enforcement_type, action.stage_id)
        special = action.stage_id in {s.id for s in et.special_stages}
        extends = bool(special and stage is not None and getattr(stage, "moves_deadlines", False))
        return forms.ApprovalForm(data, kind=action.kind, extends=extends, prefix=prefix)
    if action.code == "special_enter":
        stage = profile.stage(case.enforcement_type, action.stage_id)
        return forms.SpecialEnterForm(data, extends=bool(getattr(stage, "moves_deadlines", False)), prefix=prefix)
    if action.code == "special_leave":
        return forms.SpecialLeaveForm(data, prefix=prefix)
    if action.code == "summary":
        return forms.SummaryRecordForm(
            data, items=summary_items(profile, case), initial_values=case.summary_record, prefix=prefix
        )
    if action.code in ("advance", "close"):
        return forms.NoteForm(data, prefix=prefix, initial={"expected_stage": case.stage})
    if action.code == "refer":
        return forms.ReferralForm(data, for_case=True, prefix=prefix)
    return None


def _filing_initial(case: Case) -> dict[str, str]:
    """Starting values for the filing form from what is already known of the case and its lead."""
    initial = {"cause": case.title, "party_info": case.party_info or case.party_name}
    if case.source_id:
        source = case.source
        initial["source"] = f"{source.get_kind_display()}（{source.number}）：{source.summary}"
    return initial


def _stage_bar(case: Case, profile: Profile) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    et = profile.enforcement_types[case.enforcement_type]
    ids = [s.id for s in et.stages]
    current = ids.index(case.stage) if case.stage in ids else -1
    bar = []
    for i, s in enumerate(et.stages):
        if case.status == "closed" or i < current:
            state = "done"
        elif i == current:
            state = "current"
        elif s.id == et.filing_stage and case.filed_at is not None:
            state = "approved"  # filing approved ahead of reaching the stage
        else:
            state = "todo"
        bar.append({"id": s.id, "name": s.name, "state": state, "av": s.av})
    specials = []
    for visit in case.visits.filter(special=True).order_by("entered_at", "id"):
        specials.append({"visit": visit, "name": stage_name(profile, case, visit.stage_id)})
    return bar, specials


def _case_page(
    request: HttpRequest, case: Case, *, bound_key: str = "", bound_form: Any = None, status: int = 200
) -> HttpResponse:
    user = request.user
    profile = services.profile_of(case)
    et = profile.enforcement_types[case.enforcement_type]
    actions = []
    for action in selectors.available_actions(user, case):
        key = _action_key(action.code, action.stage_id, action.kind)
        form = bound_form if key == bound_key else _action_form(case, profile, action)
        actions.append({"action": action, "key": key, "form": form, "open": key == bound_key})
    reqs = _linked(case, selectors.current_requirements(case, profile), case.stage)
    filing_reqs = []
    if et.filing_stage and case.filed_at is None and case.stage != et.filing_stage:
        filing_reqs = stage_requirements(case, profile, et.filing_stage, visit=None)
    timeline = []
    for entry in selectors.timeline(case):
        timeline.append(
            {
                "entry": entry,
                "label": ACTIONS.get(entry.action, entry.action),
                "stage": stage_name(profile, case, entry.stage_id) if entry.stage_id else "",
            }
        )
    bar, specials = _stage_bar(case, profile)
    filing_form = case.filing_forms.order_by("-revision").first()
    doc = profile.document_types.get(filing_form.form_type) if filing_form else None
    labels = {f.id: f.label for f in doc.fields} if doc else {}
    sections = hooks.case_page_sections.collect(user=user, case=case, profile=profile)
    referrals = [
        {
            "referral": r,
            "form": bound_form if bound_key == f"ack-{r.pk}" else forms.AcknowledgeForm(prefix=f"ack-{r.pk}"),
        }
        for r in case.referrals.all()
    ]
    context = {
        "case": case,
        "profile": profile,
        "type_label": ENFORCEMENT_TYPES.get(case.enforcement_type, case.enforcement_type),
        "stage_name": stage_name(profile, case, case.stage),
        "stage_bar": bar,
        "specials": specials,
        "handlers": [display_name(h) for h in case.handlers.select_related("officer")],
        "requirements": reqs,
        "filing_requirements": filing_reqs,
        "filing_stage_name": stage_name(profile, case, et.filing_stage) if et.filing_stage else "",
        "deadlines": selectors.case_deadlines(case),
        "actions": actions,
        "timeline": timeline,
        "referrals": referrals,
        "may_ack": case_policy.user_can(user, "work", case),
        "filing_form": filing_form,
        "filing_form_name": doc.name if doc else "立案审批表",
        "filing_form_rows": [(labels.get(k, k), v) for k, v in (filing_form.values if filing_form else {}).items()],
        "approval_kinds": APPROVAL_KINDS,
        "is_summary": case.procedure == Procedure.SUMMARY,
        "section_templates": [template for template, _ in sections],
    }
    for _, section in sections:
        context.update(section)
    return render(request, "cases/case_detail.html", context, status=status)


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request, case_policy, "list")
    case = _case(request, pk)
    services.case_view_record(actor=request.user, case=case)
    return _case_page(request, case)


def _find_action(user: Any, case: Case, key: str) -> selectors.Action | None:
    """The offered action behind ``key``; one not offered now is still handed to its service, which
    says precisely why it is refused (no authority, wrong stage, already done)."""
    for action in selectors.available_actions(user, case):
        if _action_key(action.code, action.stage_id, action.kind) == key:
            return action
    code, *rest = key.split("-")
    if code not in DONE:
        return None
    if code == "approve" and len(rest) == 2 and rest[1] in APPROVAL_KINDS:
        return selectors.Action(code, "", stage_id=rest[0], kind=rest[1])
    if code in ("special_enter", "special_leave") and len(rest) == 1:
        return selectors.Action(code, "", stage_id=rest[0])
    if code not in ("approve", "special_enter", "special_leave") and not rest:
        return selectors.Action(code, "")
    return None


def _call(action: selectors.Action, request: HttpRequest, case: Case, form: Any) -> Any:
    user = request.user
    data = form.cleaned_data
    if action.code == "filing_form":
        return services.filing_form_submit(actor=user, case=case, values=form.values())
    if action.code == "approve":
        return services.approval_record(
            actor=user, case=case, kind=action.kind, stage_id=action.stage_id, **form.service_kwargs()
        )
    if action.code == "special_enter":
        return services.special_stage_enter(
            actor=user,
            case=case,
            stage_id=action.stage_id,
            reason=data["reason"],
            requested_days=data.get("requested_days"),
        )
    if action.code == "special_leave":
        return services.special_stage_leave(actor=user, case=case, stage_id=action.stage_id, outcome=data["outcome"])
    if action.code == "summary":
        return services.summary_record(actor=user, case=case, values=form.values())
    if action.code == "advance":
        return services.case_advance(
            actor=user, case=case, expected_stage=data["expected_stage"] or None, note=data["note"]
        )
    if action.code == "close":
        return services.case_close(
            actor=user, case=case, expected_stage=data["expected_stage"] or None, note=data["note"]
        )
    if action.code == "refer":
        return services.referral_create(actor=user, case=case, **data)
    raise Http404("未知的操作")


DONE = {
    "filing_form": "已提交立案审批表",
    "approve": "已记录审批",
    "special_enter": "已进入特别程序环节",
    "special_leave": "已结束特别程序环节",
    "summary": "已记录简易程序事项",
    "advance": "已进入下一环节",
    "close": "已结案",
    "refer": "已记录移送",
}


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """One of the case's available actions, posted from its small form on the case page."""
    _allowed(request, case_policy, "work")
    case = _case(request, pk)
    action = _find_action(request.user, case, key)
    if action is None:
        raise Http404("未知的操作")
    profile = services.profile_of(case)
    form = _action_form(case, profile, action, request.POST)
    if form.is_valid():
        done = _run(request, lambda: _call(action, request, case, form), DONE[action.code])
        if done:
            return redirect("cases:detail", pk=case.pk)
    else:
        messages.error(request, "请检查填写的内容")
    case.refresh_from_db()
    return _case_page(request, case, bound_key=key, bound_form=form, status=422)


@login_required
@require_POST
def referral_acknowledge(request: HttpRequest, pk: int, referral_id: int) -> HttpResponse:
    _allowed(request, case_policy, "work")
    case = _case(request, pk)
    referral = Referral.objects.filter(pk=referral_id, case=case).first()
    if referral is None:
        raise Http404("移送记录不存在")
    key = f"ack-{referral.pk}"
    form = forms.AcknowledgeForm(request.POST, prefix=key)
    if form.is_valid():
        done = _run(
            request,
            lambda: services.referral_acknowledge(actor=request.user, referral=referral, **form.cleaned_data),
            "已记录移送回执",
        )
        if done:
            return redirect("cases:detail", pk=case.pk)
    return _case_page(request, case, bound_key=key, bound_form=form, status=422)
