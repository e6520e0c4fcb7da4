"""重点摄录内容: the capture metadata attests, item by item in the profile's words, what a recording of
the stage shows (the stage's ``av_content`` and its checklist items' ``content``); items not attested
are findings on the record and in the case AV overview (non-blocking: the seeds list what to record,
not a condition for moving on). Plus the bystander-filming notice (长治) and the recommended stages."""

from __future__ import annotations

import datetime as dt

import pytest

from liuhen.cases import services as case_services
from liuhen.cases.selectors import current_requirements
from liuhen.media.continuity import capture, findings, guards, recording
from liuhen.media.errors import AvInvalid
from liuhen.media.tests.avhelpers import clip

T0 = dt.datetime(2026, 3, 2, 2, 0, 0, tzinfo=dt.UTC)


def _recorded(staff, media_dir, enforcement_type: str, stage_id: str, name: str = "r.mp4"):
    case = staff.open(enforcement_type)
    rec = clip(staff, media_dir, name, start=T0, seconds=4, case=case, stage_id=stage_id)
    return case, rec


def _content_finding(rec):
    return next((f for f in findings.record_findings(rec) if f.code == "content_missing"), None)


CASES = [
    # clause, type, stage, the item left out (西岗's words)
    (
        "av-seizure-content",
        "coercion",
        "implementation",
        "宣读查封（扣押）决定书，告知当事人理由、依据、权利和救济途径的情况",
    ),
    ("av-release-content", "coercion", "release", "当事人接收被查封（扣押）物品的情况"),
    ("av-pre-notice-content", "penalty", "prior_notice", "宣读行政处罚事先告知书"),
    ("av-service-content", "penalty", "delivery", "核实受送达人的身份"),
    ("av-investigation-content", "penalty", "investigation", "抽样取证的情况"),
    ("av-inspection-content", "inspection", "site_inspection", "被检查的场所经营情况"),
    # 西岗's enterprise key moments are content of the site inspection too; not marked with
    # av-enterprise-key-moments: its testable (a signing event without an AV reference warns) is not built.
    ("", "inspection", "site_inspection", "企业相关人员在相关执法文书上签署姓名和意见时"),
]


@pytest.mark.parametrize(
    ("etype", "stage_id", "left_out"),
    [
        pytest.param(*c[1:], marks=[pytest.mark.clause(c[0])] if c[0] else [], id=c[0] or "enterprise-key-moments")
        for c in CASES
    ],
)
def test_content_item_not_attested__flagged_on_the_record_and_the_stage(
    staff_for, media_dir, etype, stage_id, left_out
):
    staff = staff_for("xigang-culture")
    case, rec = _recorded(staff, media_dir, etype, stage_id)
    profile = case_services.profile_of(case)
    items = recording.content_items(profile, case, stage_id)
    assert left_out in items
    given = {i: 1.0 for i in items if i != left_out}
    capture.capture_metadata_record(actor=staff.officer, record=rec, content=given, party="某公司")
    atts = {a.label: a for a in recording.attestations(rec, profile)}
    assert atts[f"重点摄录：{left_out}"].required and not atts[f"重点摄录：{left_out}"].given
    assert atts[f"重点摄录：{items[0] if items[0] != left_out else items[1]}"].note == "第 1 秒"
    found = _content_finding(rec)
    assert found is not None and left_out in found.label
    stage = {s.stage.id: s for s in guards.case_av_overview(case)}[stage_id]
    assert any(f.code == "content_missing" for f in stage.findings[rec.pk])  # the stage shows it incomplete
    capture.capture_metadata_record(
        actor=staff.officer, record=rec, content=dict(given, **{left_out: 2.5}), party="某公司", reason="补标"
    )
    assert _content_finding(rec) is None


@pytest.mark.clause("av-key-content")
def test_key_content__each_profile_its_own_list(staff_for, media_dir):
    """长治 and 东西湖 word the key content of an investigation differently; an item of one is not an
    item of the other, and an item not attested is a finding in both."""
    changzhi = staff_for("changzhi-ethnic-religious", code="kc-a")
    _case, rec = _recorded(changzhi, media_dir, "penalty", "investigation", "a.mp4")
    person = "当事人、证人、第三人等现场有关人员的体貌特征和言行举止"
    capture.capture_metadata_record(actor=changzhi.officer, record=rec, content=[person])
    found = _content_finding(rec)
    assert found is not None and "执法现场环境" in found.label and person not in found.label

    dongxihu = staff_for("dongxihu-culture", code="kc-b")
    _case2, rec2 = _recorded(dongxihu, media_dir, "penalty", "investigation", "b.mp4")
    with pytest.raises(AvInvalid) as exc:
        capture.capture_metadata_record(actor=dongxihu.officer, record=rec2, content=[person])
    assert exc.value.code == "av_content_item_unknown"
    assert "行政执法相对人、第三人等现场人员的有关言论、行为" in _content_finding(rec2).label


@pytest.mark.clause("av-key-content", "av-seizure-content")
def test_content_offset_beyond_the_recording__refused(staff_for, media_dir):
    staff = staff_for("xigang-culture")
    _case, rec = _recorded(staff, media_dir, "coercion", "implementation")
    with pytest.raises(AvInvalid) as exc:
        capture.capture_metadata_record(actor=staff.officer, record=rec, content={"查封（扣押）的时间和地点": 60})
    assert exc.value.code == "av_offset_beyond_duration"


@pytest.mark.clause("av-bystander-recording")
@pytest.mark.parametrize(("profile_id", "flagged"), [("changzhi-ethnic-religious", True), ("national-baseline", False)])
def test_party_filming_without_the_notice__flagged_where_the_profile_says_so(staff_for, media_dir, profile_id, flagged):
    staff = staff_for(profile_id)
    _case, rec = _recorded(staff, media_dir, "penalty", "investigation")
    capture.capture_metadata_record(actor=staff.officer, record=rec, bystander={"filming": True})
    assert ("bystander_notice_missing" in {f.code for f in findings.record_findings(rec)}) is flagged
    capture.capture_metadata_record(
        actor=staff.officer, record=rec, bystander={"filming": True, "notice_offset": 3}, reason="补标告知位置"
    )
    assert "bystander_notice_missing" not in {f.code for f in findings.record_findings(rec)}
    att = next(a for a in recording.attestations(rec) if a.label.startswith("当事人或现场人员拍摄"))
    assert att.given and att.note == "第 3 秒"


@pytest.mark.parametrize(  # not marked av-situational-onsite: its 'dispute-prone' marker is not built
    ("profile_id", "stage_id", "level"),
    [("naiman-culture", "site_check", "recommended"), ("xigang-culture", "site_inspection", "mandatory")],
)
def test_onsite_inspection__recommended_never_blocks_mandatory_does(staff_for, profile_id, stage_id, level):
    """奈曼: 现场检查 根据现场情况 (recommended: shown, never blocking); 西岗: mandatory."""
    staff = staff_for(profile_id)
    case = staff.open("inspection")
    assert case.stage == stage_id
    stage = case_services.profile_of(case).stage("inspection", stage_id)
    state = guards.stage_av_state(case, case_services.profile_of(case), stage)
    assert state.level == level and not state.covered
    av = {r.code: r for r in current_requirements(case)}.get("av")
    assert (av is not None and av.blocking) is (level == "mandatory")
    assert {s.stage.id: s.level_label for s in guards.case_av_overview(case)}[stage_id] in ("建议", "必须")


@pytest.mark.clause("av-release-content", "store-av-tagging")
def test_api__content_attested_and_findings_returned(client, staff_for, token_for, media_dir):
    import json

    staff = staff_for("xigang-culture")
    token = token_for(staff.officer)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    _case, rec = _recorded(staff, media_dir, "coercion", "release")
    loose = clip(staff, media_dir, "loose.mp4", start=T0)
    body = {"content": {"核实当事人身份的情况": 1.5}, "bystander": {"filming": True}, "party": "某公司"}
    res = client.post(f"/api/av/records/{rec.pk}/capture", json.dumps(body), content_type="application/json", **auth)
    assert res.status_code == 201 and res.json()["content"] == {"核实当事人身份的情况": 1.5}
    got = client.get(f"/api/av/records/{rec.pk}", **auth).json()
    missing = next(f for f in got["findings"] if f["code"] == "content_missing")
    assert "当事人接收被查封（扣押）物品的情况" in missing["label"]
    stages = client.get(f"/api/av/cases/{_case.pk}/stages", **auth).json()
    release = next(s for s in stages if s["stage_id"] == "release")
    assert any(f["code"] == "content_missing" for f in release["findings"][str(rec.pk)])
    untagged = client.get("/api/av/untagged", **auth).json()
    assert [u["record_id"] for u in untagged] == [loose.pk] and untagged[0]["missing"] == ["案号", "当事人", "承办人"]
