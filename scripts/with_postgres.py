#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL cluster, then stop and delete the cluster.

    scripts/with_postgres.py [--quiet] -- COMMAND [ARG ...]

The cluster lives in a short temporary folder (unix sockets allow ~100 bytes of path), listens only
on its unix socket there, trusts local connections and has a database ``liuhen`` whose owner is the
superuser ``postgres`` (Django's test runner creates ``test_liuhen`` beside it). The command gets
``DATABASE_URL`` (and PGHOST/PGPORT/PGUSER/PGDATABASE) pointing at it. Durability is switched off:
the data is thrown away.

As root, ``initdb``/``pg_ctl`` run as the ``postgres`` user through ``runuser`` (PostgreSQL refuses
to run as root; pytest-postgresql's launcher refuses too, hence this script). As any other user they
run directly. Binaries: ``$LIUHEN_PG_BINDIR``, else the newest ``/usr/lib/postgresql/*/bin``, else
``initdb`` on PATH.

The cluster is always stopped and deleted: on success, on failure, on Ctrl-C and on SIGTERM. The exit
code is the command's (128+N when it died of signal N; 130 after Ctrl-C; 125 when the cluster
could not be set up).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

PORT = 5432  # only names the socket file; nothing listens on TCP
DATABASE = "liuhen"
SUPERUSER = "postgres"
SETUP_FAILED = 125  # the wrapper itself failed (as env(1) and docker do); the command never ran


class PostgresError(RuntimeError):
    """The throwaway cluster could not be set up."""


def find_bindir() -> Path:
    if env := os.environ.get("LIUHEN_PG_BINDIR"):
        if not (Path(env) / "initdb").exists():
            raise PostgresError(f"LIUHEN_PG_BINDIR={env} has no initdb")
        return Path(env)

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)

    candidates = sorted((p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()), key=version)
    if candidates:
        return candidates[-1]
    if found := shutil.which("initdb"):
        return Path(found).parent
    raise PostgresError(
        "找不到 PostgreSQL PostgreSQL not found: no /usr/lib/postgresql/*/bin/initdb and no initdb on PATH "
        "(Debian: apt-get install postgresql; or set LIUHEN_PG_BINDIR)"
    )


class Cluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.root: Path | None = None
        self.started = False

    @property
    def datadir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    def _server_cmd(self, *args: str | Path) -> list[str]:
        cmd = [str(a) for a in args]
        if self.as_root:
            return ["runuser", "-u", SUPERUSER, "--", *cmd]
        return cmd

    def _run(self, *args: str | Path) -> None:
        result = subprocess.run(
            self._server_cmd(*args), stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise PostgresError(
                f"{' '.join(str(a) for a in args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
                + self._log_tail()
            )

    def _log_tail(self) -> str:
        try:
            return "\n--- server log ---\n" + self.logfile.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def start(self) -> None:
        if self.as_root:
            try:
                owner = pwd.getpwnam(SUPERUSER)
            except KeyError as exc:
                raise PostgresError(
                    "running as root needs a 'postgres' system user (apt-get install postgresql)"
                ) from exc
        # /tmp, not $TMPDIR: the socket path must stay short.
        self.root = Path(tempfile.mkdtemp(prefix="lhpg-", dir="/tmp"))
        if self.as_root:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self._run(
            self.bindir / "initdb",
            "-D",
            self.datadir,
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        options = " ".join(
            [
                "-c listen_addresses=''",
                f"-c unix_socket_directories={self.root}",
                f"-c port={PORT}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=50",
            ]
        )
        self.started = True  # from here on, stop() must try pg_ctl stop
        self._run(
            self.bindir / "pg_ctl", "start", "-w", "-t", "60", "-D", self.datadir, "-l", self.logfile, "-o", options
        )
        result = subprocess.run(
            [self.bindir / "createdb", "-h", str(self.root), "-p", str(PORT), "-U", SUPERUSER, DATABASE],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresError(f"createdb failed: {result.stderr}")

    def version(self) -> str:
        result = subprocess.run(
            [self.bindir / "postgres", "--version"],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        return result.stdout.strip() or f"PostgreSQL ({self.bindir})"

    def env(self) -> dict[str, str]:
        assert self.root is not None
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"postgres://{SUPERUSER}@{quote(str(self.root), safe='')}:{PORT}/{DATABASE}",
            PGHOST=str(self.root),
            PGPORT=str(PORT),
            PGUSER=SUPERUSER,
            PGDATABASE=DATABASE,
        )
        return env

    def stop(self) -> None:
        """Stop the server and delete every file; never raises, reports what it could not do."""
        if self.root is None:
            return
        if self.started and (self.datadir / "postmaster.pid").exists():
            try:
                subprocess.run(
                    self._server_cmd(self.bindir / "pg_ctl", "stop", "-D", self.datadir, "-m", "immediate", "-w"),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    check=False,
                    timeout=60,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                print(f"with_postgres: pg_ctl stop failed: {exc}", file=sys.stderr)
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root.exists():
            print(f"with_postgres: could not delete {self.root}", file=sys.stderr)
        self.root = None


class Signals:
    """Record SIGINT/SIGTERM/SIGHUP instead of raising, so that no signal can cut the cleanup short.

    The command is started in our process group, so a terminal's Ctrl-C reaches it directly; SIGTERM
    and SIGHUP sent to this script alone are passed on to it.
    """

    HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.received: list[int] = []
        self.child: subprocess.Popen[bytes] | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Signals:
        self._previous = {sig: signal.signal(sig, self._handle) for sig in self.HANDLED}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]

    def _handle(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        if self.child is not None and signum != signal.SIGINT:
            self.forward(signum)

    def forward(self, signum: int) -> None:
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError):
                self.child.send_signal(signum)

    @property
    def exit_code(self) -> int:
        return 128 + self.received[0] if self.received else 0


def run_command(command: list[str], env: dict[str, str], signals: Signals) -> int:
    if signals.received:  # interrupted while the cluster was starting: do not start the command
        return signals.exit_code
    signals.child = proc = subprocess.Popen(command, env=env)
    if signals.received:  # a signal between the check above and now may have missed the child
        signals.forward(signals.received[0])
    code = proc.wait()
    if code < 0:
        return 128 - code
    if code == 0 and signals.received:
        return signals.exit_code
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true", help="no banner")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG ...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given: scripts/with_postgres.py -- COMMAND [ARG ...]")

    cluster: Cluster | None = None
    with Signals() as signals:
        try:
            cluster = Cluster(find_bindir())
            started_at = time.monotonic()
            cluster.start()
            if not args.quiet:
                print(
                    f"==== PostgreSQL 测试轮 PostgreSQL pass: {cluster.version()}, throwaway cluster in {cluster.root}"
                    f" (started in {time.monotonic() - started_at:.1f}s) ====",
                    flush=True,
                )
            return run_command(command, cluster.env(), signals)
        except PostgresError as exc:
            print(f"with_postgres: {exc}", file=sys.stderr)
            return signals.exit_code or SETUP_FAILED
        finally:
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
