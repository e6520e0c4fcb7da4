"""Approval acts on a case (clauses doc-internal-approval, doc-legal-review, doc-collective-discussion,
doc-expert-review, src-filing-approval): department head, legal review, collective discussion, expert
review and agency head, each on the stage that needs it, in the profile's order, by someone holding a
role the profile names for that kind (``approvals.<kind>.roles``). The last filing approval files the
case; an approved extension moves its clocks."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.errors import ApprovalRefused, CaseInvalid
from liuhen.cases.models import Approval, Case, CaseSource, CaseStatus, Decision, Procedure, SourceStatus, StageVisit
from liuhen.cases.policies import case_policy
from liuhen.cases.profiles import profile_of, stage_name
from liuhen.cases.requirements import approval_state, approvals_needed, latest_filing_form
from liuhen.cases.rules import approval_problems
from liuhen.cases.services import deadlines
from liuhen.cases.services.common import ENDED, bump, case_lock, check_expected, clock, open_specials, open_visit
from liuhen.cases.services.timeline import trace
from liuhen.core.people import display_name
from liuhen.policy.schema import APPROVAL_KINDS, Profile


def _approval_visit(case: Case, profile: Profile, kind: str, stage_id: str | None) -> tuple[StageVisit, bool]:
    """The stage visit the approval belongs to, and whether it is a special stage."""
    et = profile.enforcement_types[case.enforcement_type]
    specials = {s.id for s in et.special_stages}
    if stage_id:
        special = stage_id in specials
        visit = open_visit(case, stage_id, special=special)
        if visit is None and not special and stage_id == et.filing_stage and case.filed_at is None:
            visit = case.visits.filter(stage_id=stage_id, special=False).order_by("-id").first()
            visit = visit or open_visit(case, case.stage)
        if visit is None:
            raise ApprovalRefused(
                f"案件当前不在“{stage_name(profile, case, stage_id)}”环节", code="approval_wrong_stage"
            )
        return visit, special
    for visit in open_specials(case):
        stage = profile.stage(case.enforcement_type, visit.stage_id)
        if stage and kind in stage.approvals:
            return visit, True
    if (
        et.filing_stage
        and case.filed_at is None
        and case.procedure == Procedure.ORDINARY
        and kind in profile.filing_chain()
    ):
        visit = case.visits.filter(stage_id=et.filing_stage, special=False).order_by("-id").first()
        if visit is not None:
            return visit, False
    visit = open_visit(case, case.stage)
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
    case_policy.require(actor, f"approve:{kind}", case)
    participants = [p.strip() for p in (participants or []) if p and p.strip()]
    problems = approval_problems(
        kind,
        profile_of(case).approvals[kind],
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
        case = case_lock(case)
        check_expected(case, None, expected_version)
        if case.status in ENDED:
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
            and kind in profile.filing_chain()
        )
        stage = profile.stage(case.enforcement_type, et.filing_stage if filing_early else visit.stage_id)
        assert stage is not None
        kinds = approvals_needed(case, profile, stage, special=special)
        if kind not in kinds and case.filed_at is not None and et.filing_stage and kind in profile.filing_chain():
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
        trace(
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
            started = clock(case, profile, "case_filed", act.acted_at)
            trace(
                case,
                actor=actor,
                action="case.filed",
                stage_id=stage.id,
                summary="立案审批通过，案件立案" + ("（先行启动后补办）" if case.urgent_start else ""),
                payload={"filed_at": act.acted_at.isoformat(), "deadlines": started},
            )
        bump(case, *fields)
    return act
