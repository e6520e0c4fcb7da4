"""Opening a case (clauses flow-whole-process-scope, src-filing-approval, time-filing-makeup-2wd): from a
lead, an inspection, a request for approval or an application, with at least two certified handlers
under the ordinary procedure, pinned to the agency's profile version, its clocks started from when the
procedure really began."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.errors import CaseInvalid, SourceNotFound, TransitionRefused
from liuhen.cases.models import Case, CaseSource, CaseStatus, Procedure, SourceStatus, StageVisit
from liuhen.cases.policies import case_policy
from liuhen.cases.services.common import clock, next_number, text
from liuhen.cases.services.timeline import trace
from liuhen.core.clock import not_in_future
from liuhen.core.people import display_name
from liuhen.core.roles import P_CASES_WORK, has_permission
from liuhen.policy.loader import get_profile
from liuhen.policy.schema import ENFORCEMENT_TYPES
from liuhen.policy.snapshots import profile_load_pinned, profile_pin


def _handlers(actor: Any, handlers: Iterable[Any], *, procedure: str) -> list[Any]:
    people = list({h.pk: h for h in handlers}.values()) or [actor]
    today = timezone.localdate()
    for h in people:
        if h.agency_id != actor.agency_id or not has_permission(h, P_CASES_WORK):
            raise CaseInvalid(f"{display_name(h)}不是本机关执法人员", code="handler_invalid")
        officer = getattr(h, "officer", None)
        if officer is None or not (officer.certificate_valid_from <= today <= officer.certificate_valid_until):
            raise CaseInvalid(f"{display_name(h)}没有有效的行政执法证件，不能承办案件", code="handler_no_certificate")
    if procedure == Procedure.ORDINARY and len(people) < 2:
        raise CaseInvalid("一般程序案件的执法人员不得少于两人", code="handlers_too_few")
    return people


def case_open(
    *,
    actor: Any,
    enforcement_type: str,
    title: str,
    party_name: str = "",
    party_info: str = "",
    source: CaseSource | None = None,
    handlers: Iterable[Any] = (),
    department: Any = None,
    procedure: str = Procedure.ORDINARY,
    urgent: bool = False,
    urgent_reason: str = "",
    started_at: dt.datetime | None = None,
) -> Case:
    """Start the whole process: from a lead (penalty), an inspection, a request for approval
    (coercion) or an application (licensing, confirmation). Pins the agency's profile version.

    Where the type ``requires_lead`` (the penalty procedure), an ordinary case starts only from a
    registered lead; where it ``runs_from_lead``, its procedure runs from when the lead was obtained."""
    case_policy.require(actor, "open")
    agency = actor.agency
    profile = get_profile(agency.profile_id)
    et = profile.enforcement_types.get(enforcement_type)
    if et is None:
        handled = "、".join(ENFORCEMENT_TYPES[t] for t in profile.enforcement_types)
        raise CaseInvalid(
            f"本机关不办理{ENFORCEMENT_TYPES.get(enforcement_type, enforcement_type)}（本机关办理：{handled}）",
            code="enforcement_type_not_handled",
        )
    if procedure not in Procedure.values:
        raise CaseInvalid(f"未知的程序：{procedure}", code="procedure_unknown")
    if procedure == Procedure.SUMMARY and not et.summary_procedure.allowed:
        raise CaseInvalid(f"本机关{ENFORCEMENT_TYPES[enforcement_type]}不适用简易程序", code="summary_not_allowed")
    title = text(title, "案由或事项", max_length=300)
    if source is not None:
        if source.agency_id != agency.pk:
            raise SourceNotFound()
        if source.status != SourceStatus.REGISTERED:
            raise TransitionRefused(
                f"案源{source.number}当前状态为“{source.get_status_display()}”，不能据此启动案件",
                code="source_already_decided",
            )
    elif et.requires_lead and procedure == Procedure.ORDINARY:
        raise CaseInvalid(
            f"{ENFORCEMENT_TYPES[enforcement_type]}案件须依据已登记的案源启动，请先登记案源", code="source_required"
        )
    if urgent:
        if not (profile.filing and profile.filing.makeup_allowed and et.filing_stage):
            raise CaseInvalid("本机关执法规则未规定可以先行启动后补办立案审批", code="urgent_start_not_allowed")
        urgent_reason = text(urgent_reason, "先行启动的紧急情况")
    if source is not None and et.runs_from_lead:
        started = source.received_at
    else:
        started = not_in_future(started_at or timezone.now(), label="程序启动时间")
    if source is not None and started < source.received_at:
        raise CaseInvalid("程序启动时间不能早于案源获取时间", code="date_before_source")
    people = _handlers(actor, handlers, procedure=procedure)
    if department is not None and department.agency_id != agency.pk:
        raise CaseInvalid("承办科室不属于本机关", code="department_other_agency")
    with transaction.atomic():
        snap = profile_pin(actor=actor, profile_id=agency.profile_id)
        pinned = profile_load_pinned(snap.profile_id, snap.version)
        et = pinned.enforcement_types[enforcement_type]
        needs_filing = bool(et.filing_stage) and procedure == Procedure.ORDINARY
        year = timezone.localtime(started).year
        n = next_number(agency, "case", year)
        case = Case.objects.create(
            agency=agency,
            department=department or actor.department,
            number=f"{agency.code}-{enforcement_type}-{year}-{n:04d}",
            enforcement_type=enforcement_type,
            profile_id=snap.profile_id,
            profile_version=snap.version,
            procedure=procedure,
            title=title,
            party_name=text(party_name, "当事人", max_length=200, required=False),
            party_info=(party_info or "").strip(),
            source=source,
            status=CaseStatus.PENDING_FILING if needs_filing and not urgent else CaseStatus.OPEN,
            stage=et.stages[0].id,
            urgent_start=urgent,
            urgent_reason=urgent_reason if urgent else "",
            started_at=started,
            opened_by=actor,
        )
        case.handlers.set(people)
        now = timezone.now()
        StageVisit.objects.create(case=case, stage_id=case.stage, entered_at=now, entered_by=actor)
        # The procedure's clocks run from its start as entered (执法程序启动后), not from the day it
        # was typed in: an urgent case entered after the fact is already as late as it really is.
        changes = clock(case, pinned, "case_opened", started)
        if urgent:
            changes += clock(case, pinned, "case_opened_urgent", started)
        changes += clock(case, pinned, f"stage_entered:{case.stage}", now)
        if not needs_filing and source is not None:
            source.status = SourceStatus.FILED
            source.save(update_fields=["status"])
        names = "、".join(display_name(h) for h in people)
        what = "（紧急情况先行启动，须补办立案审批）" if urgent else ""
        trace(
            case,
            actor=actor,
            action="case.opened",
            stage_id=case.stage,
            summary=f"启动{ENFORCEMENT_TYPES[enforcement_type]}{Procedure(procedure).label}：{title}；承办人：{names}{what}",
            payload={
                "enforcement_type": enforcement_type,
                "procedure": procedure,
                "profile": f"{snap.profile_id}@{snap.version}",
                "source_id": source.pk if source else None,
                "handlers": [h.pk for h in people],
                "urgent": urgent,
                "started_at": started.isoformat(),
                "deadlines": changes,
            },
        )
    return case
