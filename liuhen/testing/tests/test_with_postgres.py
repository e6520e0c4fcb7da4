"""scripts/with_postgres.py: a throwaway PostgreSQL cluster around a command, always cleaned up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from liuhen.testing.plugin import _database_vendor

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "with_postgres.py"

pytestmark = [
    pytest.mark.skipif(
        not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and not os.environ.get("LIUHEN_PG_BINDIR"),
        reason="PostgreSQL is not installed (apt-get install postgresql)",
    ),
]


@pytest.fixture(autouse=True)
def _once_per_make_test():
    # Starting a nested cluster from inside the PostgreSQL pass proves nothing new; the SQLite pass runs these.
    if _database_vendor() == "postgresql":
        pytest.skip("the wrapper script is tested in the SQLite pass")


def _server_running_in(folder: str) -> bool:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if folder.encode() in cmdline.read_bytes():
                return True
        except OSError:
            continue
    return False


PROBE = """
import os, sys
import psycopg
with psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
    row = conn.execute("select current_database(), rolsuper, rolcreatedb from pg_roles where rolname = current_user")
    print(os.environ["PGHOST"], *row.fetchone(), flush=True)
    conn.execute("create database test_probe")  # what Django's test runner does
    conn.execute("drop database test_probe")
sys.exit(7)
"""


def test_runs_command_against_cluster__passes_exit_code_and_deletes_cluster():
    result = subprocess.run(
        [sys.executable, SCRIPT, "--", sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 7, result.stderr
    banner, probe = result.stdout.splitlines()[:2]
    assert "PostgreSQL pass" in banner
    folder, database, superuser, createdb = probe.split()
    assert (database, superuser, createdb) == ("liuhen", "True", "True")
    assert len(folder) < 40  # the socket path limit is ~107 bytes
    assert not Path(folder).exists()
    assert not _server_running_in(folder)


def test_ctrl_c__stops_and_deletes_cluster():
    proc = subprocess.Popen(
        [
            sys.executable,
            SCRIPT,
            "--quiet",
            "--",
            sys.executable,
            "-c",
            "import os, time; print(os.environ['PGHOST'], flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        folder = proc.stdout.readline().strip()
        assert Path(folder, "data", "postmaster.pid").exists()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()
    assert not Path(folder).exists()
    assert not _server_running_in(folder)


def test_sigterm__stops_and_deletes_cluster():
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, "--quiet", "--", "sh", "-c", 'echo "$PGHOST"; exec sleep 120'],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        folder = proc.stdout.readline().strip()
        proc.terminate()  # only the wrapper; it passes the signal on
        assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()
    assert not Path(folder).exists()
    assert not _server_running_in(folder)


def test_missing_postgresql__clear_message_and_exit_125(tmp_path):
    env = {**os.environ, "LIUHEN_PG_BINDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, SCRIPT, "--", "true"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 125
    assert "initdb" in result.stderr


def test_no_command__usage_error():
    result = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no command given" in result.stderr
