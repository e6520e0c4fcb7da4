"""Every step of a case, one service each (clauses src-case-source-register, src-no-filing-notice,
src-filing-approval, src-filing-form-content, flow-whole-process-scope, flow-penalty-stages,
flow-coercion-stages, doc-legal-review, doc-collective-discussion, doc-internal-approval,
doc-summary-procedure, time-filing-makeup-2wd, resp-obstruction-referral).

Each service checks its guards, locks the case row, stamps who and when, starts or stops the
deadlines it governs, and writes its ledger event and timeline entry in the same transaction. A
refusal names what is missing with a stable code, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases import deadlines, hooks
from liuhen.cases.errors import (
    ApprovalRefused,
    CaseForbidden,
    CaseInvalid,
    SourceNotFound,
    StageChanged,
    TransitionRefused,
)
from liuhen.cases.models import (
    Approval,
    Case,
    CaseCounter,
    CaseSource,
    CaseStatus,
    Decision,
    FilingForm,
    NotFiledNotice,
    NotFilingDecision,
    NoticeMethod,
    Procedure,
    ReceiverKind,
    Referral,
    ReferralReason,
    SourceKind,
    SourceStatus,
    StageVisit,
    TimelineEntry,
)
from liuhen.cases.requirements import (
    approval_state,
    approvals_needed,
    filing_chain,
    latest_filing_form,
    stage_requirements,
    summary_av_question,
    summary_av_requirements,
    summary_items,
)
from liuhen.cases.rules import approval_problems, may_record
from liuhen.core.clock import CLOCK_TOLERANCE, not_in_future
from liuhen.core.people import display_name
from liuhen.ledger.records import check_inserted, seal_instance
from liuhen.ledger.services import record
from liuhen.org import rules as org_rules
from liuhen.org.rules import Role
from liuhen.policy.loader import get_profile
from liuhen.policy.schema import APPROVAL_KINDS, ENFORCEMENT_TYPES, Profile
from liuhen.policy.snapshots import profile_load_pinned, profile_pin

# Which people a not-filed lead must be told about, by the kind of lead.
NOTICE_FOR_KIND: dict[str, str] = {
    SourceKind.COMPLAINT: "complainant",
    SourceKind.REPORT: "informant",
    SourceKind.REFERRED: "referring_agency",
    SourceKind.ASSIGNED: "referring_agency",
}
NOTICE_RECIPIENT_LABELS: dict[str, str] = {
    "complainant": "投诉人",
    "informant": "举报人",
    "referring_agency": "移送（交办）机关",
}
HEAD_ROLES = frozenset({Role.DEPARTMENT_HEAD, Role.AGENCY_HEAD})


# ---------------------------------------------------------------- helpers


def _text(value: Any, label: str, *, max_length: int | None = None, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise CaseInvalid(f"请填写{label}", code="field_required", field=label)
    if max_length and len(text) > max_length:
        raise CaseInvalid(f"{label}不能超过 {max_length} 个字", code="field_too_long", field=label)
    return text


def _require_worker(actor: Any, agency_id: int) -> None:
    if not org_rules.has_permission(actor, org_rules.P_CASES_WORK):
        raise CaseForbidden("只有执法人员和审批人员可以办理案件", code="case_forbidden")
    if actor.agency_id != agency_id:
        raise CaseForbidden("不能办理其他机关的案件", code="case_other_agency")


def _require_handler(actor: Any, case: Case) -> None:
    """Handlers act on the case; their department head and the agency head may too."""
    _require_worker(actor, case.agency_id)
    roles = actor.role_codes
    if Role.AGENCY_HEAD in roles:
        return
    if Role.DEPARTMENT_HEAD in roles and (case.department_id is None or actor.department_id == case.department_id):
        return
    if case.handlers.filter(pk=actor.pk).exists():
        return
    raise CaseForbidden("只有本案承办人及其负责人可以办理此操作", code="case_not_handler")


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def profile_of(case: Case) -> Profile:
    """The profile exactly as pinned when the case was opened."""
    return profile_load_pinned(case.profile_id, case.profile_version)


def _stage_name(profile: Profile, case: Case, stage_id: str) -> str:
    stage = profile.stage(case.enforcement_type, stage_id)
    return stage.name if stage else stage_id


def _next_number(agency: Any, kind: str, year: int) -> int:
    counter, _ = CaseCounter.objects.select_for_update().get_or_create(agency=agency, kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _trace(
    case: Case,
    *,
    actor: Any,
    action: str,
    summary: str,
    stage_id: str = "",
    obj: tuple[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> TimelineEntry:
    """The ledger event and the timeline entry of one step (caller's transaction)."""
    obj_type, obj_id = obj or ("case", case.pk)
    body = {"case_id": case.pk, "case_number": case.number, "stage": stage_id, **(payload or {})}
    entry = TimelineEntry(
        case=case,
        at=at or timezone.now(),
        actor=actor,
        actor_name=display_name(actor),
        action=action,
        stage_id=stage_id,
        summary=summary,
        ref_type=obj_type if obj else "",
        ref_id=str(obj_id) if obj else "",
    )
    # The entry is written after its event and names it by seq: its seal travels in that event.
    seal = seal_instance(entry)
    event = record(
        actor=actor,
        action=action,
        obj_type=obj_type,
        obj_id=obj_id,
        payload=body,
        agency_id=case.agency_id,
        seals={TimelineEntry._meta.label: seal},
    )
    entry.event_seq = event.seq
    entry.save()
    check_inserted(entry, seal)
    return entry


def timeline_record(
    case: Case,
    *,
    actor: Any,
    action: str,
    summary: str,
    stage_id: str = "",
    obj: tuple[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> TimelineEntry:
    """For other apps (documents, media): one step of the case, in the ledger and on its timeline."""
    return _trace(case, actor=actor, action=action, summary=summary, stage_id=stage_id, obj=obj, payload=payload)


def _open_visit(case: Case, stage_id: str, *, special: bool = False) -> StageVisit | None:
    return case.visits.filter(stage_id=stage_id, special=special, left_at__isnull=True).order_by("-id").first()


def _leave_visit(visit: StageVisit, *, actor: Any, at: dt.datetime, outcome: str) -> None:
    visit.left_at, visit.left_by, visit.outcome = at, actor, outcome
    visit.save(update_fields=["left_at", "left_by", "outcome"])


def _open_specials(case: Case) -> list[StageVisit]:
    return list(case.visits.filter(special=True, left_at__isnull=True).order_by("id"))


def _clock(case: Case, profile: Profile, event: str, at: dt.datetime) -> list[dict[str, Any]]:
    return deadlines.on_event(case, profile, event, at=at)


def _bump(case: Case, *fields: str) -> None:
    case.version += 1
    case.save(update_fields=["version", *fields])


def _check_expected(case: Case, expected_stage: str | None, expected_version: int | None) -> None:
    if expected_stage is not None and case.stage != expected_stage:
        raise StageChanged(current_stage=case.stage, expected_stage=expected_stage)
    if expected_version is not None and case.version != expected_version:
        raise StageChanged(
            "案件已被他人更新，请刷新后重试", current_version=case.version, expected_version=expected_version
        )


def _refuse(message: str, reqs: Iterable[Any], *, code: str = "transition_refused") -> TransitionRefused:
    missing = [r.as_dict() for r in reqs if r.blocking]
    labels = "；".join(r["label"] for r in missing)
    return TransitionRefused(f"{message}：{labels}" if labels else message, code=code, missing=missing)


def _not_in_future(value: dt.datetime, label: str) -> dt.datetime:
    return not_in_future(value, label=label)


# ---------------------------------------------------------------- leads


def case_source_register(
    *,
    actor: Any,
    kind: str,
    received_at: dt.datetime,
    summary: str,
    party_name: str = "",
    party_info: str = "",
    reporter_name: str = "",
    reporter_contact: str = "",
    referring_body: str = "",
    department: Any = None,
) -> CaseSource:
    """案源登记: who brought what, when; the complainant or informant kept as a protected identity."""
    _require_worker(actor, actor.agency_id)
    if kind not in SourceKind.values:
        raise CaseInvalid(f"未知的案源类型：{kind}", code="source_kind_unknown", allowed=list(SourceKind.values))
    received_at = _not_in_future(received_at, "获取时间")
    summary = _text(summary, "线索内容")
    if kind == SourceKind.COMPLAINT:
        reporter_name = _text(reporter_name, "投诉人姓名或名称", max_length=100)
    if kind in (SourceKind.ASSIGNED, SourceKind.REFERRED):
        referring_body = _text(referring_body, "交办或移送机关", max_length=200)
    if department is not None and department.agency_id != actor.agency_id:
        raise CaseInvalid("承办科室不属于本机关", code="department_other_agency")
    with transaction.atomic():
        now = timezone.now()
        year = timezone.localtime(received_at).year
        n = _next_number(actor.agency, "lead", year)
        source = CaseSource.objects.create(
            agency_id=actor.agency_id,
            department=department or actor.department,
            number=f"{actor.agency.code}-案源-{year}-{n:04d}",
            kind=kind,
            received_at=received_at,
            summary=summary,
            party_name=_text(party_name, "当事人", max_length=200, required=False),
            party_info=(party_info or "").strip(),
            reporter_name=(reporter_name or "").strip(),
            reporter_contact=(reporter_contact or "").strip()[:100],
            referring_body=(referring_body or "").strip(),
            registered_by=actor,
            registered_at=now,
        )
        # The protected identity stays out of the ledger payload: only that one was given.
        record(
            actor=actor,
            action="case_source.registered",
            obj_type="case_source",
            obj_id=source.pk,
            payload={
                "number": source.number,
                "kind": kind,
                "received_at": received_at.isoformat(),
                "has_reporter": bool(source.reporter_name),
                "referring_body": source.referring_body,
            },
        )
    return source


def _notices_needed(source: CaseSource, profile: Profile) -> list[str]:
    wanted = NOTICE_FOR_KIND.get(source.kind)
    to = profile.filing.not_filed_notice_to if profile.filing else []
    return [wanted] if wanted and wanted in to else []


def _notice_create(actor: Any, source: CaseSource, notice: Mapping[str, Any]) -> NotFiledNotice:
    kind = notice.get("recipient_kind", "")
    if kind not in NOTICE_RECIPIENT_LABELS:
        raise CaseInvalid(f"未知的告知对象类别：{kind}", code="notice_recipient_unknown")
    method = notice.get("method", "")
    if method not in NoticeMethod.values:
        raise CaseInvalid(f"未知的告知方式：{method}", code="notice_method_unknown", allowed=list(NoticeMethod.values))
    notified_at = notice.get("notified_at") or timezone.now()
    if isinstance(notified_at, str):
        notified_at = dt.datetime.fromisoformat(notified_at)
    notified_at = _not_in_future(notified_at, "告知时间")
    row = NotFiledNotice.objects.create(
        source=source,
        recipient_kind=kind,
        recipient_name=_text(notice.get("recipient_name"), "告知对象", max_length=200),
        method=method,
        notified_at=notified_at,
        note=(notice.get("note") or "").strip(),
        recorded_by=actor,
    )
    record(
        actor=actor,
        action="case_source.notice_recorded",
        obj_type="not_filed_notice",
        obj_id=row.pk,
        payload={
            "source_id": source.pk,
            "recipient_kind": kind,
            "method": method,
            "notified_at": notified_at.isoformat(),
        },
    )
    return row


def case_source_not_file(
    *, actor: Any, source: CaseSource, reasons: str, notices: list[Mapping[str, Any]] | None = None
) -> NotFilingDecision:
    """不予立案, with its reasons and, where the lead came from a complainant, informant or referring
    agency that the profile names, the notice to them (who, how, when): without it the decision is refused."""
    _require_worker(actor, source.agency_id)
    if not actor.role_codes & HEAD_ROLES:
        raise CaseForbidden("不予立案须由科室负责人或机关负责人决定", code="not_filing_needs_head")
    reasons = _text(reasons, "不予立案理由")
    profile = get_profile(source.agency.profile_id)
    notices = list(notices or [])
    given = {n.get("recipient_kind") for n in notices}
    missing = [k for k in _notices_needed(source, profile) if k not in given]
    if missing:
        who = "、".join(NOTICE_RECIPIENT_LABELS[k] for k in missing)
        raise CaseInvalid(
            f"本案源来自{who}，不予立案须同时记录对{who}的告知（告知对象、方式、时间）",
            code="not_filed_notice_required",
            missing=missing,
        )
    with transaction.atomic():
        source = CaseSource.objects.select_for_update().get(pk=source.pk)
        if source.status != SourceStatus.REGISTERED or source.cases.exists():
            raise TransitionRefused(
                f"案源当前状态为“{source.get_status_display()}”，不能再决定不予立案", code="source_already_decided"
            )
        decision = NotFilingDecision.objects.create(
            source=source,
            reasons=reasons,
            decided_by=actor,
            decided_by_name=display_name(actor),
            decided_at=timezone.now(),
        )
        record(
            actor=actor,
            action="case_source.not_filed",
            obj_type="not_filing_decision",
            obj_id=decision.pk,
            payload={"source_id": source.pk, "reasons": reasons, "decided_by_id": actor.pk},
            agency_id=source.agency_id,
        )
        for notice in notices:
            _notice_create(actor, source, notice)
        source.status = SourceStatus.NOT_FILED
        source.save(update_fields=["status"])
    return decision


def case_source_notice_record(*, actor: Any, source: CaseSource, notice: Mapping[str, Any]) -> NotFiledNotice:
    """A further notice about a lead not filed (e.g. to a second complainant)."""
    _require_worker(actor, source.agency_id)
    if source.status != SourceStatus.NOT_FILED:
        raise TransitionRefused("只有不予立案的案源需要记录告知", code="source_not_not_filed")
    with transaction.atomic():
        return _notice_create(actor, source, notice)


# ---------------------------------------------------------------- opening a case


def _handlers(actor: Any, handlers: Iterable[Any], *, procedure: str) -> list[Any]:
    people = list({h.pk: h for h in handlers}.values()) or [actor]
    today = timezone.localdate()
    for h in people:
        if h.agency_id != actor.agency_id or not org_rules.has_permission(h, org_rules.P_CASES_WORK):
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
    (coercion) or an application (licensing, confirmation). Pins the agency's profile version."""
    _require_worker(actor, actor.agency_id)
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
    title = _text(title, "案由或事项", max_length=300)
    if source is not None:
        if source.agency_id != agency.pk:
            raise SourceNotFound()
        if source.status != SourceStatus.REGISTERED:
            raise TransitionRefused(
                f"案源{source.number}当前状态为“{source.get_status_display()}”，不能据此启动案件",
                code="source_already_decided",
            )
    elif enforcement_type == "penalty" and procedure == Procedure.ORDINARY:
        raise CaseInvalid("行政处罚案件须依据已登记的案源启动，请先登记案源", code="source_required")
    if urgent:
        if not (profile.filing and profile.filing.makeup_allowed and et.filing_stage):
            raise CaseInvalid("本机关执法规则未规定可以先行启动后补办立案审批", code="urgent_start_not_allowed")
        urgent_reason = _text(urgent_reason, "先行启动的紧急情况")
    if source is not None and enforcement_type == "penalty":
        started = source.received_at  # 处罚程序自获取违法线索时启动
    else:
        started = _not_in_future(started_at or timezone.now(), "程序启动时间")
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
        n = _next_number(agency, "case", year)
        case = Case.objects.create(
            agency=agency,
            department=department or actor.department,
            number=f"{agency.code}-{enforcement_type}-{year}-{n:04d}",
            enforcement_type=enforcement_type,
            profile_id=snap.profile_id,
            profile_version=snap.version,
            procedure=procedure,
            title=title,
            party_name=_text(party_name, "当事人", max_length=200, required=False),
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
        changes = _clock(case, pinned, "case_opened", started)
        if urgent:
            changes += _clock(case, pinned, "case_opened_urgent", started)
        changes += _clock(case, pinned, f"stage_entered:{case.stage}", now)
        if not needs_filing and source is not None:
            source.status = SourceStatus.FILED
            source.save(update_fields=["status"])
        names = "、".join(display_name(h) for h in people)
        what = "（紧急情况先行启动，须补办立案审批）" if urgent else ""
        _trace(
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


# ---------------------------------------------------------------- filing


def filing_form_submit(*, actor: Any, case: Case, values: Mapping[str, Any]) -> FilingForm:
    """Submit (or correct, as a new revision) the filing approval form with every field the profile requires."""
    _require_handler(actor, case)
    profile = profile_of(case)
    et = profile.enforcement_types[case.enforcement_type]
    if not et.filing_stage or case.procedure != Procedure.ORDINARY:
        raise TransitionRefused("本案不需要立案审批", code="filing_not_required")
    if case.filed_at is not None:
        raise TransitionRefused("本案已立案，不能再提交立案审批表", code="case_already_filed")
    form_code = profile.filing.form if profile.filing else "filing_approval_form"
    doc = profile.document_types.get(form_code)
    labels = {f.id: f.label for f in doc.fields} if doc else {}
    required = profile.filing.required_fields if profile.filing else []
    clean = {k: (str(v).strip() if v is not None else "") for k, v in values.items() if k in labels or k in required}
    unknown = sorted(set(values) - set(clean))
    if unknown:
        raise CaseInvalid(f"立案审批表没有这些栏目：{'、'.join(unknown)}", code="filing_field_unknown", fields=unknown)
    missing = [f for f in required if not clean.get(f)]
    if missing:
        names = "、".join(labels.get(f, f) for f in missing)
        raise CaseInvalid(f"立案审批表缺少必填栏目：{names}", code="filing_field_missing", fields=missing)
    with transaction.atomic():
        case = _lock(case)
        if case.filed_at is not None:
            raise TransitionRefused("本案已立案，不能再提交立案审批表", code="case_already_filed")
        last = latest_filing_form(case)
        form = FilingForm.objects.create(
            case=case,
            revision=(last.revision + 1) if last else 1,
            form_type=form_code,
            values=clean,
            submitted_by=actor,
            submitted_at=timezone.now(),
        )
        _trace(
            case,
            actor=actor,
            action="case.filing_form_submitted",
            stage_id=et.filing_stage,
            obj=("filing_form", form.pk),
            at=form.submitted_at,
            summary=f"提交{doc.name if doc else '立案审批表'}（第 {form.revision} 版），"
            f"报{'、'.join(APPROVAL_KINDS[k] for k in filing_chain(profile))}",
            payload={"revision": form.revision, "values": clean},
        )
        _bump(case)
    return form


# ---------------------------------------------------------------- approvals


def _approval_visit(case: Case, profile: Profile, kind: str, stage_id: str | None) -> tuple[StageVisit, bool]:
    """The stage visit the approval belongs to, and whether it is a special stage."""
    et = profile.enforcement_types[case.enforcement_type]
    specials = {s.id for s in et.special_stages}
    if stage_id:
        special = stage_id in specials
        visit = _open_visit(case, stage_id, special=special)
        if visit is None and not special and stage_id == et.filing_stage and case.filed_at is None:
            visit = case.visits.filter(stage_id=stage_id, special=False).order_by("-id").first()
            visit = visit or _open_visit(case, case.stage)
        if visit is None:
            raise ApprovalRefused(
                f"案件当前不在“{_stage_name(profile, case, stage_id)}”环节", code="approval_wrong_stage"
            )
        return visit, special
    for visit in _open_specials(case):
        stage = profile.stage(case.enforcement_type, visit.stage_id)
        if stage and kind in stage.approvals:
            return visit, True
    if (
        et.filing_stage
        and case.filed_at is None
        and case.procedure == Procedure.ORDINARY
        and kind in filing_chain(profile)
    ):
        visit = case.visits.filter(stage_id=et.filing_stage, special=False).order_by("-id").first()
        if visit is not None:
            return visit, False
    visit = _open_visit(case, case.stage)
    if visit is None:
        raise ApprovalRefused("案件当前没有可审批的环节", code="approval_wrong_stage")
    return visit, False


def approval_record(
    *,
    actor: Any,
    case: Case,
    kind: str,
    decision: str,
    opinion: str,
    suggestions: str = "",
    participants: list[str] | None = None,
    minutes: str = "",
    conclusion: str = "",
    extend_days: int | None = None,
    stage_id: str | None = None,
    expected_version: int | None = None,
) -> Approval:
    """One approval act (department head, legal review, collective discussion, expert review, agency
    head) on the stage that needs it, in the profile's order, by someone whose role carries it."""
    if kind not in APPROVAL_KINDS:
        raise CaseInvalid(f"未知的审批类别：{kind}", code="approval_kind_unknown", allowed=list(APPROVAL_KINDS))
    if decision not in Decision.values:
        raise CaseInvalid(f"审批结论应为同意或不同意：{decision}", code="approval_decision_unknown")
    _require_worker(actor, case.agency_id)
    if not may_record(kind, actor.role_codes):
        raise CaseForbidden(
            f"您的角色不能作出{APPROVAL_KINDS[kind]}（超出审批权限）", code="approval_outside_authority"
        )
    participants = [p.strip() for p in (participants or []) if p and p.strip()]
    problems = approval_problems(
        kind,
        opinion=opinion or "",
        suggestions=suggestions or "",
        participants=participants,
        minutes=minutes or "",
        conclusion=conclusion or "",
    )
    if problems:
        raise CaseInvalid(
            f"{APPROVAL_KINDS[kind]}记录不完整：{'；'.join(problems)}", code="approval_incomplete", problems=problems
        )
    with transaction.atomic():
        case = _lock(case)
        _check_expected(case, None, expected_version)
        if case.status in (CaseStatus.CLOSED, CaseStatus.REFERRED):
            raise ApprovalRefused(f"案件{case.get_status_display()}，不能再审批", code="case_ended")
        profile = profile_of(case)
        visit, special = _approval_visit(case, profile, kind, stage_id)
        et = profile.enforcement_types[case.enforcement_type]
        filing_early = (
            not special
            and et.filing_stage
            and case.filed_at is None
            and (stage_id or "") in ("", et.filing_stage)
            and case.procedure == Procedure.ORDINARY
            and kind in filing_chain(profile)
        )
        stage = profile.stage(case.enforcement_type, et.filing_stage if filing_early else visit.stage_id)
        assert stage is not None
        kinds = approvals_needed(case, profile, stage, special=special)
        if kind not in kinds and case.filed_at is not None and et.filing_stage and kind in filing_chain(profile):
            raise ApprovalRefused(
                f"立案审批已完成（{timezone.localtime(case.filed_at):%Y-%m-%d %H:%M}立案）",
                code="approval_already_recorded",
            )
        if kind not in kinds:
            raise ApprovalRefused(
                f"“{stage.name}”环节不需要{APPROVAL_KINDS[kind]}"
                + (f"（需要：{'、'.join(APPROVAL_KINDS[k] for k in kinds)}）" if kinds else ""),
                code="approval_not_required",
            )
        filing = not special and stage.id == et.filing_stage
        form = latest_filing_form(case) if filing else None
        if filing and form is None:
            raise ApprovalRefused("立案审批表尚未提交，不能审批", code="filing_form_missing")
        state = approval_state(case, visit, kinds, filing=filing)
        for before in kinds[: kinds.index(kind)]:
            act = state[before]
            if act is None or act.decision != Decision.APPROVED:
                raise ApprovalRefused(
                    f"须先完成{APPROVAL_KINDS[before]}，才能作出{APPROVAL_KINDS[kind]}", code="approval_out_of_order"
                )
        current = state[kind]
        if current is not None and current.decision == Decision.APPROVED:
            raise ApprovalRefused(
                f"{APPROVAL_KINDS[kind]}已由{current.actor_name}于{timezone.localtime(current.acted_at):%Y-%m-%d %H:%M}作出",
                code="approval_already_recorded",
            )
        if stage.id in {s.id for s in et.special_stages} and getattr(stage, "moves_deadlines", False):
            if decision == Decision.APPROVED:
                extend_days = extend_days or visit.requested_days
                if not extend_days or extend_days < 1:
                    raise CaseInvalid("批准延期须写明延长的天数", code="extend_days_required")
        else:
            extend_days = None
        officer = getattr(actor, "officer", None)
        act = Approval.objects.create(
            case=case,
            visit=visit,
            stage_id=stage.id,
            kind=kind,
            decision=decision,
            opinion=opinion.strip(),
            suggestions=(suggestions or "").strip(),
            participants=participants,
            minutes=(minutes or "").strip(),
            conclusion=(conclusion or "").strip(),
            extend_days=extend_days,
            filing_form=form,
            actor=actor,
            actor_name=display_name(actor),
            certificate_no=officer.certificate_no if officer else "",
            acted_at=timezone.now(),
        )
        changes: list[dict[str, Any]] = []
        if extend_days and decision == Decision.APPROVED:
            changes = deadlines.extend(case, days=extend_days)
        verdict = Decision(decision).label
        _trace(
            case,
            actor=actor,
            action="case.approval_recorded",
            stage_id=stage.id,
            obj=("approval", act.pk),
            at=act.acted_at,
            summary=f"{APPROVAL_KINDS[kind]}（{stage.name}）：{verdict}。意见：{act.opinion}"
            + (f"；建议：{act.suggestions}" if act.suggestions else "")
            + (f"；延长 {extend_days} 日" if extend_days else ""),
            payload={
                "case_id": case.pk,
                "stage_id": stage.id,
                "kind": kind,
                "decision": decision,
                "actor_id": actor.pk,
                "opinion": act.opinion,
                "certificate_no": act.certificate_no,
                "deadlines": changes,
            },
        )
        fields: list[str] = []
        if filing and decision == Decision.APPROVED and kind == kinds[-1]:
            case.filed_at = act.acted_at
            fields.append("filed_at")
            if case.status == CaseStatus.PENDING_FILING:
                case.status = CaseStatus.OPEN
                fields.append("status")
            if case.source_id:
                CaseSource.objects.filter(pk=case.source_id).update(status=SourceStatus.FILED)
            clock = _clock(case, profile, "case_filed", act.acted_at)
            _trace(
                case,
                actor=actor,
                action="case.filed",
                stage_id=stage.id,
                summary="立案审批通过，案件立案" + ("（先行启动后补办）" if case.urgent_start else ""),
                payload={"filed_at": act.acted_at.isoformat(), "deadlines": clock},
            )
        _bump(case, *fields)
    return act


# ---------------------------------------------------------------- moving through the stages


def _requirements_or_refuse(case: Case, profile: Profile, message: str) -> list[Any]:
    visit = _open_visit(case, case.stage)
    reqs = stage_requirements(case, profile, case.stage, visit=visit)
    if any(r.blocking for r in reqs):
        raise _refuse(message, reqs)
    return reqs


def _require_running(case: Case) -> None:
    if case.status in (CaseStatus.CLOSED, CaseStatus.REFERRED):
        raise TransitionRefused(f"案件{case.get_status_display()}，不能再推进", code="case_ended")
    specials = _open_specials(case)
    if specials:
        profile = profile_of(case)
        names = "、".join(_stage_name(profile, case, v.stage_id) for v in specials)
        raise TransitionRefused(f"须先结束特别程序环节：{names}", code="special_stage_open")


def case_advance(*, actor: Any, case: Case, expected_stage: str | None = None, note: str = "") -> Case:
    """Leave the current general stage for the next one, once everything it needs is recorded."""
    _require_handler(actor, case)
    with transaction.atomic():
        case = _lock(case)
        _check_expected(case, expected_stage, None)
        _require_running(case)
        profile = profile_of(case)
        stages = [s.id for s in profile.enforcement_types[case.enforcement_type].stages]
        i = stages.index(case.stage)
        if i + 1 >= len(stages):
            raise TransitionRefused("已是最后一个环节，请办理结案", code="last_stage")
        reqs = _requirements_or_refuse(case, profile, f"“{_stage_name(profile, case, case.stage)}”尚不能结束")
        now = timezone.now()
        left = case.stage
        visit = _open_visit(case, left)
        if visit is not None:
            _leave_visit(visit, actor=actor, at=now, outcome=(note or "").strip())
        case.stage = stages[i + 1]
        StageVisit.objects.create(case=case, stage_id=case.stage, entered_at=now, entered_by=actor)
        changes = _clock(case, profile, f"stage_left:{left}", now) + _clock(
            case, profile, f"stage_entered:{case.stage}", now
        )
        _bump(case, "stage")
        pending = [r.as_dict() for r in reqs if r.status == "pending"]
        _trace(
            case,
            actor=actor,
            action="case.advanced",
            stage_id=case.stage,
            at=now,
            summary=f"结束“{_stage_name(profile, case, left)}”，进入“{_stage_name(profile, case, case.stage)}”"
            + (f"（待核验：{'；'.join(p['label'] for p in pending)}）" if pending else ""),
            payload={"from": left, "to": case.stage, "pending": pending, "deadlines": changes},
        )
    return case


def special_stage_enter(
    *, actor: Any, case: Case, stage_id: str, reason: str, requested_days: int | None = None
) -> StageVisit:
    """Enter a special stage (suspension, extension, hearing, sampling, ...) where the profile allows it."""
    _require_handler(actor, case)
    reason = _text(reason, "进入特别程序的理由")
    with transaction.atomic():
        case = _lock(case)
        if case.status in (CaseStatus.CLOSED, CaseStatus.REFERRED, CaseStatus.PENDING_FILING):
            raise TransitionRefused(f"案件{case.get_status_display()}，不能进入特别程序环节", code="case_not_running")
        profile = profile_of(case)
        et = profile.enforcement_types[case.enforcement_type]
        stage = next((s for s in et.special_stages if s.id == stage_id), None)
        if stage is None:
            names = "、".join(s.name for s in et.special_stages) or "无"
            raise TransitionRefused(
                f"本机关{ENFORCEMENT_TYPES[case.enforcement_type]}没有特别程序环节“{stage_id}”（可用：{names}）",
                code="special_stage_unknown",
            )
        if case.stage not in stage.enter_from:
            allowed = "、".join(_stage_name(profile, case, s) for s in stage.enter_from)
            raise TransitionRefused(
                f"“{stage.name}”只能在{allowed}环节进入，案件当前在“{_stage_name(profile, case, case.stage)}”",
                code="special_stage_not_allowed_here",
            )
        if _open_visit(case, stage_id, special=True) is not None:
            raise TransitionRefused(f"“{stage.name}”已在进行中", code="special_stage_already_open")
        if stage.moves_deadlines and (not requested_days or requested_days < 1):
            raise CaseInvalid("申请延期须写明延长的天数", code="extend_days_required")
        now = timezone.now()
        visit = StageVisit.objects.create(
            case=case,
            stage_id=stage_id,
            special=True,
            entered_at=now,
            entered_by=actor,
            reason=reason,
            requested_days=requested_days if stage.moves_deadlines else None,
        )
        changes: list[dict[str, Any]] = []
        fields: list[str] = []
        if stage.pauses_deadlines:
            changes = deadlines.pause(case, at=now)
            case.status = CaseStatus.SUSPENDED
            fields.append("status")
        changes += _clock(case, profile, f"stage_entered:{stage_id}", now)
        _bump(case, *fields)
        _trace(
            case,
            actor=actor,
            action="case.special_stage_entered",
            stage_id=stage_id,
            at=now,
            summary=f"进入特别程序“{stage.name}”：{reason}"
            + (f"（申请延长 {requested_days} 日）" if stage.moves_deadlines else ""),
            payload={
                "special_stage": stage_id,
                "reason": reason,
                "requested_days": visit.requested_days,
                "deadlines": changes,
            },
        )
    return visit


def special_stage_leave(*, actor: Any, case: Case, stage_id: str, outcome: str) -> StageVisit:
    """End a special stage with its outcome; a suspension's clocks run again from here."""
    _require_handler(actor, case)
    outcome = _text(outcome, "特别程序的结果")
    with transaction.atomic():
        case = _lock(case)
        profile = profile_of(case)
        visit = _open_visit(case, stage_id, special=True)
        if visit is None:
            raise TransitionRefused(
                f"案件当前不在特别程序“{_stage_name(profile, case, stage_id)}”中", code="special_stage_not_open"
            )
        stage = profile.stage(case.enforcement_type, stage_id)
        assert stage is not None
        reqs = stage_requirements(case, profile, stage_id, visit=visit)
        if any(r.blocking for r in reqs):
            raise _refuse(f"“{stage.name}”尚不能结束", reqs)
        now = timezone.now()
        _leave_visit(visit, actor=actor, at=now, outcome=outcome)
        changes: list[dict[str, Any]] = []
        fields: list[str] = []
        if getattr(stage, "pauses_deadlines", False):
            changes = deadlines.resume(case, at=now)
            case.status = CaseStatus.OPEN
            fields.append("status")
        changes += _clock(case, profile, f"stage_left:{stage_id}", now)
        _bump(case, *fields)
        _trace(
            case,
            actor=actor,
            action="case.special_stage_left",
            stage_id=stage_id,
            at=now,
            summary=f"结束特别程序“{stage.name}”：{outcome}",
            payload={"special_stage": stage_id, "outcome": outcome, "deadlines": changes},
        )
    return visit


def summary_record(*, actor: Any, case: Case, values: Mapping[str, Any]) -> Case:
    """简易程序: what the profile says must be recorded on the spot."""
    _require_handler(actor, case)
    if case.procedure != Procedure.SUMMARY:
        raise TransitionRefused("本案不是简易程序案件", code="not_summary_procedure")
    profile = profile_of(case)
    must = summary_items(profile, case)
    clean = {k: str(v).strip() for k, v in values.items() if v is not None and str(v).strip()}
    unknown = sorted(set(clean) - set(must))
    if unknown:
        raise CaseInvalid(f"简易程序没有这些记录事项：{'、'.join(unknown)}", code="summary_item_unknown", items=unknown)
    missing = [m for m in must if m not in clean]
    if missing:
        raise CaseInvalid(f"简易程序须记录：{'、'.join(missing)}", code="summary_item_missing", items=missing)
    question = summary_av_question(profile, case)
    if question and clean[question] not in ("是", "否"):
        raise CaseInvalid(f"“{question}”请填写“是”或“否”", code="summary_av_answer_invalid")
    with transaction.atomic():
        case = _lock(case)
        _require_running(case)
        case.summary_record = clean
        _bump(case, "summary_record")
        _trace(
            case,
            actor=actor,
            action="case.summary_recorded",
            stage_id=case.stage,
            summary="记录简易程序事项：" + "；".join(f"{k}：{v}" for k, v in clean.items()),
            payload={"values": clean},
        )
    return case


def case_close(*, actor: Any, case: Case, expected_stage: str | None = None, note: str = "") -> Case:
    """结案: at the last general stage with everything recorded (a summary case: its on-the-spot record).
    Starts the archiving deadline."""
    _require_handler(actor, case)
    with transaction.atomic():
        case = _lock(case)
        _check_expected(case, expected_stage, None)
        _require_running(case)
        profile = profile_of(case)
        et = profile.enforcement_types[case.enforcement_type]
        if case.urgent_start and case.filed_at is None:
            raise TransitionRefused("先行启动的案件尚未补办立案审批，不能结案", code="case_not_filed")
        pending: list[dict[str, str]] = []
        if case.procedure == Procedure.SUMMARY:
            items = summary_items(profile, case)
            if items and not case.summary_record:
                raise TransitionRefused(
                    f"简易程序案件结案前须记录：{'、'.join(items)}",
                    code="summary_record_missing",
                )
            reqs = summary_av_requirements(case, profile)
            if any(r.blocking for r in reqs):
                raise _refuse("尚不能结案", reqs)
            pending = [r.as_dict() for r in reqs if r.status == "pending"]
        else:
            if case.stage != et.stages[-1].id:
                raise TransitionRefused(
                    f"案件在“{_stage_name(profile, case, case.stage)}”环节，须依次办理到“{et.stages[-1].name}”才能结案",
                    code="not_last_stage",
                )
            reqs = _requirements_or_refuse(case, profile, "尚不能结案")
            pending = [r.as_dict() for r in reqs if r.status == "pending"]
        now = timezone.now()
        visit = _open_visit(case, case.stage)
        if visit is not None:
            _leave_visit(visit, actor=actor, at=now, outcome=(note or "").strip())
        case.status, case.closed_at = CaseStatus.CLOSED, now
        changes = _clock(case, profile, f"stage_left:{case.stage}", now) + _clock(case, profile, "case_closed", now)
        _bump(case, "status", "closed_at")
        _trace(
            case,
            actor=actor,
            action="case.closed",
            stage_id=case.stage,
            at=now,
            summary="结案"
            + (f"：{note.strip()}" if note and note.strip() else "")
            + (f"（待核验：{'；'.join(p['label'] for p in pending)}）" if pending else ""),
            payload={"closed_at": now.isoformat(), "pending": pending, "deadlines": changes},
        )
        hooks.case_closed(case=case, actor=actor)  # the archive opens the case file
    return case


# ---------------------------------------------------------------- referral


def referral_create(
    *,
    actor: Any,
    receiver_kind: str,
    receiver_name: str,
    reason: str,
    document_no: str,
    items: str,
    case: Case | None = None,
    source: CaseSource | None = None,
    ends_case: bool = True,
) -> Referral:
    """移送: a case or lead handed to another agency, or to the public security or judicial organs
    (crime suspected; officers obstructed by violence or threats), with its document and materials."""
    if (case is None) == (source is None):
        raise CaseInvalid("移送须指明一个案件或一个案源", code="referral_target_required")
    if receiver_kind not in ReceiverKind.values:
        raise CaseInvalid(f"未知的接收机关类别：{receiver_kind}", code="receiver_kind_unknown")
    if reason not in ReferralReason.values:
        raise CaseInvalid(f"未知的移送原因：{reason}", code="referral_reason_unknown")
    if reason in (ReferralReason.CRIME_SUSPECTED, ReferralReason.OBSTRUCTION) and receiver_kind == ReceiverKind.AGENCY:
        raise CaseInvalid("涉嫌犯罪或暴力、威胁阻碍执法的，应移送公安机关或司法机关", code="referral_receiver_wrong")
    receiver_name = _text(receiver_name, "接收机关", max_length=200)
    document_no = _text(document_no, "移送文书文号", max_length=100)
    items = _text(items, "移送材料清单")
    with transaction.atomic():
        if case is not None:
            _require_handler(actor, case)
            case = _lock(case)
            if case.status in (CaseStatus.CLOSED, CaseStatus.REFERRED):
                raise TransitionRefused(f"案件{case.get_status_display()}，不能移送", code="case_ended")
        else:
            assert source is not None
            _require_worker(actor, source.agency_id)
            source = CaseSource.objects.select_for_update().get(pk=source.pk)
            if source.status != SourceStatus.REGISTERED:
                raise TransitionRefused(f"案源{source.get_status_display()}，不能移送", code="source_already_decided")
            ends_case = True
        now = timezone.now()
        referral = Referral.objects.create(
            case=case,
            source=source,
            receiver_kind=receiver_kind,
            receiver_name=receiver_name,
            reason=reason,
            document_no=document_no,
            items=items,
            ends_case=ends_case,
            sent_at=now,
            sent_by=actor,
        )
        body = {
            "referral_id": referral.pk,
            "receiver_kind": receiver_kind,
            "receiver_name": receiver_name,
            "reason": reason,
            "document_no": document_no,
            "ends_case": ends_case,
        }
        if case is not None:
            fields: list[str] = []
            if ends_case:
                for visit in case.visits.filter(left_at__isnull=True):
                    _leave_visit(visit, actor=actor, at=now, outcome="案件移送")
                case.status = CaseStatus.REFERRED
                fields.append("status")
            _bump(case, *fields)
            _trace(
                case,
                actor=actor,
                action="case.referred",
                stage_id=case.stage,
                at=now,
                obj=("referral", referral.pk),
                summary=f"移送{receiver_name}（{ReferralReason(reason).label}），文书 {document_no}；材料：{items}",
                payload=body,
            )
        else:
            assert source is not None
            source.status = SourceStatus.REFERRED
            source.save(update_fields=["status"])
            record(actor=actor, action="case_source.referred", obj_type="case_source", obj_id=source.pk, payload=body)
    return referral


def referral_acknowledge(
    *, actor: Any, referral: Referral, acknowledged_at: dt.datetime, acknowledged_by_name: str, note: str = ""
) -> Referral:
    """The receiving body's acknowledgement (回执), recorded once."""
    agency_id = referral.case.agency_id if referral.case else referral.source.agency_id
    _require_worker(actor, agency_id)
    acknowledged_by_name = _text(acknowledged_by_name, "接收人", max_length=100)
    acknowledged_at = _not_in_future(acknowledged_at, "接收时间")
    if acknowledged_at < referral.sent_at - CLOCK_TOLERANCE:
        raise CaseInvalid("接收时间不能早于移送时间", code="date_before_referral")
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.acknowledged_at is not None:
            raise TransitionRefused("回执已记录，不能重复记录", code="referral_already_acknowledged")
        referral.acknowledged_at = acknowledged_at
        referral.acknowledged_by_name = acknowledged_by_name
        referral.acknowledgement_note = (note or "").strip()
        referral.save(update_fields=["acknowledged_at", "acknowledged_by_name", "acknowledgement_note"])
        body = {"referral_id": referral.pk, "acknowledged_at": acknowledged_at.isoformat(), "by": acknowledged_by_name}
        if referral.case is not None:
            _trace(
                referral.case,
                actor=actor,
                action="case.referral_acknowledged",
                stage_id=referral.case.stage,
                obj=("referral", referral.pk),
                summary=f"{referral.receiver_name}已接收移送（接收人：{acknowledged_by_name}）",
                payload=body,
            )
        else:
            record(
                actor=actor, action="case.referral_acknowledged", obj_type="referral", obj_id=referral.pk, payload=body
            )
    return referral


# ---------------------------------------------------------------- reading leaves a trace


def case_view_record(*, actor: Any, case: Case) -> None:
    """Opening a case page is a recorded act (integ-audit-trail-traceability): the ledger, not the timeline."""
    with transaction.atomic():
        record(
            actor=actor,
            action="case.viewed",
            obj_type="case",
            obj_id=case.pk,
            payload={"case_id": case.pk, "case_number": case.number, "stage": case.stage},
            agency_id=case.agency_id,
        )
