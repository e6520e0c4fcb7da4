"""benchmarks/__main__.py: each bench_*.py runs as its own script; the summary says which ran and which failed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_runs_each_bench_as_script__summary_names_failures(tmp_path):
    (tmp_path / "bench_alpha.py").write_text(
        "import os, sys, liuhen\n"
        "print('settings', os.environ['DJANGO_SETTINGS_MODULE'], 'main', __name__)\n"
        "print('ratio alpha/plain: 1.50x')\n"
    )
    (tmp_path / "bench_broken.py").write_text("print('half way')\nraise SystemExit(3)\n")
    (tmp_path / "bench_quiet.py").write_text("print('no figures')\n")
    (tmp_path / "helper.py").write_text("raise SystemExit('not a benchmark')\n")

    result = _run("--dir", str(tmp_path))

    assert result.returncode == 1
    out = result.stdout
    assert "settings liuhen.settings main __main__" in out  # streamed, run as a script with the repo importable
    assert "half way" in out
    summary = out.split("benchmark summary", 1)[1]
    assert "ok   bench_alpha.py" in summary
    assert "ratio alpha/plain: 1.50x" in summary
    assert "FAIL bench_broken.py" in summary and "failed (exit 3)" in summary
    assert "(printed no ratio line)" in summary
    assert "helper" not in out
    assert summary.rstrip().endswith("2 ran, 1 failed: bench_broken.py")


def test_name_filter_and_success_exit(tmp_path):
    (tmp_path / "bench_alpha.py").write_text("print('ratio a: 1x')\n")
    (tmp_path / "bench_broken.py").write_text("raise SystemExit(3)\n")
    result = _run("--dir", str(tmp_path), "alpha")
    assert result.returncode == 0
    assert "bench_broken" not in result.stdout
    assert result.stdout.rstrip().endswith("1 ran, 0 failed")


def test_no_benchmarks__is_an_error_not_a_silent_pass(tmp_path):
    result = _run("--dir", str(tmp_path))
    assert result.returncode == 1
    assert "no benchmarks found" in result.stderr


def test_timeout__counts_as_failure(tmp_path):
    (tmp_path / "bench_slow.py").write_text("import time\nprint('start', flush=True)\ntime.sleep(60)\n")
    result = _run("--dir", str(tmp_path), "--timeout", "1")
    assert result.returncode == 1
    assert "timed out after 1s" in result.stdout
