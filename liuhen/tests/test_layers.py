"""The direction of imports between apps, and no cycles (issue 12; docs/architecture.md).

Apps sit on layers; an app may import only apps on lower layers (and itself). A function-level import
of project code is allowed only in ``AppConfig.ready`` (where Django wants it) — elsewhere it would
hide a cycle or an upward import from this test — and modules of one app import each other without
going round in a circle. Tests, migrations and the test helpers (``liuhen.testing``) are not checked.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "liuhen"

# Lowest first. One layer may hold several apps that must not import one another.
LAYERS: list[tuple[str, ...]] = [
    ("core",),  # the kernel: write-once base, errors, time, clock tolerance, display names, policy base
    ("ledger",),  # the trail, blobs, checkpoints, verification
    ("policy",),  # profiles, the working-day calendar
    ("org",),  # agencies, departments, officers, users, role grants
    ("cases",),  # leads, cases, stages, approvals, deadlines
    ("documents",),  # 文书, signatures, PDFs, delivery
    ("devices",),  # body cameras
    ("media",),  # AV records: ingest and continuity
    ("archive",),  # case files, retention, evidence discs
    ("access", "supervision"),
    ("portal",),  # home, to-do, navigation, guide, demo
    ("api",),  # the REST API: every app's router
    ("urls", "wsgi", "asgi", "settings"),  # the project's own wiring
]
# Standalone programs: they import nothing of the project but themselves.
STANDALONE = ("station", "witness")
SKIPPED = ("testing", "tests")  # test helpers and the project-wide tests

LAYER_OF = {app: n for n, apps in enumerate(LAYERS) for app in apps}


def _assert_none(found: set[str], what: str) -> None:
    assert not found, f"{len(found)} {what} (docs/architecture.md):\n" + "\n".join(sorted(found))


@dataclass(frozen=True)
class Import:
    source: str  # module path, e.g. liuhen/cases/services.py
    line: int
    target: str  # imported module, e.g. liuhen.ledger.services
    in_function: str | None  # enclosing function name, None at module level
    member: bool = False  # ``from x import y`` read as module ``x.y`` (for cycles between modules)


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "liuhen" and len(parts) > 1 else None


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _checked_files() -> list[Path]:
    files = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if "tests" in parts or "migrations" in parts or parts[0] in SKIPPED:
            continue
        files.append(path)
    return files


def _visit(node: ast.AST, function: str | None, *, rel: str, module: str, package: bool, out: list[Import]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = child.name if function is None else f"{function}.{child.name}"
            _visit(child, inner, rel=rel, module=module, package=package, out=out)
        elif isinstance(child, ast.Import):
            out.extend(Import(rel, child.lineno, alias.name, function) for alias in child.names)
        elif isinstance(child, ast.ImportFrom):
            target = _resolve(child, module, package)
            out.append(Import(rel, child.lineno, target, function))
            # ``from liuhen.x import y`` may name the module liuhen.x.y (it matters for cycles)
            out.extend(Import(rel, child.lineno, f"{target}.{a.name}", function, member=True) for a in child.names)
        else:
            _visit(child, function, rel=rel, module=module, package=package, out=out)


def _imports() -> list[Import]:
    found: list[Import] = []
    for path in _checked_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = str(path.relative_to(ROOT))
        _visit(tree, None, rel=rel, module=_module_name(path), package=path.name == "__init__.py", out=found)
    return [i for i in found if i.target.startswith("liuhen")]


def _source_app(imp: Import) -> str:
    parts = Path(imp.source).with_suffix("").parts
    return parts[1]


def test_every_app_is_on_a_layer():
    apps = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    apps |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    unknown = sorted(apps - set(LAYER_OF) - set(STANDALONE) - set(SKIPPED) - {"templates", "static"})
    assert unknown == [], f"apps not placed on a layer in {__file__}: {unknown}"


def test_no_app_imports_upward_or_sideways():
    wrong = set()
    for imp in _imports():
        if imp.member:
            continue
        source, target = _source_app(imp), _app(imp.target)
        if target is None or target == source or (target not in LAYER_OF and target not in STANDALONE):
            continue
        if source in STANDALONE or target in STANDALONE or LAYER_OF[target] >= LAYER_OF[source]:
            wrong.add(f"{imp.source} -> {imp.target}")
    _assert_none(wrong, "imports against the layers")


def test_project_code_is_imported_at_module_level_only():
    """Outside ``AppConfig.ready`` a function-level import of project code hides a cycle or an upward edge."""
    wrong = {
        f"{imp.source} in {imp.in_function}(): {imp.target}"
        for imp in _imports()
        if not imp.member
        and imp.in_function is not None
        and not (imp.source.endswith("apps.py") and imp.in_function.split(".")[0] == "ready")
    }
    _assert_none(wrong, "function-level imports of project code")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return result


def test_no_module_cycles():
    modules = {_module_name(p) for p in _checked_files()}
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in _imports():
        source = _module_name(ROOT / imp.source)
        if imp.target in modules and imp.target != source and not imp.target.startswith(source + "."):
            graph[source].add(imp.target)
    cycles = {" <-> ".join(c) for c in _cycles(graph)}
    _assert_none(cycles, "circles of modules that import each other")


@pytest.mark.parametrize("name", STANDALONE)
def test_standalone_programs_import_no_django(name):
    for path in (PACKAGE / name).rglob("*.py"):
        if "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level]
        assert not [n for n in names if n.split(".")[0] == "django"], path
