"""Loading and validating policy profiles (``policies/*.yaml``); the one way code reads a profile.

Clause flow-recording-plan-per-type: each agency's rules are data, read through one typed object
(:class:`liuhen.policy.schema.Profile`). A broken profile is refused with the file, the field path
and what is wrong, in Chinese, e.g.
``policies/x.yaml: enforcement_types.penalty.stages[3].av: 未知取值 "sometimes"，应为 mandatory/recommended/optional``.

Validation runs at start-up (a Django system check, and ``liuhen.wsgi`` refuses to serve), and on
demand with ``manage.py policy_check``. Clause ids are checked against
``settings.REGULATIONS_DIR / "clauses.yaml"``; when that file is absent the check is skipped
with a warning.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from pydantic import ValidationError

from liuhen.policy.errors import ProfileInvalid, ProfileIssue, ProfileNotFound
from liuhen.policy.schema import Profile

# ---------------------------------------------------------------- YAML that refuses duplicate keys


class _StrictLoader(yaml.SafeLoader):
    pass


def _mapping_no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f'重复的键 "{key}"（第 {key_node.start_mark.line + 1} 行）', key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_no_duplicates)


class _Remove:
    """``!remove``: this key of the baseline does not apply to the agency (its regulation has no such form,
    procedure or rule). Distinct from ``null``, which is a value (a number the regulation leaves open)."""

    def __repr__(self) -> str:
        return "!remove"


REMOVE = _Remove()
_StrictLoader.add_constructor("!remove", lambda loader, node: REMOVE)


class _Dumper(yaml.SafeDumper):
    """Profile YAML as people write it: insertion order, short lists of names inline, ``!remove`` kept."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_Dumper.add_representer(_Remove, lambda dumper, value: dumper.represent_scalar("!remove", ""))
_Dumper.add_representer(
    list,
    lambda dumper, value: dumper.represent_sequence(
        "tag:yaml.org,2002:seq",
        value,
        flow_style=bool(value) and all(isinstance(v, str | int | float | bool) for v in value),
    ),
)


def dump_yaml(data: Any) -> str:
    """Plain profile data (from :func:`read_profile_file` or :func:`effective_data`) as YAML text."""
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False)
    return text.replace(" !remove ''", " !remove")


# ---------------------------------------------------------------- inheritance

# Keys every profile states for itself: never taken from its baseline.
OWN_KEYS = ("id", "version", "agency_name", "regulation_title", "source_seed", "baseline", "summary")


def merge(base: Any, own: Any) -> Any:
    """``own`` over ``base``: mappings merge key by key (``!remove`` deletes a key), anything else —
    lists included — replaces the baseline's value whole."""
    if isinstance(own, _Remove):
        return REMOVE
    if isinstance(base, dict) and isinstance(own, dict):
        merged = dict(base)
        for key, value in own.items():
            value = merge(base.get(key), value)
            if value is REMOVE:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged
    return _strip(own)


def _strip(value: Any) -> Any:
    """A value with no baseline under it: ``!remove`` inside it removes nothing."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not isinstance(v, _Remove)}
    if isinstance(value, list):
        return [_strip(v) for v in value if not isinstance(v, _Remove)]
    return value


def effective_data(raw: dict[str, dict[str, Any]], profile_id: str, *, directory: Path | None = None) -> dict[str, Any]:
    """The profile ``profile_id`` as its file and its chain of baselines give it (plain data, unchecked).

    ``raw`` holds every file's parsed YAML by id. Raises ProfileInvalid for an unknown or circular baseline.
    """
    folder = Path(directory or settings.POLICY_DIR)

    def _file_of(pid: str) -> str:
        return display_name(folder / f"{pid}.yaml")

    chain: list[str] = []
    current: str | None = profile_id
    while current is not None:
        if current in chain:
            cycle = " → ".join([*chain, current])
            raise ProfileInvalid(
                [ProfileIssue(f"policies/{profile_id}.yaml", "baseline", f"基线配置循环继承：{cycle}")]
            )
        if current not in raw:
            raise ProfileInvalid(
                [ProfileIssue(_file_of(chain[-1]), "baseline", f'基线配置 "{current}" 不存在或未通过校验')]
            )
        chain.append(current)
        parent = raw[current].get("baseline")
        current = parent if isinstance(parent, str) and parent else None
    data: dict[str, Any] = {}
    for pid in reversed(chain):
        layer = raw[pid]
        inherited = {k: v for k, v in data.items() if k not in OWN_KEYS}
        data = merge(inherited, layer)
    return data


# ---------------------------------------------------------------- messages


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(err: dict[str, Any]) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind in ("unknown_value", "bad_code", "duplicate", "note_required", "silent_basis"):
        return err["msg"]
    if kind == "missing":
        return "缺少必填项"
    if kind == "extra_forbidden":
        return "未知字段（配置格式中没有这一项，可能拼写有误）"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能为负数：{value}" if isinstance(value, int | float) and value < 0 else f"数值过小：{value}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"应为整数，实为 {value!r}"
    if kind in ("string_type", "str_type"):
        return f"应为文本，实为 {value!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"应为 true 或 false，实为 {value!r}"
    if kind == "list_type":
        return "应为列表"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "应为映射（键: 值）"
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length', 1)} 项"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "literal_error":
        return f"未知取值 {value!r}，应为 {ctx.get('expected', '')}"
    return f"{err['msg']}（{kind}）"


def display_name(path: Path) -> str:
    """The file as people see it: relative to the project folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- clause catalogue


def clauses_file() -> Path:
    return Path(settings.REGULATIONS_DIR) / "clauses.yaml"


@lru_cache(maxsize=4)
def _clause_ids_at(path: str, mtime_ns: int) -> frozenset[str]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return frozenset(str(c["id"]) for c in data.get("clauses", []) if isinstance(c, dict) and "id" in c)


def known_clause_ids() -> frozenset[str] | None:
    """The ids of ``clauses.yaml``, or None when the file is absent (the clause check is then skipped)."""
    path = clauses_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return _clause_ids_at(str(path), stat.st_mtime_ns)


def _clause_refs(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Yield (path, clause id) for every clause reference in a profile's plain data."""
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{where}.{key}" if where else str(key)
            if key in ("clauses", "av_clauses") and isinstance(value, list):
                for i, cid in enumerate(value):
                    yield f"{sub}[{i}]", str(cid)
            elif key == "clause_map" and isinstance(value, dict):
                for name, ids in value.items():
                    for i, cid in enumerate(ids or []):
                        yield f"{sub}.{name}[{i}]", str(cid)
            else:
                yield from _clause_refs(value, sub)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _clause_refs(value, f"{where}[{i}]")


# ---------------------------------------------------------------- cross-section checks


def cross_check(profile: Profile, *, clause_ids: frozenset[str] | None) -> list[tuple[str, str]]:
    """Checks that span sections; returns (field path, Chinese message) pairs."""
    problems: list[tuple[str, str]] = []
    docs = profile.document_types
    for code, doc in docs.items():
        here = f"document_types.{code}"
        for j, other in enumerate(doc.needs_served):
            if other not in docs:
                problems.append((f"{here}.needs_served[{j}]", f'文书类型 "{other}" 不在 document_types 目录中'))
        if doc.answered_by is not None and doc.answered_by not in docs:
            problems.append((f"{here}.answered_by", f'文书类型 "{doc.answered_by}" 不在 document_types 目录中'))
    for code, et in profile.enforcement_types.items():
        base = f"enforcement_types.{code}"
        seen: dict[str, str] = {}
        general = {s.id for s in et.stages}
        for kind, stages in (("stages", et.stages), ("special_stages", et.special_stages)):
            for i, stage in enumerate(stages):
                here = f"{base}.{kind}[{i}]"
                if stage.id in seen:
                    problems.append((f"{here}.id", f'环节代码 "{stage.id}" 重复（已见于 {seen[stage.id]}）'))
                else:
                    seen[stage.id] = here
                for list_name in ("documents", "documents_if_applicable"):
                    for j, doc in enumerate(getattr(stage, list_name)):
                        if doc not in docs:
                            problems.append(
                                (f"{here}.{list_name}[{j}]", f'文书类型 "{doc}" 不在 document_types 目录中')
                            )
                for j, src in enumerate(getattr(stage, "enter_from", [])):
                    if src not in general:
                        problems.append(
                            (
                                f"{here}.enter_from[{j}]",
                                f'未知环节 "{src}"，{code} 的一般程序环节为 {"/".join(sorted(general))}',
                            )
                        )
        if et.filing_stage is not None and et.filing_stage not in general:
            problems.append(
                (
                    f"{base}.filing_stage",
                    f'未知环节 "{et.filing_stage}"，{code} 的一般程序环节为 {"/".join(sorted(general))}',
                )
            )
    for name, deadline in profile.deadlines.others.items():
        if deadline.clock is None:
            continue
        types = deadline.clock.types or list(profile.enforcement_types)
        for j, type_code in enumerate(types):
            if type_code not in profile.enforcement_types:
                problems.append(
                    (
                        f"deadlines.others.{name}.clock.types[{j}]",
                        f'执法类别 "{type_code}" 未在 enforcement_types 中定义',
                    )
                )
                continue
            et = profile.enforcement_types[type_code]
            for end in ("start", "stop"):
                event = getattr(deadline.clock, end)
                _, sep, stage_id = event.partition(":")
                where = f"deadlines.others.{name}.clock.{end}"
                if sep and profile.stage(type_code, stage_id) is None:
                    known = "/".join(sorted(s.id for s in [*et.stages, *et.special_stages]))
                    problems.append((where, f'未知环节 "{stage_id}"，{type_code} 的程序环节为 {known}'))
                elif event == "case_filed" and et.filing_stage is None:
                    # Without a filing stage no case of this type is ever filed: the clock would never run.
                    problems.append((where, f"{type_code} 未设立案环节（filing_stage），case_filed 不会发生"))
    ids: set[str] = set()
    for i, item in enumerate(profile.av_checklist):
        here = f"av_checklist[{i}]"
        if item.id in ids:
            problems.append((f"{here}.id", f'清单事项代码 "{item.id}" 重复'))
        ids.add(item.id)
        for j, ref in enumerate(item.stages):
            type_code, _, stage_id = ref.partition(".")
            if type_code not in profile.enforcement_types:
                problems.append((f"{here}.stages[{j}]", f'执法类别 "{type_code}" 未在 enforcement_types 中定义'))
            elif profile.stage(type_code, stage_id) is None:
                problems.append((f"{here}.stages[{j}]", f'未知环节 "{ref}"'))
        cond = item.applies_if
        if cond is not None:
            form = docs.get(cond.document)
            if form is None:
                problems.append(
                    (f"{here}.applies_if.document", f'文书类型 "{cond.document}" 不在 document_types 目录中')
                )
            elif cond.field not in {f.id for f in form.fields}:
                problems.append(
                    (f"{here}.applies_if.field", f'字段 "{cond.field}" 不是 {form.name}（{cond.document}）的字段')
                )
    for code, et in profile.enforcement_types.items():
        for kind, stages in (("stages", et.stages), ("special_stages", et.special_stages)):
            for i, stage in enumerate(stages):
                for j, approval in enumerate(stage.approvals):
                    if approval not in profile.approvals:
                        problems.append(
                            (
                                f"enforcement_types.{code}.{kind}[{i}].approvals[{j}]",
                                f'审批类别 "{approval}" 未在 approvals 中规定由谁办理',
                            )
                        )
    if profile.filing is not None:
        for j, role in enumerate(profile.filing.approvers):
            approval = profile.filing.approver_kinds.get(role)
            if approval is None:
                problems.append(
                    (f"filing.approvers[{j}]", f'审批人 "{role}" 未在 filing.approver_kinds 中对应审批类别')
                )
            elif approval not in profile.approvals:
                problems.append(
                    (f"filing.approver_kinds.{role}", f'审批类别 "{approval}" 未在 approvals 中规定由谁办理')
                )
    if profile.filing is not None:
        form = docs.get(profile.filing.form)
        if form is None:
            problems.append(("filing.form", f'文书类型 "{profile.filing.form}" 不在 document_types 目录中'))
        else:
            field_ids = {f.id for f in form.fields}
            for j, fid in enumerate(profile.filing.required_fields):
                if fid not in field_ids:
                    problems.append(
                        (
                            f"filing.required_fields[{j}]",
                            f'字段 "{fid}" 不是 {form.name}（{profile.filing.form}）的字段',
                        )
                    )
    access_ids: set[str] = set()
    for i, rule in enumerate(profile.access):
        if rule.id in access_ids:
            problems.append((f"access[{i}].id", f'访问规则代码 "{rule.id}" 重复'))
        access_ids.add(rule.id)
    if clause_ids is not None:
        for where, cid in _clause_refs(profile.model_dump(mode="json")):
            if cid not in clause_ids:
                problems.append((where, f'未知条款编号 "{cid}"（clauses.yaml 中没有）'))
    return problems


# ---------------------------------------------------------------- one file, one folder


def parse_profile(data: Any, *, file: str, expected_id: str | None, clause_ids: frozenset[str] | None) -> Profile:
    """Validate plain data as a profile; raise ProfileInvalid listing every issue."""
    if not isinstance(data, dict):
        raise ProfileInvalid([ProfileIssue(file, "", "文件内容应为映射（键: 值），不是列表或文本")])
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        issues = [ProfileIssue(file, _path(tuple(e["loc"])), _describe(e)) for e in exc.errors()]
        raise ProfileInvalid(issues) from None
    problems = cross_check(profile, clause_ids=clause_ids)
    if expected_id is not None and profile.id != expected_id:
        problems.insert(0, ("id", f'配置编号 "{profile.id}" 与文件名不一致，应为 "{expected_id}"'))
    if problems:
        raise ProfileInvalid([ProfileIssue(file, p, m) for p, m in problems])
    return profile


def read_profile_file(path: Path) -> Any:
    """One profile file as plain data, before inheritance; ProfileInvalid when it cannot be read."""
    file = display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileInvalid([ProfileIssue(file, "", "文件不存在")]) from None
    except UnicodeDecodeError:
        raise ProfileInvalid([ProfileIssue(file, "", "文件不是 UTF-8 编码")]) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise ProfileInvalid([ProfileIssue(file, where, f"YAML 格式错误：{what}")]) from None
    if not isinstance(data, dict):
        raise ProfileInvalid([ProfileIssue(file, "", "文件内容应为映射（键: 值），不是列表或文本")])
    return data


def _resolve(path: Path, raw: dict[str, dict[str, Any]], clause_ids: frozenset[str] | None) -> Profile:
    file = display_name(path)
    own = raw[path.stem]
    missing = [k for k in ("id", "version") if k not in own]
    if missing and own.get("baseline"):
        raise ProfileInvalid(
            [ProfileIssue(file, k, "每个配置须写明自己的 id 与 version（不从基线继承）") for k in missing]
        )
    return parse_profile(
        effective_data(raw, path.stem, directory=path.parent), file=file, expected_id=path.stem, clause_ids=clause_ids
    )


def load_profile_file(path: Path, *, clause_ids: frozenset[str] | None = None) -> Profile:
    """One profile with its baselines, read from the same folder."""
    raw = {path.stem: read_profile_file(path)}
    parent = raw[path.stem].get("baseline")
    while isinstance(parent, str) and parent and parent not in raw:
        candidate = path.parent / f"{parent}.yaml"
        if not candidate.is_file():
            break
        raw[parent] = read_profile_file(candidate)
        parent = raw[parent].get("baseline")
    return _resolve(path, raw, clause_ids)


@dataclass
class CheckResult:
    profiles: dict[str, Profile] = field(default_factory=dict)
    issues: list[ProfileIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


def check_directory(directory: Path | None = None) -> CheckResult:
    """Load every ``*.yaml`` in ``directory`` (default settings.POLICY_DIR) and collect all issues."""
    directory = Path(directory or settings.POLICY_DIR)
    result = CheckResult()
    clause_ids = known_clause_ids()
    if clause_ids is None:
        result.warnings.append(f"未找到条款目录 {clauses_file()}，跳过条款编号校验（可设置 LIUHEN_REGULATIONS_DIR）")
    if not directory.is_dir():
        result.issues.append(ProfileIssue(display_name(directory), "", "配置目录不存在"))
        return result
    files = sorted(directory.glob("*.yaml"))
    if not files:
        result.issues.append(ProfileIssue(display_name(directory), "", "配置目录中没有 *.yaml 配置文件"))
    raw: dict[str, dict[str, Any]] = {}
    for path in files:
        try:
            raw[path.stem] = read_profile_file(path)
        except ProfileInvalid as exc:
            result.issues.extend(exc.issues)
    for path in files:
        if path.stem not in raw:
            continue
        try:
            profile = _resolve(path, raw, clause_ids)
        except ProfileInvalid as exc:
            result.issues.extend(exc.issues)
            continue
        result.profiles[profile.id] = profile
    for pid, profile in result.profiles.items():
        if profile.baseline and profile.baseline not in result.profiles:
            file = display_name(directory / f"{pid}.yaml")
            issue = ProfileIssue(file, "baseline", f'基线配置 "{profile.baseline}" 不存在或未通过校验')
            if issue not in result.issues:
                result.issues.append(issue)
    return result


# ---------------------------------------------------------------- the registry code reads through

_lock = threading.Lock()
_cache: dict[str, tuple[tuple[Any, ...], CheckResult]] = {}


def _signature(directory: Path) -> tuple[Any, ...]:
    clauses = clauses_file()
    parts: list[Any] = [clauses.stat().st_mtime_ns if clauses.exists() else None]
    if directory.is_dir():
        for p in sorted(directory.glob("*.yaml")):
            st = p.stat()
            parts.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(parts)


def registry(directory: Path | None = None) -> CheckResult:
    """The checked profiles of ``directory``, re-read only when a file changed."""
    directory = Path(directory or settings.POLICY_DIR)
    sig = _signature(directory)
    key = str(directory)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == sig:
            return hit[1]
        result = check_directory(directory)
        _cache[key] = (sig, result)
        return result


def profile_ids() -> list[str]:
    return sorted(registry().profiles)


def get_profile(profile_id: str) -> Profile:
    """The current profile ``profile_id``; ProfileNotFound for an unknown id, ProfileInvalid for a broken one."""
    result = registry()
    if profile_id in result.profiles:
        return result.profiles[profile_id]
    own = [i for i in result.issues if Path(i.file).stem == profile_id]
    if own:
        raise ProfileInvalid(own)
    raise ProfileNotFound(f'执法规则配置 "{profile_id}" 不存在', profile_id=profile_id)


def assert_profiles_valid() -> None:
    """Raise ProfileInvalid unless every profile loads: called where the web server starts."""
    result = registry()
    if result.issues:
        raise ProfileInvalid(result.issues)


# ---------------------------------------------------------------- content identity


def canonical_content(profile: Profile) -> dict[str, Any]:
    return profile.model_dump(mode="json")


def canonical_bytes(profile: Profile) -> bytes:
    return json.dumps(canonical_content(profile), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def profile_digest(profile: Profile) -> str:
    """SHA-256 of the canonical JSON: what a version number promises not to change."""
    return hashlib.sha256(canonical_bytes(profile)).hexdigest()
