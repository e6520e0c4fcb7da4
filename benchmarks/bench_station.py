"""The collection station importing N files from two folders versus ``cp`` of the same files.

    .venv/bin/python benchmarks/bench_station.py   (LIUHEN_BENCH_STATION_FILES=20, LIUHEN_BENCH_STATION_MB=5000)

Against the same gunicorn server as ``bench_tus.py``: ``python -m liuhen.station`` (8 MiB chunks)
imports two folders of generated files, each uploaded, then checked against the server's stored
SHA-256; wall time from start to exit. Baseline: ``cp`` of both folders to another folder on the
same disk, same run. Ratio = cp time / station time (goal >= 0.5).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.media_server import REPO, Server, make_file

MB = 1000 * 1000


def main() -> int:
    files = int(os.environ.get("LIUHEN_BENCH_STATION_FILES", "20"))
    total_mb = int(os.environ.get("LIUHEN_BENCH_STATION_MB", "5000"))
    per_file = total_mb * MB // files
    with tempfile.TemporaryDirectory(prefix="bench-station-", dir=os.environ.get("LIUHEN_BENCH_DIR")) as tmp:
        root = Path(tmp)
        folders = [root / "dock1", root / "dock2"]
        for folder in folders:
            folder.mkdir()
        for n in range(files):
            make_file(folders[n % 2] / f"clip-{n:03d}.mp4", per_file, seed=1000 + n)
        subprocess.run(["sync"], check=False)
        started = time.perf_counter()
        for folder in folders:
            subprocess.run(["cp", "-r", str(folder), str(root / f"copy-{folder.name}")], check=True)
        cp_s = time.perf_counter() - started
        for folder in folders:
            shutil.rmtree(root / f"copy-{folder.name}")
        with Server(root) as server:
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            env.pop("DJANGO_SETTINGS_MODULE", None)
            subprocess.run(["sync"], check=False)
            started = time.perf_counter()
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "liuhen.station",
                    "--server",
                    server.url,
                    "--token",
                    server.token,
                    "--state-dir",
                    str(root / "state"),
                    *map(str, folders),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            station_s = time.perf_counter() - started
            if proc.returncode != 0:
                print(proc.stdout[-3000:])
                return 1
            rss = server.worker_peak_rss_mb()
        print(
            f"{files} files / {total_mb} MB from 2 folders: station {station_s:.2f} s ({total_mb / station_s:.0f} MB/s), "
            f"cp {cp_s:.2f} s ({total_mb / cp_s:.0f} MB/s); ratio {cp_s / station_s:.2f} (goal >= 0.5); "
            f"server peak RSS {rss:.1f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
