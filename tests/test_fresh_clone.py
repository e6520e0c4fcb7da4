"""A clone of the repository with nothing beside it sets up and collects every test (issue 12 item 1).

The repository's files (what ``git ls-files`` lists, committed or not, untracked ones included unless
ignored) are copied into an empty temporary folder — no ``../shared``, no ``var/`` — and there
``make setup`` runs for real: the virtual environment is seeded with a copy of this one so that pip
finds every pinned package already installed (no download in a test) but still installs the clone
itself, whose commands the README names must then work; then pytest collects the whole suite in the
clone. Nothing in the repository may name a path outside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.clone, pytest.mark.xdist_group("fresh_clone")]


def _files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [f for f in listed.split("\0") if f and (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("no virtual environment to seed the clone's from (run make setup)")
    where = tmp_path_factory.mktemp("alone") / "liuhen"
    for name in _files():
        target = where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    subprocess.run(["cp", "-a", str(ROOT / ".venv"), str(where / ".venv")], check=True)
    if (ROOT / "node_modules").is_dir():
        subprocess.run(["cp", "-a", str(ROOT / "node_modules"), str(where / "node_modules")], check=True)
    # The clone's own stamps must be older than its requirements: make setup has to run pip again.
    for stamp in (where / ".venv" / ".stamp", where / "node_modules" / ".stamp"):
        stamp.unlink(missing_ok=True)
    return where


def _env(clone: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIUHEN_", "DJANGO_", "PYTEST_", "DATABASE_URL"))}
    env["PATH"] = f"{clone / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    return env


def test_nothing_in_the_repository_names_a_folder_beside_it():
    offenders = []
    for name in _files():
        if name.startswith(("tests/test_fresh_clone.py", "docs/traceability.md")):
            continue
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if "../shared" in text or "LIUHEN_SHARED_DIR" in text:
            offenders.append(name)
    assert offenders == []


def test_make_setup_installs_the_clone_and_its_commands(clone):
    run = subprocess.run(["make", "setup"], cwd=clone, env=_env(clone), capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for command in ("liuhen-station", "liuhen-witness"):
        shown = subprocess.run(
            [str(clone / ".venv" / "bin" / command), "--help"], env=_env(clone), capture_output=True, text=True
        )
        assert shown.returncode == 0 and "usage" in shown.stdout.lower(), (command, shown.stderr[-2000:])
    where = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-c", "import liuhen; print(liuhen.__file__)"],
        cwd="/",
        env=_env(clone),
        capture_output=True,
        text=True,
    )
    assert where.stdout.strip() == str(clone / "liuhen" / "__init__.py")  # the clone, not this checkout


def test_the_clone_collects_every_test(clone):
    ours = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    theirs = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=clone,
        env=_env(clone),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert theirs.returncode == 0, theirs.stdout[-3000:] + theirs.stderr[-3000:]
    assert _collected(theirs.stdout) == _collected(ours.stdout) > 0


def _collected(output: str) -> int:
    """The count of pytest's last line, ``1512 tests collected in 6.60s``."""
    lines = [line for line in output.splitlines() if " collected" in line]
    return int(lines[-1].split()[0]) if lines else 0
