"""av-summary-procedure-disputed: a summary (简易程序) case whose AV the profile makes mandatory "when it
is likely to be disputed" asks the officer that question in its on-the-spot record; answered 是, the
case closes only with a usable recording linked to it or a head-approved written explanation. The
profile's own words make the question (长治 and 西岗 word it differently); 东西湖 asks nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liuhen.cases import services as case_services
from liuhen.cases.errors import CaseInvalid, TransitionRefused
from liuhen.cases.requirements import summary_av_question
from liuhen.cases.selectors import available_actions
from liuhen.ledger.records import verify_records
from liuhen.media.continuity import guards
from liuhen.media.tests.avhelpers import clip


def _summary(staff, *, disputed: str | None):
    case = staff.open("penalty", procedure="summary")
    profile = case_services.profile_of(case)
    question = summary_av_question(profile, case)
    values = dict.fromkeys(profile.enforcement_types["penalty"].summary_procedure.must_record, "已记录")
    if question:
        values[question] = disputed or "否"
    case_services.summary_record(actor=staff.officer, case=case, values=values)
    case.refresh_from_db()
    return case, question


@pytest.mark.clause("av-summary-procedure-disputed")
@pytest.mark.parametrize(
    ("profile_id", "question"),
    [
        ("changzhi-ethnic-religious", "是否属于容易引起行政争议的简易程序执法行为（是/否）"),
        ("xigang-culture", "是否属于实施行政处罚简易程序容易引起争议（是/否）"),
    ],
)
def test_disputed_summary_case_closes_only_with_its_recording(staff_for, tmp_path, profile_id, question):
    staff = staff_for(profile_id)
    case, asked = _summary(staff, disputed="是")
    assert asked == question
    close = next(a for a in available_actions(staff.officer, case) if a.code == "close")
    assert not close.enabled and "简易程序必须音像记录" in close.reason
    with pytest.raises(TransitionRefused) as exc:
        case_services.case_close(actor=staff.officer, case=case)
    assert "简易程序必须音像记录" in exc.value.message

    start = timezone.now() - dt.timedelta(minutes=20)
    clip(staff, tmp_path, "当场处罚.mp4", start=start, case=case, stage_id=case.stage)
    case = case_services.case_close(actor=staff.officer, case=case)
    assert case.status == "closed"
    assert verify_records() == []


@pytest.mark.clause("av-summary-procedure-disputed")
def test_undisputed_summary_case_closes_without_a_recording_and_an_explanation_also_serves(staff_for):
    staff = staff_for("changzhi-ethnic-religious")
    case, _ = _summary(staff, disputed="否")
    assert case_services.case_close(actor=staff.officer, case=case).status == "closed"

    case, _ = _summary(staff, disputed="是")
    guards.av_exemption_approve(
        actor=staff.agency_head,
        case=case,
        stage_id=case.stage,
        reason="执法记录仪当场故障，已报修",
        explained_by=staff.officer,
    )
    assert case_services.case_close(actor=staff.officer, case=case).status == "closed"


@pytest.mark.clause("av-summary-procedure-disputed")
def test_the_answer_is_yes_or_no_and_profiles_without_the_rule_ask_nothing(staff_for):
    staff = staff_for("changzhi-ethnic-religious")
    case = staff.open("penalty", procedure="summary")
    profile = case_services.profile_of(case)
    values = dict.fromkeys(profile.enforcement_types["penalty"].summary_procedure.must_record, "已记录")
    with pytest.raises(CaseInvalid) as exc:
        case_services.summary_record(actor=staff.officer, case=case, values=values)
    assert exc.value.code == "summary_item_missing"
    values[summary_av_question(profile, case)] = "可能"
    with pytest.raises(CaseInvalid) as exc:
        case_services.summary_record(actor=staff.officer, case=case, values=values)
    assert exc.value.code == "summary_av_answer_invalid"

    dongxihu = staff_for("dongxihu-culture", "dxh-sum")
    case = dongxihu.open("penalty", procedure="summary")
    assert summary_av_question(case_services.profile_of(case), case) == ""
