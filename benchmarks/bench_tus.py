"""One large file through tus in 8 MB chunks over loopback versus ``cp`` of the same file; server peak RSS.

    .venv/bin/python benchmarks/bench_tus.py        (LIUHEN_BENCH_TUS_MB=400,4000 for the sizes, in MB)

The server is gunicorn (1 worker, 4 threads) on a fresh SQLite data folder in a temporary directory.
The client is tuspy with ``chunk_size`` 8 MiB; the time runs from the creation POST to the last
PATCH's answer, which comes after the server has streamed the file into the blob store (SHA-256 +
SM3, fsync) and committed the record. Baseline: ``cp FILE COPY`` on the same disk, same run.
Ratio = cp time / tus time (goal >= 0.6). Peak RSS = the gunicorn worker's VmHWM (goal < 150 MB,
flat across sizes).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.media_server import Server, make_file, timed_cp

MB = 1000 * 1000


def main() -> int:
    from tusclient import client as tus_client

    sizes = [int(s) for s in os.environ.get("LIUHEN_BENCH_TUS_MB", "400").split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-tus-", dir=os.environ.get("LIUHEN_BENCH_DIR")) as tmp:
        root = Path(tmp)
        with Server(root) as server:
            print(
                f"server {server.url} (gunicorn, 1 worker x 4 threads), idle RSS {server.worker_peak_rss_mb():.1f} MB"
            )
            for size_mb in sizes:
                src = make_file(root / f"clip-{size_mb}.bin", size_mb * MB, seed=size_mb)
                cp_s = timed_cp(src, root / "copy.bin")
                client = tus_client.TusClient(
                    f"{server.url}/api/uploads/", headers={"Authorization": f"Bearer {server.token}"}
                )
                uploader = client.uploader(
                    file_path=str(src), chunk_size=8 * 1024 * 1024, metadata={"filename": src.name}
                )
                started = time.perf_counter()
                uploader.upload()
                tus_s = time.perf_counter() - started
                rss = server.worker_peak_rss_mb()
                import requests

                upload_id = uploader.url.rsplit("/", 1)[1]
                got = requests.get(
                    f"{server.url}/api/media/by-upload/{upload_id}", headers={"Authorization": f"Bearer {server.token}"}
                ).json()
                digest = hashlib.sha256()
                with open(src, "rb") as fh:
                    while chunk := fh.read(8 * 1024 * 1024):
                        digest.update(chunk)
                assert got["record"]["sha256"] == digest.hexdigest(), "stored digest differs"
                print(
                    f"{size_mb} MB: tus {tus_s:.2f} s ({size_mb / tus_s:.0f} MB/s), cp {cp_s:.2f} s "
                    f"({size_mb / cp_s:.0f} MB/s); ratio {cp_s / tus_s:.2f} (goal >= 0.6); "
                    f"server peak RSS {rss:.1f} MB (goal < 150)"
                )
                src.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
