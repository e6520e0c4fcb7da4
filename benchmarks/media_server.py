"""A real Liuhen server for the media benchmarks: a fresh data folder, migrated SQLite, one officer
with an API token, and gunicorn as ``scripts/serve.sh`` runs it (no task worker: probing is queued,
not run, so it does not compete with the measured upload)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
SETUP = r"""
import django; django.setup()
from liuhen.org.models import Agency, Department, Officer, RoleGrant, User
from liuhen.org.services import api_token_issue
import datetime as dt
agency = Agency.objects.create(code="bench", name="基准测试局", profile_id="national-baseline")
dept = Department.objects.create(agency=agency, code="enforcement", name="执法科")
officer = Officer.objects.create(agency=agency, department=dept, name="基准执法员", certificate_no="B0000001",
    certificate_issuer="测试", certificate_valid_from=dt.date(2024, 1, 1), certificate_valid_until=dt.date(2030, 12, 31))
user = User.objects.create_user(username="bench-station", password="Bench-station-2026!", agency=agency, officer=officer,
    display_name="采集站")
RoleGrant.objects.create(user=user, role="officer")
print(api_token_issue(actor=None, user=user, name="基准采集站")[1])
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {
            **os.environ,
            "LIUHEN_DATA_DIR": str(root / "data"),
            "DJANGO_SETTINGS_MODULE": "liuhen.settings",
            "PYTHONPATH": str(REPO),
        }
        self.env.pop("DATABASE_URL", None)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.token = ""

    def __enter__(self) -> Server:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        py = sys.executable
        subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=REPO, env=self.env, check=True)
        self.token = (
            subprocess.run([py, "-c", SETUP], cwd=REPO, env=self.env, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        gunicorn = str(Path(py).parent / "gunicorn")
        self.proc = subprocess.Popen(
            [
                gunicorn,
                "liuhen.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "900",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=self.env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code < 500:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def worker_peak_rss_mb(self) -> float:
        """The largest ``VmHWM`` (peak resident set) among the gunicorn workers, in MB."""
        peak = 0
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        return peak / 1024

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.root / "data", ignore_errors=True)


def make_file(path: Path, size: int, seed: int = 0) -> Path:
    import random

    block = bytearray(random.Random(seed).randbytes(8 * 1024 * 1024))
    with open(path, "wb") as fh:
        left, n = size, 0
        while left > 0:
            block[:8] = n.to_bytes(8, "big")  # every block differs: no accidental duplicates
            piece = block[: min(left, len(block))]
            fh.write(piece)
            left -= len(piece)
            n += 1
    return path


def timed_cp(src: Path, dst: Path) -> float:
    subprocess.run(["sync"], check=False)
    started = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    elapsed = time.perf_counter() - started
    dst.unlink()
    return elapsed
