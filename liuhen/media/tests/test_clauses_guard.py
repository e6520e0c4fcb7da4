"""Mandatory AV that blocks, clause by clause: compulsory execution by 排除妨碍/恢复原状/代履行 (by the
method the execution document names), refusals (不配合) under the profiles whose checklist names them,
the hearing and evidence preservation where the profile makes them mandatory."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liuhen.cases import services as case_services
from liuhen.cases.errors import TransitionRefused
from liuhen.cases.selectors import current_requirements
from liuhen.documents import services as docs
from liuhen.ledger.records import verify_records
from liuhen.media.continuity import guards
from liuhen.media.tests.avhelpers import clip
from liuhen.testing.cases import approve_stage, file_case, make_document
from liuhen.testing.images import signature_png


def _to_stage(staff, case, target: str) -> None:
    """Carry the case through its general stages (mandatory AV covered by approved explanations)."""
    profile = case_services.profile_of(case)
    et = profile.enforcement_types[case.enforcement_type]
    case.refresh_from_db()
    if et.filing_stage and case.filed_at is None:
        file_case(staff, case)
    for stage in et.stages:
        case.refresh_from_db()
        if case.stage == target:
            return
        approve_stage(staff, case, stage.id)
        case_services.case_advance(actor=staff.officer, case=case, expected_stage=stage.id)
    raise AssertionError(target)


def _av_codes(case, stage_id=None) -> dict[str, object]:
    profile = case_services.profile_of(case)
    stage = profile.stage(case.enforcement_type, stage_id or case.stage)
    visit = case.visits.filter(stage_id=stage.id, left_at__isnull=True).first()
    return {r.code: r for r in guards.media_requirements(case, profile, stage, visit)}


@pytest.mark.clause("av-mandatory-compulsory-execution")
@pytest.mark.parametrize(("method", "blocks"), [("代履行", True), ("排除妨碍", True), ("加处罚款", False)])
def test_compulsory_execution__av_required_for_the_methods_the_profile_names(staff_for, media_dir, method, blocks):
    """长治 第五条(四)2: execution by 排除妨碍、恢复原状、代履行 must be recorded; other methods (加处罚款)
    only need their documents. The checklist item's ``applies_if`` reads the execution document's 方式."""
    staff = staff_for("changzhi-ethnic-religious")
    case = staff.open("coercion")
    _to_stage(staff, case, "delivery_execution")
    case_services.special_stage_enter(
        actor=staff.officer, case=case, stage_id="compulsory_execution", reason="逾期不履行"
    )
    make_document(staff, case, "compulsory_execution_record", "compulsory_execution", values={"method": method})
    reqs = _av_codes(case, "compulsory_execution")
    assert ("av" in reqs and reqs["av"].blocking) is blocks
    if blocks:
        assert "以排除妨碍、恢复原状和代履行方式实施强制执行" in reqs["av"].label
        with pytest.raises(TransitionRefused) as exc:
            case_services.special_stage_leave(
                actor=staff.officer, case=case, stage_id="compulsory_execution", outcome="已执行"
            )
        assert "av" in [m["code"] for m in exc.value.detail["missing"]]
        clip(staff, media_dir, "exec.mp4", start=timezone.now(), case=case, stage_id="compulsory_execution")
    case_services.special_stage_leave(actor=staff.officer, case=case, stage_id="compulsory_execution", outcome="已执行")
    assert verify_records() == []


@pytest.mark.clause("av-mandatory-compulsory-execution")
def test_compulsory_execution__no_such_stage_without_the_seed_rule(staff_for):
    """The national baseline has no 强制执行 stage of its own: the rule is 长治's."""
    staff = staff_for("national-baseline")
    profile = case_services.profile_of(staff.open("coercion"))
    assert profile.stage("coercion", "compulsory_execution") is None
    assert not [i for i in profile.av_checklist if i.applies_if is not None]


def _refuse_signature(staff, case, stage_id: str):
    """An interview record the interviewee refuses to sign (with witness), then finalised."""
    draft = docs.document_create(actor=staff.officer, case=case, doc_type="interview_record", stage_id=stage_id)
    doc = case_services.profile_of(case).document_types["interview_record"]
    docs.document_draft_save(
        actor=staff.officer, document=draft, values={f.id: f"{f.label}（测试）" for f in doc.fields}
    )
    sig = None
    for role in doc.signers:
        if role in docs.IMPLICIT_SIGNERS:
            continue
        if sig is None:
            sig = docs.signature_capture(
                actor=staff.officer,
                document=draft,
                role=role,
                signer_name="李某",
                refused=True,
                refusal_reason="不认可笔录内容",
                witness_name="王某",
                witness_image=signature_png(seed=3),
            )
        else:
            docs.signature_capture(
                actor=staff.officer, document=draft, role=role, signer_name="某某", image=signature_png(seed=4)
            )
    assert sig is not None, "interview_record has a party signer"
    return sig


@pytest.mark.clause("av-mandatory-noncooperation")
@pytest.mark.parametrize(("profile_id", "blocks"), [("changzhi-ethnic-religious", True), ("national-baseline", False)])
def test_refusal_to_sign__needs_a_recording_of_its_time_where_the_profile_says_so(
    staff_for, media_dir, profile_id, blocks
):
    """长治 第五条(四)3: 当事人或者有关人员不配合 must be recorded. A refusal to sign is kept as it
    happened (never rejected: the recording may be uploaded later); until a recording of the case
    covering its time is linked the guard reports it missing and the case cannot move on. The
    national baseline names no such item: the refusal is only recorded."""
    staff = staff_for(profile_id)
    case = staff.open("penalty")
    _to_stage(staff, case, "investigation")
    sig = _refuse_signature(staff, case, "investigation")
    assert sig.refused and case.timeline.filter(action="document.signature_refused").exists()
    reqs = _av_codes(case)
    code = f"av:noncooperation:signature:{sig.pk}"
    assert (code in reqs and reqs[code].blocking) is blocks
    if not blocks:
        return
    assert "李某拒绝在" in reqs[code].label
    all_reqs = {r.code: r for r in current_requirements(case)}
    assert all_reqs[code].blocking
    clip(staff, media_dir, "before.mp4", start=sig.captured_at - dt.timedelta(hours=2), case=case)  # not then
    assert _av_codes(case)[code].blocking
    clip(staff, media_dir, "refusal.mp4", start=sig.captured_at - dt.timedelta(seconds=1), seconds=3, case=case)
    req = _av_codes(case)[code]
    assert req.status == "met" and "refusal.mp4" in req.note
    assert verify_records() == []


@pytest.mark.clause("av-mandatory-noncooperation", "av-lien-service")
def test_left_at_premises__is_a_refusal_event_under_changzhi(staff_for):
    from liuhen.documents.tests.test_delivery import final, record

    staff = staff_for("changzhi-ethnic-religious")
    case = staff.open("penalty")
    file_case(staff, case)
    version = final(staff, case, "decision_letter")
    row = record(staff, version, "left_at_premises")
    reqs = _av_codes(case)
    assert reqs[f"av:noncooperation:delivery:{row.pk}"].blocking
    assert "拒收" in reqs[f"av:noncooperation:delivery:{row.pk}"].label


@pytest.mark.clause("av-hearing")
@pytest.mark.parametrize(("profile_id", "blocks"), [("naiman-culture", True), ("changzhi-ethnic-religious", False)])
def test_hearing__closing_it_without_av_blocked_where_mandatory(staff_for, media_dir, profile_id, blocks):
    """奈曼 第八条第一款: a hearing is recorded in full (mandatory); 长治: 根据实施情况 (recommended)."""
    staff = staff_for(profile_id)
    case = staff.open("penalty")
    _to_stage(staff, case, "review_decision")
    case_services.special_stage_enter(actor=staff.officer, case=case, stage_id="hearing", reason="当事人申请听证")
    approve_stage(staff, case, "hearing", special=True, av=False)
    stage = case_services.profile_of(case).stage("penalty", "hearing")
    assert guards.stage_av_state(case, case_services.profile_of(case), stage).level == (
        "mandatory" if blocks else "recommended"
    )
    if blocks:
        with pytest.raises(TransitionRefused) as exc:
            case_services.special_stage_leave(actor=staff.officer, case=case, stage_id="hearing", outcome="听证结束")
        assert "av" in [m["code"] for m in exc.value.detail["missing"]]
        clip(staff, media_dir, "hearing.mp4", start=timezone.now(), case=case, stage_id="hearing")
    case_services.special_stage_leave(actor=staff.officer, case=case, stage_id="hearing", outcome="听证结束")
    assert verify_records() == []


@pytest.mark.clause("av-evidence-preservation")
@pytest.mark.parametrize(
    ("profile_id", "level"),
    [("naiman-culture", "mandatory"), ("dongxihu-culture", "optional"), ("xinglongtai-drc", "optional")],
)
def test_evidence_preservation__blocked_only_where_mandatory(staff_for, profile_id, level):
    """奈曼: 证据先行登记保全 fully recorded (blocks); 东西湖, 兴隆台: 可以 (a note, never blocking)."""
    staff = staff_for(profile_id)
    case = staff.open("penalty")
    _to_stage(staff, case, "investigation")
    case_services.special_stage_enter(
        actor=staff.officer, case=case, stage_id="evidence_preservation", reason="证据可能灭失"
    )
    approve_stage(staff, case, "evidence_preservation", special=True, av=False)
    stage = case_services.profile_of(case).stage("penalty", "evidence_preservation")
    state = guards.stage_av_state(case, case_services.profile_of(case), stage)
    assert state.level == level
    reqs = _av_codes(case, "evidence_preservation")
    assert ("av" in reqs and reqs["av"].blocking) is (level == "mandatory")
    if level == "mandatory":
        with pytest.raises(TransitionRefused):
            case_services.special_stage_leave(
                actor=staff.officer, case=case, stage_id="evidence_preservation", outcome="已登记保存"
            )
    else:
        case_services.special_stage_leave(
            actor=staff.officer, case=case, stage_id="evidence_preservation", outcome="已登记保存"
        )


@pytest.mark.clause("av-public-notice-service")
@pytest.mark.parametrize(("profile_id", "mandatory"), [("naiman-culture", True), ("dongxihu-culture", False)])
def test_public_notice__refused_without_capture_and_av_mandatory_only_where_the_profile_says(
    staff_for, media_dir, profile_id, mandatory
):
    """A public-notice delivery with no capture file is refused in every profile (东西湖: 截屏截图、拍照、
    录像 as appropriate); 奈曼 requires it recorded in full: a screenshot is not enough there."""
    from liuhen.documents import delivery
    from liuhen.documents.delivery import DeliveryInvalid
    from liuhen.documents.tests.test_delivery import final, record
    from liuhen.media.tests import mediafiles

    staff = staff_for(profile_id)
    case = staff.open("penalty")
    file_case(staff, case)
    version = final(staff, case, "decision_letter")
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, version, "public_notice", proofs=[])
    assert exc.value.code == "delivery_proof_missing"
    row = record(staff, version, "public_notice")  # a screenshot of the notice
    profile = case_services.profile_of(case)
    reqs = delivery.av_requirements(profile, row)
    assert (bool(reqs) and reqs[0].blocking) is mandatory
    if mandatory:
        video = mediafiles.make_mp4(media_dir / "notice.mp4", seconds=1).read_bytes()
        fixed = record(
            staff,
            version,
            "public_notice",
            proofs=[("screenshot", signature_png(seed=5)), ("recording", video)],
            supersedes=row,
            correction_reason="补充公告过程录像",
        )
        assert delivery.av_requirements(profile, fixed)[0].status == "met"
