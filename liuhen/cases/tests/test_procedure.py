"""The procedure engine: every enforcement type through its general and special stages, under
profiles whose stages, approvers and numbers differ; every step in the ledger; ``verify`` clean."""

from __future__ import annotations

import json

import pytest

from liuhen.cases import services
from liuhen.cases.errors import ApprovalRefused, CaseForbidden, CaseInvalid, StageChanged, TransitionRefused
from liuhen.cases.models import Approval, CaseStatus, StageVisit, TimelineEntry
from liuhen.cases.selectors import available_actions, case_get, cases_visible, current_requirements
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.ledger.verification import verify_ledger
from liuhen.policy.loader import get_profile
from liuhen.testing.attacker import attacker
from liuhen.testing.cases import approve_stage, drive_to_close, file_case

PROFILES = ["national-baseline", "dongxihu-culture", "changzhi-ethnic-religious"]


def _type_params() -> list:
    return [pytest.param(pid, et, id=f"{pid}-{et}") for pid in PROFILES for et in get_profile(pid).enforcement_types]


def _special_params() -> list:
    out = []
    for pid in ("national-baseline", "dongxihu-culture"):
        profile = get_profile(pid)
        for et_code, et in profile.enforcement_types.items():
            for s in et.special_stages:
                out.append(pytest.param(pid, et_code, s.id, id=f"{pid}-{et_code}-{s.id}"))
    return out


@pytest.mark.clause("flow-whole-process-scope", "flow-penalty-stages", "flow-coercion-stages", "flow-inspection-stages")
@pytest.mark.parametrize(("profile_id", "enforcement_type"), _type_params())
def test_each_type_runs_through_all_general_stages_to_closure(staff_for, profile_id, enforcement_type):
    staff = staff_for(profile_id)
    case = staff.open(enforcement_type)
    profile = services.profile_of(case)
    et = profile.enforcement_types[enforcement_type]
    assert case.profile_version == get_profile(profile_id).version
    assert case.status == (CaseStatus.PENDING_FILING if et.filing_stage else CaseStatus.OPEN)

    case = drive_to_close(staff, case)

    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    visited = list(StageVisit.objects.filter(case=case, special=False).values_list("stage_id", flat=True))
    assert visited == [s.id for s in et.stages]
    assert all(v.left_at for v in StageVisit.objects.filter(case=case))
    actions = list(TimelineEntry.objects.filter(case=case).values_list("action", flat=True))
    assert actions[0] == "case.opened" and actions[-1] == "case.closed"
    assert actions.count("case.advanced") == len(et.stages) - 1
    # every timeline entry is a ledger event of this case
    for entry in TimelineEntry.objects.filter(case=case):
        event = Event.objects.get(seq=entry.event_seq)
        assert event.action == entry.action and json.loads(event.payload)["case_id"] == case.pk
    assert verify_ledger() == [] and verify_records() == []


@pytest.mark.clause("flow-penalty-stages")
@pytest.mark.parametrize(("profile_id", "enforcement_type", "special_id"), _special_params())
def test_each_special_stage_is_entered_and_left_where_the_profile_allows(
    staff_for, profile_id, enforcement_type, special_id
):
    staff = staff_for(profile_id)
    case = staff.open(enforcement_type)
    profile = services.profile_of(case)
    et = profile.enforcement_types[enforcement_type]
    special = next(s for s in et.special_stages if s.id == special_id)
    if et.filing_stage:
        file_case(staff, case)
    for stage in et.stages:
        case.refresh_from_db()
        if stage.id in special.enter_from:
            break
        if stage.id != et.filing_stage:
            approve_stage(staff, case, stage.id)
        services.case_advance(actor=staff.officer, case=case)
    case.refresh_from_db()
    days = 30 if special.moves_deadlines else None
    visit = services.special_stage_enter(
        actor=staff.officer, case=case, stage_id=special_id, reason="当事人申请", requested_days=days
    )
    case.refresh_from_db()
    assert case.status == (CaseStatus.SUSPENDED if special.pauses_deadlines else CaseStatus.OPEN)
    with pytest.raises(TransitionRefused) as exc:
        services.case_advance(actor=staff.officer, case=case)
    assert exc.value.code == "special_stage_open"
    approve_stage(staff, case, special_id, special=True)
    services.special_stage_leave(actor=staff.officer, case=case, stage_id=special_id, outcome="已办结")
    visit.refresh_from_db()
    case.refresh_from_db()
    assert visit.left_at is not None and visit.reason == "当事人申请" and case.status == CaseStatus.OPEN
    assert verify_records() == []


@pytest.mark.clause("flow-penalty-stages")
def test_special_stage_refused_outside_its_entry_stages(staff_for):
    staff = staff_for("national-baseline")
    case = staff.open("penalty")
    file_case(staff, case)
    with pytest.raises(TransitionRefused) as exc:
        services.special_stage_enter(actor=staff.officer, case=case, stage_id="hearing", reason="申请听证")
    assert exc.value.code == "special_stage_not_allowed_here" and "只能在" in exc.value.message
    with pytest.raises(TransitionRefused) as exc:
        services.special_stage_enter(actor=staff.officer, case=case, stage_id="nonsense", reason="x")
    assert exc.value.code == "special_stage_unknown"


# ---------------------------------------------------------------- filing


@pytest.mark.clause("src-filing-approval")
def test_penalty_case_stays_pending_until_the_configured_approvers_sign(staff_for):
    staff = staff_for("changzhi-ethnic-religious")
    case = staff.open("penalty")
    assert case.status == CaseStatus.PENDING_FILING
    et = services.profile_of(case).enforcement_types["penalty"]
    assert case.stage == et.filing_stage  # changzhi: 程序启动 is the first stage
    with pytest.raises(TransitionRefused) as exc:
        services.case_advance(actor=staff.officer, case=case)
    assert [m["code"] for m in exc.value.detail["missing"]][:1] == ["filing_form"]
    with pytest.raises(ApprovalRefused) as exc:
        services.approval_record(
            actor=staff.agency_head, case=case, kind="agency_head", decision="approved", opinion="同意"
        )
    assert exc.value.code == "filing_form_missing"
    file_case(staff, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.filed_at is not None
    assert case.source.status == "filed"
    kinds = list(Approval.objects.filter(case=case).values_list("kind", flat=True))
    chain = services.profile_of(case).filing_chain()
    assert kinds == chain


@pytest.mark.clause("src-filing-form-content")
def test_filing_form_fields_follow_each_profile(staff_for):
    changzhi, dongxihu = staff_for("changzhi-ethnic-religious"), staff_for("dongxihu-culture")
    c1, c2 = changzhi.open("penalty"), dongxihu.open("penalty")
    common = {
        "source": "群众投诉",
        "party_info": "某网吧，统一社会信用代码……",
        "handler_opinion": "建议立案",
        "department_opinion": "同意立案",
        "head_opinion": "同意",
        "section_head_opinion": "同意",
        "head_approval": "批准",
    }
    p1 = services.profile_of(c1)
    assert "legal_basis" in p1.filing.required_fields
    values1 = {k: v for k, v in common.items() if k in {f.id for f in p1.document_types[p1.filing.form].fields}}
    with pytest.raises(CaseInvalid) as exc:
        services.filing_form_submit(actor=changzhi.officer, case=c1, values=values1)
    assert exc.value.code == "filing_field_missing" and "legal_basis" in exc.value.detail["fields"]
    p2 = services.profile_of(c2)
    values2 = {k: v for k, v in common.items() if k in {f.id for f in p2.document_types[p2.filing.form].fields}}
    form = services.filing_form_submit(actor=dongxihu.officer, case=c2, values=values2)
    assert form.revision == 1


@pytest.mark.clause("doc-internal-approval")
def test_approval_outside_authority_and_out_of_order_are_refused(staff_for):
    staff = staff_for("changzhi-ethnic-religious")
    case = staff.open("penalty")
    profile = services.profile_of(case)
    form = profile.document_types[profile.filing.form]
    services.filing_form_submit(actor=staff.officer, case=case, values={f.id: "内容" for f in form.fields})
    with pytest.raises(CaseForbidden) as exc:
        services.approval_record(
            actor=staff.officer, case=case, kind="agency_head", decision="approved", opinion="同意"
        )
    assert exc.value.code == "approval_outside_authority"
    chain = profile.filing_chain()
    if len(chain) > 1:
        with pytest.raises(ApprovalRefused) as exc:
            services.approval_record(
                actor=staff.for_kind(chain[-1]), case=case, kind=chain[-1], decision="approved", opinion="同意"
            )
        assert exc.value.code == "approval_out_of_order"
    assert not Approval.objects.filter(case=case).exists()


def test_second_approval_of_the_same_kind_is_refused_and_a_rejection_blocks(staff_for):
    staff = staff_for("dongxihu-culture")
    case = staff.open("penalty")
    profile = services.profile_of(case)
    form = profile.document_types[profile.filing.form]
    services.filing_form_submit(actor=staff.officer, case=case, values={f.id: "内容" for f in form.fields})
    services.approval_record(
        actor=staff.agency_head, case=case, kind="agency_head", decision="rejected", opinion="证据不足"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_FILING
    services.approval_record(
        actor=staff.agency_head, case=case, kind="agency_head", decision="approved", opinion="同意"
    )
    with pytest.raises(ApprovalRefused) as exc:
        services.approval_record(
            actor=staff.agency_head, case=case, kind="agency_head", decision="approved", opinion="同意"
        )
    assert exc.value.code in ("approval_already_recorded", "approval_not_required")
    acts = list(Approval.objects.filter(case=case).values_list("decision", flat=True))
    assert acts == ["rejected", "approved"]


@pytest.mark.clause("doc-legal-review", "doc-collective-discussion")
def test_approval_content_is_checked(staff_for):
    staff = staff_for("national-baseline")
    case = staff.open("licensing")
    with pytest.raises(CaseInvalid) as exc:
        services.approval_record(
            actor=staff.legal_reviewer,
            case=case,
            kind="legal_review",
            decision="approved",
            opinion="合法",
            suggestions="",
        )
    assert exc.value.code == "approval_incomplete" and "建议" in exc.value.message
    with pytest.raises(CaseInvalid) as exc:
        services.approval_record(
            actor=staff.agency_head,
            case=case,
            kind="collective_discussion",
            decision="approved",
            opinion="同意",
            participants=["王局长"],
        )
    assert exc.value.code == "approval_incomplete" and "参加人员" in exc.value.message


def test_missing_approvals_are_named_when_leaving_a_stage(staff_for):
    staff = staff_for("national-baseline")
    case = staff.open("penalty")
    file_case(staff, case)
    profile = services.profile_of(case)
    et = profile.enforcement_types["penalty"]
    target = next((s for s in et.stages if s.approvals and s.id != et.filing_stage), None)
    if target is None:
        pytest.skip("baseline profile has no stage approvals")
    for stage in et.stages:
        case.refresh_from_db()
        if stage.id == target.id:
            break
        if stage.id != et.filing_stage:
            approve_stage(staff, case, stage.id)
        services.case_advance(actor=staff.officer, case=case)
    with pytest.raises(TransitionRefused) as exc:
        services.case_advance(actor=staff.officer, case=case, expected_stage=target.id)
    codes = [m["code"] for m in exc.value.detail["missing"]]
    assert [c for c in codes if c.startswith("approval:")] == [f"approval:{k}" for k in target.approvals]
    assert [c for c in codes if c.startswith("document:")] == [f"document:{d}" for d in target.documents]
    case.refresh_from_db()
    assert case.stage == target.id


@pytest.mark.clause("av-matter-list")
def test_document_and_mandatory_av_requirements_block_until_met(staff_for):
    staff = staff_for("xigang-culture")  # 现场检查: text record and mandatory AV
    case = staff.open("inspection")
    reqs = {r.code: r for r in current_requirements(case)}
    assert reqs["document:site_inspection_record"].status == "missing"
    assert reqs["av"].status == "missing"  # the media provider checks it (liuhen.media.guards)
    with pytest.raises(TransitionRefused) as exc:
        services.case_advance(actor=staff.officer, case=case)
    assert [m["code"] for m in exc.value.detail["missing"]] == ["document:site_inspection_record", "av"]
    approve_stage(staff, case, case.stage)  # the driver records a head-approved explanation for the AV
    services.case_advance(actor=staff.officer, case=case)
    event = Event.objects.filter(action="case.advanced").last()
    assert json.loads(event.payload)["pending"] == []


# ---------------------------------------------------------------- not filing, referral, summary


@pytest.mark.clause("src-no-filing-notice", "src-case-source-register")
def test_not_filing_a_complaint_requires_and_records_the_notice(staff_for):
    staff = staff_for("dongxihu-culture")
    source = staff.lead("complaint")
    assert source.number.startswith(staff.agency.code) and source.registered_by == staff.officer
    with pytest.raises(CaseForbidden):
        services.case_source_not_file(actor=staff.officer, source=source, reasons="不属实")
    with pytest.raises(CaseInvalid) as exc:
        services.case_source_not_file(actor=staff.department_head, source=source, reasons="经核查不属实")
    assert exc.value.code == "not_filed_notice_required" and exc.value.detail["missing"] == ["complainant"]
    source.refresh_from_db()
    assert source.status == "registered"
    services.case_source_not_file(
        actor=staff.department_head,
        source=source,
        reasons="经核查不属实",
        notices=[{"recipient_kind": "complainant", "recipient_name": "张某", "method": "phone"}],
    )
    source.refresh_from_db()
    assert source.status == "not_filed" and source.not_filed_notices.get().method == "phone"
    with pytest.raises(TransitionRefused):
        staff.open("penalty", source=source)
    assert verify_records() == []


def test_referred_lead_from_another_agency_needs_notice_to_it_too(staff_for):
    staff = staff_for("dongxihu-culture")
    source = staff.lead("referred")
    with pytest.raises(CaseInvalid) as exc:
        services.case_source_not_file(actor=staff.agency_head, source=source, reasons="不属于管辖")
    assert exc.value.detail["missing"] == ["referring_agency"]


@pytest.mark.clause("resp-obstruction-referral")
def test_referral_to_police_for_obstruction_keeps_the_case_and_records_the_acknowledgement(staff_for):
    staff = staff_for("national-baseline")
    case = staff.open("inspection")
    with pytest.raises(CaseInvalid) as exc:
        services.referral_create(
            actor=staff.officer,
            case=case,
            receiver_kind="agency",
            receiver_name="某局",
            reason="obstruction",
            document_no="移〔2026〕1号",
            items="视频",
        )
    assert exc.value.code == "referral_receiver_wrong"
    referral = services.referral_create(
        actor=staff.officer,
        case=case,
        receiver_kind="public_security",
        receiver_name="某派出所",
        reason="obstruction",
        document_no="移〔2026〕1号",
        items="执法记录仪视频一段、现场笔录一份",
        ends_case=False,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    with pytest.raises(CaseInvalid) as exc:
        services.referral_acknowledge(
            actor=staff.officer,
            referral=referral,
            acknowledged_at=referral.sent_at.replace(year=2020),
            acknowledged_by_name="李警官",
        )
    assert exc.value.code == "date_before_referral"
    services.referral_acknowledge(
        actor=staff.officer, referral=referral, acknowledged_at=referral.sent_at, acknowledged_by_name="李警官"
    )
    actions = list(case.timeline.values_list("action", flat=True))
    assert actions[-2:] == ["case.referred", "case.referral_acknowledged"]


@pytest.mark.clause("doc-summary-procedure")
def test_summary_procedure_records_what_the_profile_requires_before_closing(staff_for):
    staff = staff_for("dongxihu-culture")
    et = get_profile("dongxihu-culture").enforcement_types["penalty"]
    case = staff.open("penalty", procedure="summary", handlers=[staff.officer, staff.officer2])
    assert case.status == CaseStatus.OPEN and case.source is None
    if et.summary_procedure.must_record:
        with pytest.raises(TransitionRefused) as exc:
            services.case_close(actor=staff.officer, case=case)
        assert exc.value.code == "summary_record_missing"
        with pytest.raises(CaseInvalid):
            services.summary_record(actor=staff.officer, case=case, values={})
        services.summary_record(
            actor=staff.officer, case=case, values=dict.fromkeys(et.summary_procedure.must_record, "已记录")
        )
    case = services.case_close(actor=staff.officer, case=case)
    assert case.status == CaseStatus.CLOSED


def test_summary_refused_where_not_allowed_and_penalty_needs_a_lead(staff_for):
    staff = staff_for("national-baseline")
    with pytest.raises(CaseInvalid) as exc:
        staff.open("inspection", procedure="summary")
    assert exc.value.code == "summary_not_allowed"
    with pytest.raises(CaseInvalid) as exc:
        services.case_open(
            actor=staff.officer, enforcement_type="penalty", title="x", handlers=[staff.officer, staff.officer2]
        )
    assert exc.value.code == "source_required"
    with pytest.raises(CaseInvalid) as exc:
        staff.open("inspection", handlers=[staff.officer])
    assert exc.value.code == "handlers_too_few"


# ---------------------------------------------------------------- who may see and act


def test_outsiders_neither_see_nor_move_the_case(staff_for, make_agency, make_user):
    staff = staff_for("national-baseline")
    case = staff.open("inspection")
    assert case in cases_visible(staff.officer2) and case in cases_visible(staff.agency_head)
    assert case not in cases_visible(staff.outsider)
    with pytest.raises(CaseForbidden) as exc:
        services.case_advance(actor=staff.outsider, case=case)
    assert exc.value.code == "case_not_handler"
    other = staff_for("dongxihu-culture", code="other")
    with pytest.raises(Exception) as exc:
        case_get(other.agency_head, case.pk)
    assert getattr(exc.value, "code", "") == "case_not_found"
    assert not available_actions(staff.outsider, case) or all(
        a.code == "approve" for a in available_actions(staff.outsider, case)
    )


def test_stale_expected_stage_is_refused_without_change(staff_for):
    staff = staff_for("national-baseline")
    case = staff.open("inspection")
    first = case.stage
    approve_stage(staff, case, first)
    services.case_advance(actor=staff.officer, case=case, expected_stage=first)
    with pytest.raises(StageChanged):
        services.case_advance(actor=staff.officer2, case=case, expected_stage=first)
    assert StageVisit.objects.filter(case=case, special=False).count() == 2


def test_approval_rows_cannot_be_edited_and_an_edit_beneath_is_found(staff_for):
    from django.db import IntegrityError, connection, transaction

    from liuhen.core.writeonce import RecordImmutable

    staff = staff_for("dongxihu-culture")
    case = staff.open("penalty")
    file_case(staff, case)
    act = Approval.objects.filter(case=case).first()
    act.opinion = "改过"
    with pytest.raises(RecordImmutable):
        act.save()
    with pytest.raises(RecordImmutable):
        Approval.objects.filter(pk=act.pk).update(opinion="改过")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_approval SET opinion = %s WHERE id = %s", ["改过", act.pk])
    with attacker(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_approval SET opinion = %s WHERE id = %s", ["改过", act.pk])
    found = {(f.code, f.item, tuple(f.detail.get("columns", ()))) for f in verify_records()}
    assert ("record_row_edited", f"record:cases.Approval:{act.pk}", ("opinion",)) in found
