"""Run every ``benchmarks/bench_*.py`` as a separate process, stream its output, summarise the results.

    python -m benchmarks [NAME ...] [--dir DIR] [--timeout SECONDS]

NAME selects benchmarks whose file name contains it (``ledger`` runs ``bench_ledger.py``). The exit code
is 0 only when at least one benchmark ran and none failed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RATIO_LINE = re.compile(r"\bratio\b", re.IGNORECASE)


@dataclass
class Outcome:
    name: str
    status: str = "ok"
    returncode: int | None = 0
    seconds: float = 0.0
    ratios: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def discover(folder: Path, names: list[str]) -> list[Path]:
    found = sorted(folder.glob("bench_*.py"))
    if names:
        found = [path for path in found if any(name in path.stem for name in names)]
    return found


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("DJANGO_SETTINGS_MODULE", "liuhen.settings")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_one(path: Path, timeout: float | None) -> Outcome:
    outcome = Outcome(name=path.name)
    print(f"\n==== 基准 benchmark {path.name} ====", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(path)],
        cwd=REPO,
        env=bench_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        bufsize=1,
    )

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if RATIO_LINE.search(line):
                outcome.ratios.append(line.strip())

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        outcome.returncode = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        outcome.status, outcome.returncode = f"timed out after {timeout:.0f}s", None
    except KeyboardInterrupt:
        proc.kill()
        proc.wait()
        raise
    reader.join(timeout=5)
    outcome.seconds = time.monotonic() - started
    if outcome.returncode not in (0, None):
        outcome.status = f"failed (exit {outcome.returncode})"
    return outcome


def summary(outcomes: list[Outcome]) -> str:
    lines = ["", "==== 基准汇总 benchmark summary ===="]
    for outcome in outcomes:
        mark = "ok  " if outcome.ok else "FAIL"
        lines.append(
            f"{mark} {outcome.name:<32} {outcome.seconds:7.1f}s  {'' if outcome.ok else outcome.status}".rstrip()
        )
        lines.extend(f"       {ratio}" for ratio in outcome.ratios)
        if outcome.ok and not outcome.ratios:
            lines.append("       (printed no ratio line)")
    failed = [o for o in outcomes if not o.ok]
    lines.append(
        f"{len(outcomes) - len(failed)} ran, {len(failed)} failed"
        + (f": {', '.join(o.name for o in failed)}" if failed else "")
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only benchmarks whose file name contains one of these")
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent, help="where bench_*.py live")
    parser.add_argument("--timeout", type=float, default=None, help="seconds one benchmark may take")
    args = parser.parse_args(argv)

    paths = discover(args.dir, args.names)
    if not paths:
        wanted = f" matching {' '.join(args.names)}" if args.names else ""
        print(f"没有找到基准 no benchmarks found: {args.dir}/bench_*.py{wanted}", file=sys.stderr)
        return 1
    outcomes: list[Outcome] = []
    try:
        for path in paths:
            outcomes.append(run_one(path, args.timeout))
    except KeyboardInterrupt:
        print(summary(outcomes) + "\ninterrupted", flush=True)
        return 130
    print(summary(outcomes), flush=True)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
