"""A broken profile is refused with the file, the field path and what is wrong (issue 2, item 4 "bad input")."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from liuhen.policy.errors import ProfileInvalid
from liuhen.policy.loader import check_directory, effective_data, load_profile_file, read_profile_file

POLICIES = Path(settings.POLICY_DIR)


def _write(tmp_path: Path, profile_id: str, mutate: Any) -> Path:
    """The effective profile (baselines merged in) as one standalone file, after ``mutate``."""
    raw = {p.stem: read_profile_file(p) for p in POLICIES.glob("*.yaml")}
    data = effective_data(raw, profile_id)
    data["baseline"] = None
    mutate(data)
    path = tmp_path / f"{profile_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _messages(path: Path) -> list[str]:
    with pytest.raises(ProfileInvalid) as exc:
        load_profile_file(path, clause_ids=_clause_ids())
    return [str(i) for i in exc.value.issues]


def _clause_ids() -> frozenset[str] | None:
    from liuhen.policy.loader import known_clause_ids

    return known_clause_ids()


def test_unknown_av_level__refused_with_file_path_and_allowed_values(tmp_path):
    def mutate(d):
        d["enforcement_types"]["penalty"]["stages"][3]["av"] = "sometimes"

    path = _write(tmp_path, "dongxihu-culture", mutate)
    assert _messages(path) == [
        f'{path}: enforcement_types.penalty.stages[3].av: 未知取值 "sometimes"，应为 mandatory/recommended/optional'
    ]


def test_negative_deadline__refused(tmp_path):
    path = _write(tmp_path, "changzhi-ethnic-religious", lambda d: d["deadlines"]["av_upload"].update(value=-2))
    assert _messages(path) == [f"{path}: deadlines.av_upload.value: 不能为负数：-2"]


def test_unknown_stage_in_special_stage__refused(tmp_path):
    def mutate(d):
        d["enforcement_types"]["penalty"]["special_stages"][0]["enter_from"] = ["interrogation"]

    path = _write(tmp_path, "naiman-culture", mutate)
    (msg,) = _messages(path)
    assert msg.startswith(
        f'{path}: enforcement_types.penalty.special_stages[0].enter_from[0]: 未知环节 "interrogation"'
    )


def test_unknown_stage_in_av_checklist__refused(tmp_path):
    path = _write(tmp_path, "naiman-culture", lambda d: d["av_checklist"][0].update(stages=["coercion.teleport"]))
    assert _messages(path) == [f'{path}: av_checklist[0].stages[0]: 未知环节 "coercion.teleport"']


def test_unknown_document_type__refused(tmp_path):
    def mutate(d):
        d["enforcement_types"]["inspection"]["stages"][0]["documents"] = ["magic_scroll"]

    path = _write(tmp_path, "dongxihu-culture", mutate)
    assert _messages(path) == [
        f'{path}: enforcement_types.inspection.stages[0].documents[0]: 文书类型 "magic_scroll" 不在 document_types 目录中'
    ]


def test_unknown_document_type_in_rights_rules__refused(tmp_path):
    def mutate(d):
        d["document_types"]["decision_letter"]["needs_served"] = ["rights_notice", "magic_scroll"]
        d["document_types"]["statement_defence_record"]["answered_by"] = "oracle_reply"

    path = _write(tmp_path, "dongxihu-culture", mutate)
    assert _messages(path) == [
        f'{path}: document_types.statement_defence_record.answered_by: 文书类型 "oracle_reply" 不在 document_types 目录中',
        f'{path}: document_types.decision_letter.needs_served[1]: 文书类型 "magic_scroll" 不在 document_types 目录中',
    ]


def test_duplicate_stage_id__refused(tmp_path):
    def mutate(d):
        stages = d["enforcement_types"]["penalty"]["stages"]
        stages[1]["id"] = stages[0]["id"]

    path = _write(tmp_path, "dongxihu-culture", mutate)
    msgs = _messages(path)
    assert (
        f'{path}: enforcement_types.penalty.stages[1].id: 环节代码 "intake" 重复（已见于 enforcement_types.penalty.stages[0]）'
        in msgs
    )


def test_unknown_clause_id__refused(tmp_path):
    path = _write(tmp_path, "xigang-culture", lambda d: d["recording_notice"].update(clauses=["av-notify-everyone"]))
    assert _messages(path) == [
        f'{path}: recording_notice.clauses[0]: 未知条款编号 "av-notify-everyone"（clauses.yaml 中没有）'
    ]


def test_unknown_enforcement_type__refused(tmp_path):
    def mutate(d):
        d["enforcement_types"]["sanction"] = d["enforcement_types"].pop("penalty")

    path = _write(tmp_path, "naiman-culture", mutate)
    assert (
        f'{path}: enforcement_types.sanction: 未知取值 "sanction"，应为 penalty/inspection/coercion/licensing/confirmation'
        in _messages(path)
    )


def test_misspelt_key__refused_not_ignored(tmp_path):
    path = _write(
        tmp_path, "naiman-culture", lambda d: d["retention"].update(av_stored_minimum=d["retention"]["av_stored_min"])
    )
    assert _messages(path) == [f"{path}: retention.av_stored_minimum: 未知字段（配置格式中没有这一项，可能拼写有误）"]


def test_null_number_without_saying_the_seed_is_silent__refused(tmp_path):
    path = _write(tmp_path, "dongxihu-culture", lambda d: d["deadlines"]["archiving"].update(value=None))
    assert _messages(path) == [f"{path}: deadlines.archiving: 未给出数值（null）时 basis 须为 silent"]


def test_filing_field_not_on_form__refused(tmp_path):
    path = _write(tmp_path, "dongxihu-culture", lambda d: d["filing"]["required_fields"].append("legal_basis"))
    (msg,) = _messages(path)
    assert msg.startswith(f'{path}: filing.required_fields[5]: 字段 "legal_basis" 不是')


def test_id_must_match_file_name(tmp_path):
    path = _write(tmp_path, "naiman-culture", lambda d: d.update(id="naiman"))
    assert _messages(path) == [f'{path}: id: 配置编号 "naiman" 与文件名不一致，应为 "naiman-culture"']


def test_duplicate_yaml_key__refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("id: dup\nversion: '1'\nversion: '2'\n", encoding="utf-8")
    (msg,) = _messages(path)
    assert msg.startswith(f'{path}: 第 3 行: YAML 格式错误：重复的键 "version"')


def test_all_problems_of_a_folder_are_reported_together(tmp_path):
    for p in POLICIES.glob("*.yaml"):
        shutil.copy(p, tmp_path / p.name)
    _write(tmp_path, "naiman-culture", lambda d: d["deadlines"]["av_upload"].update(value=-1, basis="seed"))
    _write(tmp_path, "dongxihu-culture", lambda d: d["retention"]["av_stored_min"].update(unit="weeks"))
    result = check_directory(tmp_path)
    assert sorted(result.profiles) == [
        "changzhi-ethnic-religious",
        "national-baseline",
        "xigang-culture",
        "xinglongtai-drc",
    ]
    assert [str(i) for i in result.issues] == [
        f'{tmp_path}/dongxihu-culture.yaml: retention.av_stored_min.unit: 未知取值 "weeks"，应为 months/years',
        f"{tmp_path}/naiman-culture.yaml: deadlines.av_upload.value: 不能为负数：-1",
    ]


def test_missing_clause_catalogue__skips_the_clause_check_with_a_warning(tmp_path, settings):
    settings.REGULATIONS_DIR = tmp_path / "no-regulations"
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(POLICIES / "national-baseline.yaml", folder)
    _write(folder, "xigang-culture", lambda d: d["recording_notice"].update(clauses=["av-notify-everyone"]))
    result = check_directory(folder)
    assert result.ok and sorted(result.profiles) == ["national-baseline", "xigang-culture"]
    assert len(result.warnings) == 1 and "跳过条款编号校验" in result.warnings[0]


def test_baseline_named_by_a_profile_must_exist(tmp_path):
    shutil.copy(POLICIES / "naiman-culture.yaml", tmp_path)
    result = check_directory(tmp_path)
    assert [str(i) for i in result.issues] == [
        f'{tmp_path}/naiman-culture.yaml: baseline: 基线配置 "national-baseline" 不存在或未通过校验'
    ]


# ---------------------------------------------------------------- issue 4: filing stage and case clocks


def test_unknown_filing_stage__refused_with_path_and_the_stages_there_are(tmp_path):
    path = _write(tmp_path, "dongxihu-culture", lambda d: d["enforcement_types"]["penalty"].update(filing_stage="lian"))
    assert _messages(path) == [
        f'{path}: enforcement_types.penalty.filing_stage: 未知环节 "lian"，penalty 的一般程序环节为 '
        "closure/decision/delivery/filing/intake/investigation/review"
    ]


def test_filing_stage_must_be_a_general_stage(tmp_path):
    path = _write(
        tmp_path, "naiman-culture", lambda d: d["enforcement_types"]["penalty"].update(filing_stage="extension")
    )
    (msg,) = _messages(path)
    assert msg.startswith(f'{path}: enforcement_types.penalty.filing_stage: 未知环节 "extension"，')


def test_clock_stopping_at_an_unknown_stage__refused(tmp_path):
    def mutate(d):
        d["deadlines"]["others"]["penalty_decision"]["clock"]["stop"] = "stage_left:review_decision"

    path = _write(tmp_path, "dongxihu-culture", mutate)  # dongxihu decides in "decision", has no review_decision
    (msg,) = _messages(path)
    assert msg.startswith(f'{path}: deadlines.others.penalty_decision.clock.stop: 未知环节 "review_decision"，')
    assert "penalty 的程序环节为" in msg and "/decision/" in msg


def test_clock_of_a_type_the_agency_lacks__refused(tmp_path):
    def mutate(d):
        d["deadlines"]["others"]["penalty_decision"]["clock"]["types"] = ["penalty", "licensing"]

    path = _write(tmp_path, "xinglongtai-drc", mutate)
    assert _messages(path) == [
        f'{path}: deadlines.others.penalty_decision.clock.types[1]: 执法类别 "licensing" 未在 enforcement_types 中定义'
    ]


def test_clock_started_by_filing_needs_a_filing_stage(tmp_path):
    path = _write(tmp_path, "naiman-culture", lambda d: d["enforcement_types"]["penalty"].pop("filing_stage"))
    assert _messages(path) == [
        f"{path}: deadlines.others.penalty_decision.clock.start: penalty 未设立案环节（filing_stage），case_filed 不会发生"
    ]


def test_unknown_clock_event_and_approval_kind__refused(tmp_path):
    def mutate(d):
        d["deadlines"]["others"]["penalty_decision"]["clock"]["start"] = "case_registered"
        d["enforcement_types"]["penalty"]["stages"][3]["approvals"] = ["agency_head", "boss"]

    path = _write(tmp_path, "naiman-culture", mutate)
    messages = _messages(path)
    assert (
        f'{path}: enforcement_types.penalty.stages[3].approvals[1]: 未知取值 "boss"，应为 '
        "department_head/legal_review/collective_discussion/expert_review/agency_head"
    ) in messages
    assert any(
        m.startswith(f'{path}: deadlines.others.penalty_decision.clock.start: 未知的期限起止事件 "case_registered"')
        for m in messages
    )
