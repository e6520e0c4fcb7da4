"""Moving a case through its stages (clauses flow-penalty-stages, flow-coercion-stages,
flow-inspection-stages, doc-summary-procedure): leaving a general stage once everything it needs is
recorded, entering and leaving special stages (suspension stops the clocks, extension moves them),
the summary procedure's on-the-spot record, and closing the case (which starts the archiving deadline
and lets the archive open the case file). A refusal names what is missing and changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases import hooks
from liuhen.cases.errors import CaseInvalid, TransitionRefused
from liuhen.cases.models import Case, CaseStatus, Procedure, StageVisit
from liuhen.cases.policies import case_policy
from liuhen.cases.profiles import profile_of, stage_name
from liuhen.cases.requirements import stage_requirements, summary_av_question, summary_av_requirements, summary_items
from liuhen.cases.services import deadlines
from liuhen.cases.services.common import (
    ENDED,
    bump,
    case_lock,
    check_expected,
    clock,
    leave_visit,
    open_specials,
    open_visit,
    refusal,
    text,
)
from liuhen.cases.services.timeline import trace
from liuhen.policy.schema import ENFORCEMENT_TYPES, Profile


def _requirements_or_refuse(case: Case, profile: Profile, message: str) -> list[Any]:
    visit = open_visit(case, case.stage)
    reqs = stage_requirements(case, profile, case.stage, visit=visit)
    if any(r.blocking for r in reqs):
        raise refusal(message, reqs)
    return reqs


def _check_running(case: Case) -> None:
    if case.status in ENDED:
        raise TransitionRefused(f"案件{case.get_status_display()}，不能再推进", code="case_ended")
    specials = open_specials(case)
    if specials:
        profile = profile_of(case)
        names = "、".join(stage_name(profile, case, v.stage_id) for v in specials)
        raise TransitionRefused(f"须先结束特别程序环节：{names}", code="special_stage_open")


def case_advance(*, actor: Any, case: Case, expected_stage: str | None = None, note: str = "") -> Case:
    """Leave the current general stage for the next one, once everything it needs is recorded."""
    case_policy.require(actor, "handle", case)
    with transaction.atomic():
        case = case_lock(case)
        check_expected(case, expected_stage, None)
        _check_running(case)
        profile = profile_of(case)
        stages = [s.id for s in profile.enforcement_types[case.enforcement_type].stages]
        i = stages.index(case.stage)
        if i + 1 >= len(stages):
            raise TransitionRefused("已是最后一个环节，请办理结案", code="last_stage")
        reqs = _requirements_or_refuse(case, profile, f"“{stage_name(profile, case, case.stage)}”尚不能结束")
        now = timezone.now()
        left = case.stage
        visit = open_visit(case, left)
        if visit is not None:
            leave_visit(visit, actor=actor, at=now, outcome=(note or "").strip())
        case.stage = stages[i + 1]
        StageVisit.objects.create(case=case, stage_id=case.stage, entered_at=now, entered_by=actor)
        changes = clock(case, profile, f"stage_left:{left}", now) + clock(
            case, profile, f"stage_entered:{case.stage}", now
        )
        bump(case, "stage")
        pending = [r.as_dict() for r in reqs if r.status == "pending"]
        trace(
            case,
            actor=actor,
            action="case.advanced",
            stage_id=case.stage,
            at=now,
            summary=f"结束“{stage_name(profile, case, left)}”，进入“{stage_name(profile, case, case.stage)}”"
            + (f"（待核验：{'；'.join(p['label'] for p in pending)}）" if pending else ""),
            payload={"from": left, "to": case.stage, "pending": pending, "deadlines": changes},
        )
    return case


def special_stage_enter(
    *, actor: Any, case: Case, stage_id: str, reason: str, requested_days: int | None = None
) -> StageVisit:
    """Enter a special stage (suspension, extension, hearing, sampling, ...) where the profile allows it."""
    case_policy.require(actor, "handle", case)
    reason = text(reason, "进入特别程序的理由")
    with transaction.atomic():
        case = case_lock(case)
        if case.status in (*ENDED, CaseStatus.PENDING_FILING):
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
            allowed = "、".join(stage_name(profile, case, s) for s in stage.enter_from)
            raise TransitionRefused(
                f"“{stage.name}”只能在{allowed}环节进入，案件当前在“{stage_name(profile, case, case.stage)}”",
                code="special_stage_not_allowed_here",
            )
        if open_visit(case, stage_id, special=True) is not None:
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
        changes += clock(case, profile, f"stage_entered:{stage_id}", now)
        bump(case, *fields)
        trace(
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
    case_policy.require(actor, "handle", case)
    outcome = text(outcome, "特别程序的结果")
    with transaction.atomic():
        case = case_lock(case)
        profile = profile_of(case)
        visit = open_visit(case, stage_id, special=True)
        if visit is None:
            raise TransitionRefused(
                f"案件当前不在特别程序“{stage_name(profile, case, stage_id)}”中", code="special_stage_not_open"
            )
        stage = profile.stage(case.enforcement_type, stage_id)
        assert stage is not None
        reqs = stage_requirements(case, profile, stage_id, visit=visit)
        if any(r.blocking for r in reqs):
            raise refusal(f"“{stage.name}”尚不能结束", reqs)
        now = timezone.now()
        leave_visit(visit, actor=actor, at=now, outcome=outcome)
        changes: list[dict[str, Any]] = []
        fields: list[str] = []
        if getattr(stage, "pauses_deadlines", False):
            changes = deadlines.resume(case, at=now)
            case.status = CaseStatus.OPEN
            fields.append("status")
        changes += clock(case, profile, f"stage_left:{stage_id}", now)
        bump(case, *fields)
        trace(
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
    case_policy.require(actor, "handle", case)
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
        case = case_lock(case)
        _check_running(case)
        case.summary_record = clean
        bump(case, "summary_record")
        trace(
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
    case_policy.require(actor, "handle", case)
    with transaction.atomic():
        case = case_lock(case)
        check_expected(case, expected_stage, None)
        _check_running(case)
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
                raise refusal("尚不能结案", reqs)
            pending = [r.as_dict() for r in reqs if r.status == "pending"]
        else:
            if case.stage != et.stages[-1].id:
                raise TransitionRefused(
                    f"案件在“{stage_name(profile, case, case.stage)}”环节，须依次办理到“{et.stages[-1].name}”才能结案",
                    code="not_last_stage",
                )
            reqs = _requirements_or_refuse(case, profile, "尚不能结案")
            pending = [r.as_dict() for r in reqs if r.status == "pending"]
        now = timezone.now()
        visit = open_visit(case, case.stage)
        if visit is not None:
            leave_visit(visit, actor=actor, at=now, outcome=(note or "").strip())
        case.status, case.closed_at = CaseStatus.CLOSED, now
        changes = clock(case, profile, f"stage_left:{case.stage}", now) + clock(case, profile, "case_closed", now)
        bump(case, "status", "closed_at")
        trace(
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
