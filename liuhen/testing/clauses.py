"""Pytest plugin: clause traceability.

A test names the obligations it proves with ``@pytest.mark.clause("<id>", ...)``; the ids come from
``regulations/clauses.yaml``. This plugin

- fails the run at collection when a marker names an id the catalogue does not know (or names none),
  with the test and the id in the message;
- prints, before pytest's final line, ``条款覆盖 clauses proven: N/138 (by passing tests)`` and how many
  clause-marked tests passed, failed and were skipped;
- when ``LIUHEN_TRACEABILITY_WRITE=1`` and the run was the whole suite (no -k/-m/path subset, nothing
  deselected, not stopped early), writes ``docs/traceability.md``: per clause its rule, whether it is
  proven, the tests that prove it and the modules (``liuhen/**/*.py``) and policy profile entries
  (``policies/*.yaml``) that name it. The file is deterministic: sorted, no timestamps.

A clause counts as proven when at least one test marked for it passed and none marked for it failed.
Parametrised tests are listed once per function: passed only if every parameter set passed.

ini options (for the plugin's own tests): ``clauses_file`` (catalogue path), ``traceability_file``
(output path, default ``docs/traceability.md``), both relative to the rootdir.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from django.conf import settings

WRITE_ENV = "LIUHEN_TRACEABILITY_WRITE"
USER_PROPERTY = "liuhen_clauses"  # how a worker's clause ids reach the controller under pytest-xdist
DEFAULT_OUTPUT = "docs/traceability.md"

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
_STATUS_MARK = {PASSED: "✅ 通过", FAILED: "❌ 失败", SKIPPED: "⏭ 跳过", None: "— 未运行"}


@dataclass(frozen=True)
class Clause:
    id: str
    rule: str


class CatalogueError(Exception):
    """The clause catalogue is missing or malformed."""


def load_catalogue(path: Path) -> dict[str, Clause]:
    """Read ``clauses.yaml`` into ``{id: Clause}``; raise CatalogueError with the path when it cannot."""
    if not path.is_file():
        raise CatalogueError(
            f"找不到条款清单 clause catalogue not found: {path}\n"
            "  The catalogue lives in the repository at regulations/clauses.yaml "
            "(LIUHEN_REGULATIONS_DIR names another folder holding clauses.yaml)."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"条款清单无法解析 clause catalogue is not valid YAML: {path}: {exc}") from exc
    entries = data.get("clauses") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CatalogueError(f"条款清单格式错误 clause catalogue has no 'clauses' list: {path}")
    catalogue: dict[str, Clause] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise CatalogueError(f"条款清单格式错误 clause entry without a string id in {path}: {entry!r}")
        catalogue[entry["id"]] = Clause(id=entry["id"], rule=str(entry.get("rule", "")).strip())
    return catalogue


def short_rule(rule: str, limit: int = 60) -> str:
    """The rule's first sentence, cut to ``limit`` characters, one line, safe inside a Markdown table."""
    text = " ".join(rule.split())
    first, depth = text, 0
    for at, char in enumerate(text):
        depth += (char in "（(") - (char in "）)")
        if char in "。；" and depth <= 0:
            first = text[: at + 1]
            break
    if len(first) > limit:
        first = first[: limit - 1] + "…"
    return first.replace("|", "\\|")


def default_catalogue_path(rootpath: Path) -> Path:
    """settings.REGULATIONS_DIR when Django is configured, else LIUHEN_REGULATIONS_DIR, else the
    repository's own ``regulations/``."""
    folder: Path | None = None
    if settings.configured:
        folder = Path(getattr(settings, "REGULATIONS_DIR", "")) or None
    if folder is None:
        env = os.environ.get("LIUHEN_REGULATIONS_DIR")
        folder = Path(env) if env else rootpath / "regulations"
    return folder / "clauses.yaml"


class _ProfileLoader(yaml.SafeLoader):
    """Profiles mark baseline entries that do not apply with ``!remove`` (liuhen.policy.loader)."""


_ProfileLoader.add_constructor("!remove", lambda loader, node: None)


def scan_sources(rootpath: Path, ids: list[str]) -> dict[str, list[str]]:
    """Map clause id -> sorted implementing places: ``liuhen/**/*.py`` (tests excluded) that name it, and
    ``policies/<file>.yaml: <entry path>`` for profile entries whose value is the id."""
    found: dict[str, set[str]] = {cid: set() for cid in ids}
    if not ids:
        return {}
    # Longest first so that an id which is a prefix of another (a-b vs a-b-c) never shadows it.
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r")(?![\w-])"
    )
    package = rootpath / "liuhen"
    for path in sorted(package.rglob("*.py")) if package.is_dir() else []:
        rel = path.relative_to(rootpath)
        if "tests" in rel.parts or path.name.startswith("test_") or "migrations" in rel.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for cid in set(pattern.findall(text)):
            found[cid].add(rel.as_posix())
    policies = rootpath / "policies"
    for path in sorted(policies.glob("*.yaml")) if policies.is_dir() else []:
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_ProfileLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        per_clause: dict[str, set[str]] = {}
        _walk_yaml(data, (), set(ids), per_clause)
        rel = path.relative_to(rootpath).as_posix()
        for cid, places in per_clause.items():
            found[cid].add(f"{rel}: {', '.join(sorted(places))}")
    return {cid: sorted(places) for cid, places in found.items() if places}


def _walk_yaml(node: object, where: tuple[str, ...], ids: set[str], out: dict[str, set[str]]) -> None:
    """Collect the entry path (without the clause key itself) of every value equal to an id."""
    if isinstance(node, dict):
        for key, value in node.items():
            _walk_yaml(value, (*where, str(key)), ids, out)
    elif isinstance(node, list):
        for value in node:
            # A list entry with an id names itself: av_checklist[coercive_measures].
            ident = next((value[k] for k in ("id", "code") if isinstance(value, dict) and k in value), None)
            if ident is not None and where:
                _walk_yaml(value, (*where[:-1], f"{where[-1]}[{ident}]"), ids, out)
            else:
                _walk_yaml(value, where, ids, out)
    elif isinstance(node, str) and node in ids:
        entry = [part for part in where if not re.fullmatch(r"(\w+_)?clauses?(_ids?)?", part)]
        out.setdefault(node, set()).add(".".join(entry) or "(top level)")


@dataclass
class ClauseTracker:
    """What the run collected and how each clause-marked test ended."""

    rootpath: Path
    catalogue_path: Path | None = None
    catalogue: dict[str, Clause] = field(default_factory=dict)
    marked: dict[str, tuple[str, ...]] = field(default_factory=dict)  # nodeid -> clause ids (selected items)
    outcomes: dict[str, str] = field(default_factory=dict)  # nodeid -> passed/failed/skipped
    deselected: int = 0
    written: Path | None = None
    write_skipped_reason: str | None = None

    def record(self, report: pytest.TestReport) -> None:
        if report.nodeid not in self.marked:
            # Under pytest-xdist the workers collect: the ids travel with the report (user_properties).
            ids = dict(report.user_properties).get(USER_PROPERTY)
            if not ids:
                return
            self.marked[report.nodeid] = tuple(ids)
        previous = self.outcomes.get(report.nodeid)
        if report.failed:
            self.outcomes[report.nodeid] = FAILED
        elif report.skipped and previous != FAILED:
            # An xfail is reported as skipped: it proves nothing.
            self.outcomes[report.nodeid] = SKIPPED
        elif report.when == "call" and report.passed and previous is None:
            # A non-strict xpass is "passed" with wasxfail: the test expected the rule to fail.
            self.outcomes[report.nodeid] = SKIPPED if hasattr(report, "wasxfail") else PASSED

    def test_status(self) -> dict[str, dict[str, str | None]]:
        """clause id -> {test function id: aggregated status}; parameter sets folded into their function."""
        per_clause: dict[str, dict[str, str | None]] = {}
        for nodeid, ids in self.marked.items():
            function = nodeid.split("[", 1)[0]
            status = self.outcomes.get(nodeid)
            for cid in ids:
                tests = per_clause.setdefault(cid, {})
                tests[function] = _fold(tests.get(function, "unset"), status)
        return per_clause

    def proven(self) -> set[str]:
        result = set()
        for cid, tests in self.test_status().items():
            statuses = set(tests.values())
            if PASSED in statuses and FAILED not in statuses:
                result.add(cid)
        return result

    def counts(self) -> dict[str, int]:
        counts = {PASSED: 0, FAILED: 0, SKIPPED: 0}
        for status in self.outcomes.values():
            counts[status] += 1
        return counts


def _fold(current: str | None, new: str | None) -> str | None:
    if current == "unset":
        return new
    order = [FAILED, None, SKIPPED, PASSED]  # the worst status of a function's parameter sets wins
    return min(current, new, key=order.index)


def render(tracker: ClauseTracker, sources: dict[str, list[str]]) -> str:
    """docs/traceability.md: deterministic, sorted by clause id."""
    status = tracker.test_status()
    proven = tracker.proven()
    catalogue = tracker.catalogue
    lines = [
        "# 条款追溯 Clause traceability",
        "",
        "<!-- Generated by liuhen/testing/clauses.py during `make test` (LIUHEN_TRACEABILITY_WRITE=1). Do not edit. -->",
        "",
        "每条义务（`regulations/clauses.yaml`）由哪些测试证明、由哪些模块与政策配置实现。"
        "条款被证明 = 至少一个标注该条款的测试通过，且没有标注该条款的测试失败。",
        "",
        f"- 条款总数 clauses: {len(catalogue)}",
        f"- 已由通过的测试证明 proven by passing tests: {len(proven & catalogue.keys())}",
        f"- 已有实现但未证明 implemented, not proven: {len((sources.keys() & catalogue.keys()) - proven)}",
        f"- 既无测试也无实现 neither: {len(catalogue.keys() - sources.keys() - status.keys())}",
        "",
        "| 条款 id | 规则（摘要） | 证明 | 测试 | 实现 |",
        "|---|---|---|---|---|",
    ]
    for cid in sorted(catalogue):
        tests = status.get(cid, {})
        test_cells = "<br>".join(f"`{name}` {_STATUS_MARK[tests[name]]}" for name in sorted(tests)) or "—"
        impl = "<br>".join(f"`{place}`" for place in sources.get(cid, [])) or "—"
        mark = "✅" if cid in proven else "—"
        lines.append(f"| `{cid}` | {short_rule(catalogue[cid].rule)} | {mark} | {test_cells} | {impl} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- pytest hooks


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("clauses_file", "clause catalogue (default: settings.REGULATIONS_DIR/clauses.yaml)")
    parser.addini("traceability_file", f"where the traceability report is written (default {DEFAULT_OUTPUT})")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the regulation clauses this test proves")
    config.pluginmanager.register(ClausePlugin(config), "liuhen-clause-traceability")


class ClausePlugin:
    """Per-run hooks; the state lives in ``self.tracker``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.tracker = ClauseTracker(rootpath=config.rootpath)

    def _catalogue_path(self) -> Path:
        configured = self.config.getini("clauses_file")
        if configured:
            return (self.config.rootpath / configured).resolve()
        return default_catalogue_path(self.config.rootpath)

    def _load(self) -> None:
        self.tracker.catalogue_path = self._catalogue_path()
        self.tracker.catalogue = load_catalogue(self.tracker.catalogue_path)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Check every collected item (before -k/-m deselection, so a subset run checks them all too)."""
        marked: dict[str, tuple[str, ...]] = {}
        problems: list[str] = []
        for item in items:
            ids: list[str] = []
            for mark in item.iter_markers("clause"):
                if not mark.args:
                    problems.append(f"{item.nodeid}: @pytest.mark.clause() 没有给出条款 id (names no clause id)")
                for arg in mark.args:
                    if isinstance(arg, str):
                        ids.append(arg)
                    else:
                        problems.append(f"{item.nodeid}: 条款 id 必须是字符串 (clause id must be a string): {arg!r}")
            if ids:
                marked[item.nodeid] = tuple(dict.fromkeys(ids))
        if not marked and not problems:
            return
        try:
            self._load()
        except CatalogueError as exc:
            raise pytest.UsageError(str(exc)) from exc
        for nodeid, ids in marked.items():
            problems.extend(
                f"{nodeid}: 未知条款 unknown clause id {cid!r}" for cid in ids if cid not in self.tracker.catalogue
            )
        if problems:
            raise pytest.UsageError(
                f"条款标注错误 clause marker errors (catalogue: {self.tracker.catalogue_path}):\n  "
                + "\n  ".join(problems)
            )
        self.tracker.marked = marked
        for item in items:
            if item.nodeid in marked:
                item.user_properties.append((USER_PROPERTY, list(marked[item.nodeid])))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        # Called for -k/-m/--deselect/--lf: a run with anything deselected is not the whole suite.
        self.tracker.deselected += len(items)
        for item in items:
            self.tracker.marked.pop(item.nodeid, None)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.tracker.record(report)

    def _whole_suite_reason(self, session: pytest.Session, exitstatus: int) -> str | None:
        """None when this run was the whole suite, else why not."""
        config = self.config
        if config.option.collectonly:
            return "--collect-only"
        if config.option.keyword:
            return "-k given"
        if config.option.markexpr:
            return "-m given"
        if self.tracker.deselected:
            return f"{self.tracker.deselected} tests deselected"
        if getattr(config.option, "deselect", None) or getattr(config.option, "lf", False):
            return "tests deselected"
        if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            return f"run ended with {pytest.ExitCode(exitstatus).name}"
        if session.shouldstop or session.shouldfail:
            return "run stopped early"
        if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
            return None
        root = config.rootpath.resolve()
        testpaths = {(root / p).resolve() for p in config.getini("testpaths")} or {root}
        if any("::" in arg for arg in config.args):
            return "single tests were given"
        given = {Path(arg).resolve() for arg in config.args}
        if root in given or testpaths <= given:
            return None
        return "a subset of paths was given"

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if os.environ.get(WRITE_ENV) != "1":
            return
        reason = self._whole_suite_reason(session, exitstatus)
        if reason is None and not self.tracker.catalogue:
            try:
                self._load()
            except CatalogueError:
                reason = "the clause catalogue was not found"
        if reason is not None:
            self.tracker.write_skipped_reason = reason
            return
        tracker = self.tracker
        output = tracker.rootpath / (self.config.getini("traceability_file") or DEFAULT_OUTPUT)
        text = render(tracker, scan_sources(tracker.rootpath, sorted(tracker.catalogue)))
        output.parent.mkdir(parents=True, exist_ok=True)
        if not output.exists() or output.read_text(encoding="utf-8") != text:
            output.write_text(text, encoding="utf-8")
        tracker.written = output

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int) -> None:
        """Printed before pytest's final "N passed" line, which CI reads; nothing is printed after that line."""
        tracker = self.tracker
        write = terminalreporter.write_line
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            write(
                "没有收集到任何测试 no tests were collected (pytest exit code 5): check the paths, -k and -m given.",
                red=True,
            )
            return
        if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED):
            return
        if not tracker.catalogue:
            try:
                self._load()
            except CatalogueError as exc:
                write(str(exc), red=True)
                return
        counts = tracker.counts()
        terminalreporter.write_sep("-", "clause traceability")
        write(f"条款覆盖 clauses proven: {len(tracker.proven())}/{len(tracker.catalogue)} (by passing tests)")
        write(
            f"clause-marked tests: {counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped",
            red=bool(counts[FAILED]),
        )
        if tracker.written is not None:
            write(f"traceability written: {tracker.written.relative_to(tracker.rootpath)}")
        elif tracker.write_skipped_reason:
            write(f"traceability not written ({tracker.write_skipped_reason}; only a whole-suite run writes it)")
