"""Profiles inherit their baseline: each agency file states only what differs (ADR 0002, issue 12).

The effective profile — what cases, guards and pages read — is the baseline with the agency's file
merged over it. Moving the agency files to differences only changed none of them: their digests at
version 7 are those of the complete files they replaced.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from liuhen.policy.errors import ProfileInvalid
from liuhen.policy.loader import (
    REMOVE,
    canonical_content,
    check_directory,
    get_profile,
    load_profile_file,
    merge,
    profile_digest,
    profile_ids,
    read_profile_file,
)

# SHA-256 of each effective profile's canonical content, per version. A new version is added here
# once its effective profile (manage.py policy_show <id>) has been reviewed.
REVIEWED_DIGESTS: dict[tuple[str, str], str] = {
    # version 7: the complete files before inheritance; the difference-only files give the same content.
    ("changzhi-ethnic-religious", "7"): "5a6ac39224ba5b056eb569bf75dffcdf7a2290fbc34abd59f81b65ec9998ac89",
    ("dongxihu-culture", "7"): "e82ffd9fa2a7cd70fe0de3b82651780eb1b8a3a20e7397438954d391d26fc726",
    ("naiman-culture", "7"): "548367cb7da84202e5ffef0153e8fae8e22dd0b721048520a87337d85fdd8b19",
    ("national-baseline", "7"): "4cbd8c0ff6996b53465dfb840af41ce5fc492e0c0c13493852080235ea0b7407",
    ("xigang-culture", "7"): "1359ce5c95b829e56b6d04ffa2722aa22f40c3249606429a1642121f9cee8f25",
    ("xinglongtai-drc", "7"): "eb22ac7e5cb087f422aacbbac308cddbf9e3d6bb167f7d15d76ffec581cea9c5",
    # version 8: the rules that were code (who acts on each approval kind, how many take part in a
    # collective discussion, the act each filing approver records, the penalty procedure's lead) are
    # profile data, the national baseline stating today's values; nothing else changed (test below).
    ("changzhi-ethnic-religious", "8"): "871b42b016e9e00f9adfffa26fa79d70c61f4730e95b7e7db85bd92882f5ff29",
    ("dongxihu-culture", "8"): "37c387b1fbd15cd707e778da0fa86e77976c4ba06f737b3faca8ea4d7f411f94",
    ("naiman-culture", "8"): "a19e4fbbaddced70e9745742f90b8bbcd7febfb9fb4ab03b7dbbeed8950ba627",
    ("national-baseline", "8"): "81cb0cd9ae6f8f5ba043ba94d56ef93eae8309ee752a93eca6e3d39f0f669d0d",
    ("xigang-culture", "8"): "8ecc455226900a2e215f0875dbd4c961b02942970e1691c66d25995ee43ea57a",
    ("xinglongtai-drc", "8"): "f5f7c7af4393192dff03169a741d78bdc5cdb2c4a2e89c9035f8a55c92884655",
}


@pytest.mark.parametrize("profile_id", profile_ids())
def test_effective_profile_is_the_reviewed_content_of_its_version(profile_id):
    profile = get_profile(profile_id)
    expected = REVIEWED_DIGESTS.get((profile.id, profile.version))
    assert expected is not None, (
        f"{profile.id} version {profile.version} has no reviewed digest: review `manage.py policy_show {profile.id}` "
        f"and add {profile_digest(profile)!r} to REVIEWED_DIGESTS"
    )
    assert profile_digest(profile) == expected, "the effective profile changed under the same version"


def _without_version_8_fields(content: dict) -> dict:
    content = json.loads(json.dumps(content))
    content.pop("approvals")
    if content.get("filing") is not None:
        content["filing"].pop("approver_kinds")
    for et in content["enforcement_types"].values():
        et.pop("requires_lead")
        et.pop("runs_from_lead")
    return content


@pytest.mark.parametrize("profile_id", profile_ids())
def test_version_8_changed_nothing_but_the_rules_that_were_code(profile_id):
    """Strip what version 8 added and the rest is the reviewed version 7, digest for digest."""
    profile = get_profile(profile_id)
    content = _without_version_8_fields(canonical_content(profile)) | {"version": "7"}
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(body).hexdigest() == REVIEWED_DIGESTS[(profile_id, "7")]


@pytest.mark.parametrize("profile_id", profile_ids())
def test_version_8_fields_state_what_the_code_did(profile_id):
    profile = get_profile(profile_id)
    roles = {kind: rule.roles for kind, rule in profile.approvals.items()}
    assert roles == {
        "department_head": ["department_head"],
        "legal_review": ["legal_reviewer"],
        "collective_discussion": ["agency_head"],
        "expert_review": ["officer", "department_head"],
        "agency_head": ["agency_head"],
    }
    assert profile.approvals["collective_discussion"].min_participants == 3
    assert profile.filing.approver_kinds == {
        "department_head": "department_head",
        "agency_head": "agency_head",
        "legal_reviewer": "legal_review",
        "records_keeper": "department_head",
    }
    for code, et in profile.enforcement_types.items():
        assert et.requires_lead == et.runs_from_lead == (code == "penalty"), code


@pytest.mark.parametrize("profile_id", [p for p in profile_ids() if p != "national-baseline"])
def test_an_agency_file_states_only_what_differs_from_its_baseline(profile_id):
    own = read_profile_file(Path(settings.POLICY_DIR) / f"{profile_id}.yaml")
    base = read_profile_file(Path(settings.POLICY_DIR) / "national-baseline.yaml")
    assert own["baseline"] == "national-baseline"
    copied = [k for k in own.get("document_types", {}) if own["document_types"][k] == base["document_types"].get(k)]
    assert copied == [], f"forms copied verbatim from the baseline: {copied}"
    same = [k for k in own if k not in ("version", "baseline") and own[k] == base.get(k)]
    assert same == [], f"sections copied verbatim from the baseline: {same}"


def test_merge__mappings_by_key_lists_whole_remove_deletes_null_is_a_value():
    base = {"a": {"x": 1, "y": 2}, "l": [1, 2], "gone": {"k": 1}, "n": 5}
    own = {"a": {"y": 3}, "l": [9], "gone": REMOVE, "n": None, "new": {"z": REMOVE}}
    assert merge(base, own) == {"a": {"x": 1, "y": 3}, "l": [9], "n": None, "new": {}}


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    shutil.copy(Path(settings.POLICY_DIR) / "national-baseline.yaml", tmp_path)
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


MINIMAL = """id: {id}
version: '1'
agency_name: 测试局
regulation_title: 测试制度
source_seed: null
baseline: {baseline}
summary: 只写与基线不同之处。
"""


def test_a_minimal_agency_file_is_the_baseline_under_its_own_name(tmp_path):
    folder = _folder(tmp_path, {"minimal": MINIMAL.format(id="minimal", baseline="national-baseline")})
    result = check_directory(folder)
    assert result.ok, result.issues
    mine, base = result.profiles["minimal"], result.profiles["national-baseline"]
    assert mine.agency_name == "测试局" and mine.version == "1"
    assert mine.document_types == base.document_types and mine.deadlines == base.deadlines


def test_a_removed_form_and_a_changed_number_take_effect(tmp_path):
    text = MINIMAL.format(id="mine", baseline="national-baseline") + (
        "document_types:\n  confirmation_decision: !remove\n"
        "deadlines:\n  av_upload:\n    value: 1\n    basis: seed\n    note: 第八条：一个工作日内上传。\n"
    )
    folder = _folder(tmp_path, {"mine": text})
    # The baseline's confirmation procedure still needs the removed form: refused, naming the stage.
    (issue,) = check_directory(folder).issues
    assert issue.path.startswith("enforcement_types.confirmation.stages[") and "confirmation_decision" in issue.message
    text += "enforcement_types:\n  confirmation: !remove\n"
    folder = _folder(tmp_path, {"mine": text})
    profile = check_directory(folder).profiles["mine"]
    assert "confirmation_decision" not in profile.document_types and "confirmation" not in profile.enforcement_types
    assert profile.deadlines.av_upload.value == 1
    assert get_profile("national-baseline").deadlines.av_upload.value != 1


def test_an_unknown_or_circular_baseline_is_refused_with_the_file(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "orphan": MINIMAL.format(id="orphan", baseline="no-such-baseline"),
            "a": MINIMAL.format(id="a", baseline="b"),
            "b": MINIMAL.format(id="b", baseline="a"),
        },
    )
    messages = [str(i) for i in check_directory(folder).issues]
    assert any('orphan.yaml: baseline: 基线配置 "no-such-baseline" 不存在' in m for m in messages)
    assert any("a.yaml: baseline: 基线配置循环继承" in m for m in messages)


def test_an_agency_file_must_state_its_own_version(tmp_path):
    text = MINIMAL.format(id="nover", baseline="national-baseline").replace("version: '1'\n", "")
    folder = _folder(tmp_path, {"nover": text})
    with pytest.raises(ProfileInvalid) as exc:
        load_profile_file(folder / "nover.yaml")
    assert "nover.yaml: version: 每个配置须写明自己的 id 与 version" in str(exc.value.issues[0])


def test_policy_show__prints_the_effective_profile_and_the_own_entries():
    out = StringIO()
    call_command("policy_show", "naiman-culture", stdout=out)
    text = out.getvalue()
    data = yaml.safe_load(text)
    assert text.startswith("# 奈曼旗文化市场综合执法局（naiman-culture，版本 8，合并基线之后）")
    assert set(data["document_types"]) == set(get_profile("naiman-culture").document_types)
    assert "not_filed_notice" not in data["document_types"]  # removed by the agency file
    own = StringIO()
    call_command("policy_show", "naiman-culture", "--own", stdout=own)
    assert "not_filed_notice: !remove" in own.getvalue()


def test_policy_show__an_unknown_name_is_refused_with_the_known_ids(db):
    with pytest.raises(CommandError) as exc:
        call_command("policy_show", "no-such-agency")
    assert "没有编号为" in str(exc.value) and "naiman-culture" in str(exc.value)
