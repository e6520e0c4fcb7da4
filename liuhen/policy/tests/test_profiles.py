"""Golden tests: each seed profile loads and yields the numbers its own regulation states.

Also: unknown ids, snapshots (pin a version, refuse changed content under the same version),
``manage.py policy_check`` and the start-up system check.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from liuhen.ledger.models import Event
from liuhen.policy.errors import ProfileNotFound, ProfileVersionConflict
from liuhen.policy.loader import check_directory, dump_yaml, get_profile, profile_digest, read_profile_file
from liuhen.policy.models import ProfileSnapshot
from liuhen.policy.schema import Profile
from liuhen.policy.snapshots import profile_load_pinned, profile_pin, profile_snapshot_register

SEEDS = Path(settings.REGULATIONS_DIR) / "seeds"
ALL_IDS = [
    "changzhi-ethnic-religious",
    "dongxihu-culture",
    "naiman-culture",
    "national-baseline",
    "xigang-culture",
    "xinglongtai-drc",
]


def test_every_shipped_profile_loads():
    result = check_directory()
    assert result.issues == []
    assert sorted(result.profiles) == ALL_IDS
    for pid in ALL_IDS:
        p = get_profile(pid)
        assert p.id == pid and p.version
        if p.source_seed is not None and SEEDS.is_dir():
            assert (SEEDS / p.source_seed).is_file(), p.source_seed


@pytest.mark.clause("store-av-retention-min")
def test_av_retention_minimum_differs_as_each_regulation_says():
    months = {pid: get_profile(pid).retention.av_stored_min.in_months() for pid in ALL_IDS}
    assert months == {
        "naiman-culture": 6,  # 不少于6个月
        "changzhi-ethnic-religious": 24,  # 原则上不得少于2年
        "dongxihu-culture": 3,  # 不少于3个月
        "xigang-culture": None,  # silent
        "xinglongtai-drc": None,  # silent
        "national-baseline": 3,
    }
    assert get_profile("xigang-culture").retention.av_stored_min.basis == "silent"


@pytest.mark.clause("time-av-upload-2wd", "time-av-upload-after-return")
def test_av_upload_deadlines_in_working_days():
    def pair(pid):
        d = get_profile(pid).deadlines
        return (d.av_upload.value, d.av_upload.unit, d.av_upload_after_return.value, d.av_upload_after_return.unit)

    assert pair("changzhi-ethnic-religious") == (2, "working_days", 2, "working_days")
    assert pair("dongxihu-culture") == (2, "working_days", 1, "working_days")
    for silent in ("xigang-culture", "xinglongtai-drc", "naiman-culture"):
        d = get_profile(silent).deadlines
        assert d.av_upload.value is None and d.av_upload.basis == "silent" and d.av_upload.note


@pytest.mark.clause("time-archive-30d")
def test_archiving_within_30_days_where_the_seed_says_so():
    for pid in ("xinglongtai-drc", "changzhi-ethnic-religious", "dongxihu-culture"):
        a = get_profile(pid).deadlines.archiving
        assert (a.value, a.unit) == (30, "calendar_days")
        assert "time-archive-30d" in a.clauses
    for pid in ("xigang-culture", "naiman-culture"):
        assert get_profile(pid).deadlines.archiving.value is None


@pytest.mark.clause("time-filing-makeup-2wd")
def test_supplementary_filing_within_2_working_days_only_in_dongxihu():
    d = get_profile("dongxihu-culture")
    assert (d.deadlines.filing_makeup.value, d.deadlines.filing_makeup.unit) == (2, "working_days")
    assert d.filing is not None and d.filing.makeup_allowed
    for pid in ALL_IDS:
        if pid != "dongxihu-culture":
            p = get_profile(pid)
            assert p.deadlines.filing_makeup.value is None
            assert p.filing is None or not p.filing.makeup_allowed


@pytest.mark.clause("av-notify-party")
def test_recording_notice_wording_is_verbatim_from_the_xigang_seed():
    notice = get_profile("xigang-culture").recording_notice
    assert notice.text == "为保护您的合法权益，监督我们的执法行为，本次执法全程录音、录像"
    assert notice.verbatim and notice.required
    if SEEDS.is_dir():
        assert notice.text in (SEEDS / "000_2049d89e8279cd0c.txt").read_text(encoding="utf-8")
    # The others give no wording; those that require telling the party say so.
    assert get_profile("changzhi-ethnic-religious").recording_notice.text is None
    assert get_profile("changzhi-ethnic-religious").recording_notice.required
    assert not get_profile("naiman-culture").recording_notice.required


@pytest.mark.clause("src-filing-form-content")
def test_filing_form_requires_legal_basis_only_under_changzhi():
    cz = get_profile("changzhi-ethnic-religious").filing
    dx = get_profile("dongxihu-culture").filing
    assert cz is not None and dx is not None
    assert "legal_basis" in cz.required_fields and "agency_head" in cz.approvers
    assert "legal_basis" not in dx.required_fields
    assert set(dx.required_fields) == {"source", "party_info", "handler_opinion", "department_opinion", "head_opinion"}
    assert dx.approvers == ["agency_head"]


@pytest.mark.clause("store-text-retention", "store-av-permanent-longterm")
def test_case_file_years_and_permanent_triggers():
    assert get_profile("dongxihu-culture").retention.case_file.value == 10
    assert get_profile("naiman-culture").retention.case_file.value is None
    cz = {t.event: t.keep for t in get_profile("changzhi-ethnic-religious").retention.triggers}
    assert cz == {
        "used_as_evidence": "permanent",
        "obstruction": "permanent",
        "major_incident": "permanent",
        "major_complex_matter": "permanent",
    }
    xlt = {t.event: t.keep for t in get_profile("xinglongtai-drc").retention.triggers}
    assert xlt["dispute_complaint_petition"] == "long_term" and xlt["obstruction"] == "long_term"


@pytest.mark.clause("av-matter-list", "av-mandatory-coercive-measures", "av-lien-service")
def test_av_checklist_levels_per_agency():
    naiman = get_profile("naiman-culture")
    assert naiman.av_level("coercion", "implementation") == "mandatory"
    assert naiman.av_level("penalty", "evidence_preservation") == "mandatory"
    assert naiman.av_level("penalty", "hearing") == "mandatory"
    assert naiman.av_level("penalty", "investigation") == "recommended"
    lien = {i.id: i.level for i in naiman.av_checklist}
    assert lien["left_at_premises"] == "mandatory" and lien["public_notice"] == "mandatory"
    dongxihu = get_profile("dongxihu-culture")
    assert dongxihu.av_level("penalty", "evidence_preservation") == "optional"
    assert {i.id: i.level for i in dongxihu.av_checklist}["left_at_premises"] == "optional"
    assert get_profile("xinglongtai-drc").av_level("penalty", "investigation") == "optional"


@pytest.mark.clause("flow-penalty-stages", "flow-inspection-stages", "flow-coercion-stages")
def test_stage_lists_follow_each_seed():
    def ids(pid, t, special=False):
        et = get_profile(pid).enforcement_types[t]
        return [s.id for s in (et.special_stages if special else et.stages)]

    assert ids("naiman-culture", "penalty") == [
        "intake",
        "filing",
        "investigation",
        "review_decision",
        "delivery",
        "closure",
    ]
    assert ids("dongxihu-culture", "penalty") == [
        "intake",
        "filing",
        "investigation",
        "review",
        "decision",
        "delivery",
        "closure",
    ]
    assert "prior_notice" in ids("dongxihu-culture", "penalty", special=True)
    assert "prior_notice" not in ids("naiman-culture", "penalty", special=True)
    assert "follow_up_inspection" in ids("naiman-culture", "inspection")
    assert "follow_up_inspection" in ids("dongxihu-culture", "inspection", special=True)
    assert ids("dongxihu-culture", "coercion")[:2] == ["approval_request", "decision"]
    assert sorted(get_profile("xinglongtai-drc").enforcement_types) == ["inspection", "penalty"]
    assert len(get_profile("xigang-culture").enforcement_types) == 5


# ---------------------------------------------------------------- issue 4: filing stage, approvals, case clocks


def _approvals(pid: str, type_code: str) -> dict[str, list[str]]:
    et = get_profile(pid).enforcement_types[type_code]
    return {s.id: list(s.approvals) for s in [*et.stages, *et.special_stages] if s.approvals}


@pytest.mark.clause("src-filing-approval")
def test_filing_stage_per_type_follows_each_seed():
    def filing(pid):
        return {code: et.filing_stage for code, et in get_profile(pid).enforcement_types.items()}

    # 长治第四条(二)：依职权启动一般程序填写程序启动审批表 — 处罚和检查都从“程序启动”审批开始
    assert filing("changzhi-ethnic-religious") == {
        "penalty": "initiation",
        "inspection": "initiation",
        "coercion": None,
        "licensing": None,
    }
    assert filing("xinglongtai-drc") == {"penalty": "initiation", "inspection": None}
    assert filing("dongxihu-culture") == {"inspection": None, "penalty": "filing", "coercion": None}
    for pid in ("naiman-culture", "xigang-culture", "national-baseline"):
        assert filing(pid)["penalty"] == "filing"
        assert [c for c, s in filing(pid).items() if s is not None] == ["penalty"]
    # The filing stage carries the filing form; its approvers come from ``filing``, not from the stage.
    for pid in ALL_IDS:
        p = get_profile(pid)
        for code, et in p.enforcement_types.items():
            if et.filing_stage is not None:
                stage = p.stage(code, et.filing_stage)
                assert p.filing is not None and p.filing.form in stage.documents, (pid, code)
                assert stage.approvals == [], (pid, code)
    assert get_profile("changzhi-ethnic-religious").filing.approvers == ["department_head", "agency_head"]
    assert get_profile("dongxihu-culture").filing.approvers == ["agency_head"]


@pytest.mark.clause("doc-internal-approval")
def test_stage_approvals_differ_as_each_seed_says():
    # 长治：起草机构（科室）审查后报负责人审批（第六条(一)1、5）；程序启动由科室负责人签署、主要负责人批准（第四条(二)）
    assert _approvals("changzhi-ethnic-religious", "penalty") == {
        "review_decision": ["department_head", "agency_head"],
        "extension": ["agency_head"],
    }
    assert _approvals("changzhi-ethnic-religious", "coercion") == {"initiation": ["department_head", "agency_head"]}
    assert _approvals("changzhi-ethnic-religious", "licensing") == {"decision": ["agency_head"]}
    assert _approvals("changzhi-ethnic-religious", "inspection") == {}
    # 东西湖：审核与决定分开，决定书由负责人签署审批意见（第二十条）
    assert _approvals("dongxihu-culture", "penalty") == {"decision": ["agency_head"], "extension": ["agency_head"]}
    assert _approvals("dongxihu-culture", "coercion") == {
        "approval_request": ["agency_head"],
        "extension": ["agency_head"],
    }
    # 西岗：行政处罚决定、扣押各有内部审批环节（第二十三条、第二十九条），许可内部审批（第十六条）
    assert _approvals("xigang-culture", "penalty") == {"approval": ["agency_head"], "extension": ["agency_head"]}
    assert _approvals("xigang-culture", "coercion") == {"approval": ["agency_head"]}
    assert _approvals("xigang-culture", "licensing") == {"decision": ["agency_head"]}
    assert _approvals("xigang-culture", "confirmation") == {}
    assert _approvals("naiman-culture", "penalty") == {
        "review_decision": ["agency_head"],
        "extension": ["agency_head"],
    }
    assert _approvals("naiman-culture", "coercion") == {
        "review_decision": ["agency_head"],
        "extension": ["agency_head"],
    }
    assert _approvals("xinglongtai-drc", "penalty") == {"review_decision": ["agency_head"]}
    for pid in ALL_IDS:
        p = get_profile(pid)
        for code, et in p.enforcement_types.items():
            for s in [*et.stages, *et.special_stages]:
                # 法制审核、集体讨论只在法定情形下进行：没有哪个制度把它们定为每案必经
                assert not {"legal_review", "collective_discussion"} & set(s.approvals), (pid, code, s.id)
                # 不是出自本机关制度的审批都在 note 中说明依据
                if s.approvals and s.basis != "seed":
                    assert "基线" in s.note, (pid, code, s.id)


@pytest.mark.clause("flow-penalty-stages")
def test_penalty_decision_limit_runs_from_filing_to_the_decision_stage():
    stops = {
        "changzhi-ethnic-religious": "review_decision",
        "dongxihu-culture": "decision",
        "naiman-culture": "review_decision",
        "national-baseline": "review_decision",
        "xigang-culture": "decision",
        "xinglongtai-drc": "review_decision",
    }
    for pid in ALL_IDS:
        p = get_profile(pid)
        d = p.deadlines.others["penalty_decision"]
        assert (d.label, d.value, d.unit, d.basis) == ("行政处罚决定期限", 90, "calendar_days", "law"), pid
        assert d.counted_from == "立案之日" and "第六十条" in d.note, pid
        assert d.clock is not None
        assert (d.clock.types, d.clock.start, d.clock.pausable) == (["penalty"], "case_filed", True), pid
        assert d.clock.stop == f"stage_left:{stops[pid]}", pid
        # The clock stops where the decision letter is made, and starts at a filing stage that exists.
        stage = p.stage("penalty", stops[pid])
        assert "decision_letter" in [*stage.documents, *stage.documents_if_applicable], pid
        assert p.enforcement_types["penalty"].filing_stage is not None
        # A suspension pauses it and an extension moves it, where the profile has them.
        specials = {s.id: s for s in p.enforcement_types["penalty"].special_stages}
        if "suspension" in specials:
            assert specials["suspension"].pauses_deadlines
        if "extension" in specials:
            assert specials["extension"].moves_deadlines and specials["extension"].approvals == ["agency_head"]


def test_unknown_profile_id__domain_error_with_stable_code():
    with pytest.raises(ProfileNotFound) as exc:
        get_profile("atlantis-culture")
    assert exc.value.code == "policy_profile_unknown" and exc.value.status == 404
    assert "atlantis-culture" in exc.value.message


def test_agency_create__refuses_an_unknown_profile(db):
    from liuhen.org.models import Agency
    from liuhen.org.services import agency_create

    with pytest.raises(ProfileNotFound):
        agency_create(actor=None, code="nowhere", name="无名局", profile_id="no-such-profile")
    assert not Agency.objects.filter(code="nowhere").exists()


# ---------------------------------------------------------------- snapshots


def test_snapshot_register__once_per_version_with_ledger_event(db):
    p = get_profile("naiman-culture")
    snap = profile_snapshot_register(actor=None, profile=p)
    again = profile_snapshot_register(actor=None, profile=p)
    assert snap.pk == again.pk and snap.sha256 == profile_digest(p)
    events = Event.objects.filter(action="policy_profile.registered", object_id=f"naiman-culture@{p.version}")
    assert events.count() == 1


def test_snapshot__same_version_different_content_refused(db):
    p = get_profile("naiman-culture")
    profile_snapshot_register(actor=None, profile=p)
    data = p.model_dump(mode="json")
    data["retention"]["av_stored_min"]["value"] = 12
    changed = Profile.model_validate(data)
    with pytest.raises(ProfileVersionConflict) as exc:
        profile_snapshot_register(actor=None, profile=changed)
    assert exc.value.code == "policy_profile_changed_without_version"
    data["version"] = str(int(p.version) + 1)
    bumped = profile_snapshot_register(actor=None, profile=Profile.model_validate(data))
    assert (
        bumped.version == data["version"] and ProfileSnapshot.objects.filter(profile_id="naiman-culture").count() == 2
    )


def test_pinned_version_loads_as_it_was(db):
    snap = profile_pin(actor=None, profile_id="dongxihu-culture")
    pinned = profile_load_pinned("dongxihu-culture", snap.version)
    assert pinned == get_profile("dongxihu-culture")
    assert pinned.deadlines.av_upload_after_return.value == 1
    with pytest.raises(ProfileNotFound):
        profile_load_pinned("dongxihu-culture", "99")


# ---------------------------------------------------------------- policy_check and start-up


def _broken_copy(tmp_path: Path) -> Path:
    for p in Path(settings.POLICY_DIR).glob("*.yaml"):
        shutil.copy(p, tmp_path / p.name)
    path = tmp_path / "naiman-culture.yaml"
    data = read_profile_file(path)
    data["enforcement_types"]["penalty"]["stages"][2]["av"] = "sometimes"
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def test_policy_check__passes_and_registers_versions(db, capsys):
    call_command("policy_check")
    assert "执法规则配置校验通过：6 个配置" in capsys.readouterr().out
    assert ProfileSnapshot.objects.count() == 6


def test_policy_check__exits_non_zero_on_a_broken_folder(tmp_path):
    path = _broken_copy(tmp_path)
    proc = subprocess.run(
        [sys.executable, "manage.py", "policy_check", "--path", str(tmp_path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert (
        f'{path}: enforcement_types.penalty.stages[2].av: 未知取值 "sometimes"，应为 mandatory/recommended/optional'
        in proc.stderr
    )


def test_policy_check__refuses_changed_content_without_version_bump(db, tmp_path, capsys):
    for p in Path(settings.POLICY_DIR).glob("*.yaml"):
        shutil.copy(p, tmp_path / p.name)
    version = get_profile("dongxihu-culture").version
    profile_snapshot_register(actor=None, profile=get_profile("dongxihu-culture"))
    path = tmp_path / "dongxihu-culture.yaml"
    data = read_profile_file(path)
    data["retention"]["av_stored_min"]["value"] = 4
    path.write_text(dump_yaml(data), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("policy_check", "--path", str(tmp_path))
    assert f"{path}: version: 内容已改变但版本号仍为 {version}" in capsys.readouterr().err
    data["version"] = str(int(version) + 1)
    path.write_text(dump_yaml(data), encoding="utf-8")
    call_command("policy_check", "--path", str(tmp_path))


def test_system_check__reports_a_broken_profile(tmp_path, settings):
    from liuhen.policy.checks import check_policy_profiles

    assert check_policy_profiles() == []
    path = _broken_copy(tmp_path)
    settings.POLICY_DIR = tmp_path
    errors = check_policy_profiles()
    assert [e.id for e in errors] == ["policy.E001"]
    assert errors[0].msg.startswith(f"{path}: enforcement_types.penalty.stages[2].av: 未知取值")
    from liuhen.policy.errors import ProfileInvalid
    from liuhen.policy.loader import assert_profiles_valid

    with pytest.raises(ProfileInvalid):
        assert_profiles_valid()


def test_gunicorn_refuses_to_start_with_a_broken_profile(tmp_path):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn 未安装")
    _broken_copy(tmp_path)
    env = {**__import__("os").environ, "LIUHEN_POLICY_DIR": str(tmp_path), "LIUHEN_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [str(gunicorn), "liuhen.wsgi:application", "--bind", "127.0.0.1:0", "--workers", "1"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert 'penalty.stages[2].av: 未知取值 "sometimes"' in proc.stderr
