"""Ingest through the local blob store versus ``cp`` + ``sha256sum`` of the same file, and peak RSS.

    .venv/bin/python benchmarks/bench_blobstore.py [--sizes-mb 200,2000] [--repeat 2] [--dir DIR]

For each size a file is generated in a temporary folder (deleted afterwards). In the same run:

- baseline: ``cp FILE COPY`` then ``sha256sum FILE`` (wall time of both);
- ingest: a child process (Django set up, ``LIUHEN_DATA_DIR`` in the temporary folder) calls
  ``get_store().put(file)``: SHA-256 and SM3 in one pass, temporary file, fsync, link, fsync dir;
  its peak RSS is the child's own ``VmHWM`` (``ru_maxrss`` of a child counts the parent's RSS at fork);
- ceiling: SM3 alone over the same file in this process (OpenSSL), the slowest step of the ingest.

Prints ``ratio`` lines (baseline time / ingest time; 1.0 = as fast as cp + sha256sum). Goal: ratio
>= 0.8 at 2 GB; RSS < 100 MB and flat from 200 MB to 2 GB. The page cache is shared by every step
(the file is read from memory each time); ``sync`` runs between steps so that one step's writeback
does not land on the next. Best of ``--repeat`` runs per step.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1000 * 1000
BLOCK = 8 * 1024 * 1024

CHILD = r"""
import json, os, resource, sys, time

def hwm_kb():
    # VmHWM: peak RSS of this process image only (ru_maxrss would include the parent's at fork).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

import django
django.setup()
from liuhen.ledger.blobstore.backends import get_store
store = get_store()
before = hwm_kb()
cpu0 = resource.getrusage(resource.RUSAGE_SELF)
started = time.perf_counter()
with open(sys.argv[1], "rb", buffering=0) as stream:
    result = store.put(stream)
elapsed = time.perf_counter() - started
cpu1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": elapsed, "user_seconds": cpu1.ru_utime - cpu0.ru_utime,
                  "sys_seconds": cpu1.ru_stime - cpu0.ru_stime, "sha256": result.sha256, "size": result.size,
                  "rss_before_kb": before, "peak_rss_kb": hwm_kb()}))
"""


def make_file(path: Path, size: int) -> None:
    block = bytearray(os.urandom(BLOCK))
    with open(path, "wb") as out:
        written, n = 0, 0
        while written < size:
            block[:8] = n.to_bytes(8, "little")  # no two blocks alike
            piece = memoryview(block)[: min(BLOCK, size - written)]
            out.write(piece)
            written += len(piece)
            n += 1
    os.sync()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def baseline(src: Path, work: Path) -> tuple[float, float, float, str]:
    copy = work / "copy.bin"
    cpu = children_cpu()
    cp_seconds = timed(["cp", str(src), str(copy)])
    started = time.perf_counter()
    out = subprocess.run(["sha256sum", str(src)], check=True, capture_output=True, text=True).stdout
    sha_seconds = time.perf_counter() - started
    cpu = children_cpu() - cpu
    copy.unlink()
    os.sync()
    return cp_seconds, sha_seconds, cpu, out.split()[0]


def ingest(src: Path, work: Path, run: int) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["DJANGO_SETTINGS_MODULE"] = "liuhen.settings"
    env["LIUHEN_DATA_DIR"] = str(work / "data")
    env["LIUHEN_STORAGE"] = "local"
    env["LIUHEN_BLOB_DIR"] = str(work / f"blobs-{run}")
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(src)], env=env, cwd=REPO, stdout=subprocess.PIPE, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ingest child failed with exit code {proc.returncode}")
    output = proc.stdout
    result = json.loads(output)
    shutil.rmtree(work / f"blobs-{run}", ignore_errors=True)
    os.sync()
    return result


def hash_alone(src: Path, name: str) -> float:
    digest = hashlib.new(name)
    buffer = bytearray(4 * 1024 * 1024)
    view = memoryview(buffer)
    started = time.perf_counter()
    with open(src, "rb", buffering=0) as stream:
        while n := stream.readinto(buffer):
            digest.update(view[:n])
    return time.perf_counter() - started


def measure(size: int, work: Path, repeat: int) -> dict:
    src = work / f"source-{size // MB}MB.bin"
    make_file(src, size)
    try:
        cps, shas, cpus, ingests = [], [], [], []
        for run in range(repeat):
            cp_seconds, sha_seconds, cpu, expected = baseline(src, work)
            cps.append(cp_seconds)
            shas.append(sha_seconds)
            cpus.append(cpu)
            result = ingest(src, work, run)
            if result["sha256"] != expected or result["size"] != size:
                raise RuntimeError(f"ingest digest {result['sha256']} != sha256sum {expected}")
            ingests.append(result)
        sm3_seconds = min(hash_alone(src, "sm3") for _ in range(repeat))
        sha256_seconds = min(hash_alone(src, "sha256") for _ in range(repeat))
    finally:
        src.unlink(missing_ok=True)
    best = min(ingests, key=lambda r: r["seconds"])
    base = min(range(repeat), key=lambda i: cps[i] + shas[i])
    return {
        "size": size,
        "cp": cps[base],
        "sha256sum": shas[base],
        "baseline": cps[base] + shas[base],
        "baseline_cpu": cpus[base],
        "ingest": best["seconds"],
        "ingest_user": best["user_seconds"],
        "ingest_sys": best["sys_seconds"],
        "peak_rss_mb": max(r["peak_rss_kb"] for r in ingests) / 1024,
        "rss_before_mb": max(r["rss_before_kb"] for r in ingests) / 1024,
        "sm3_alone": sm3_seconds,
        "sha256_alone": sha256_seconds,
    }


def report(m: dict) -> None:
    label = f"{m['size'] / MB:.0f} MB"
    mbps = m["size"] / MB
    print(
        f"  {label}: cp {m['cp']:.2f}s + sha256sum {m['sha256sum']:.2f}s = {m['baseline']:.2f}s; "
        f"ingest {m['ingest']:.2f}s ({mbps / m['ingest']:.0f} MB/s); "
        f"SM3 alone {m['sm3_alone']:.2f}s ({mbps / m['sm3_alone']:.0f} MB/s), "
        f"SHA-256 alone {m['sha256_alone']:.2f}s ({mbps / m['sha256_alone']:.0f} MB/s)"
    )
    print(
        f"  {label}: peak RSS of the ingesting process {m['peak_rss_mb']:.1f} MB "
        f"(of which {m['rss_before_mb']:.1f} MB before the first byte: Python + Django)"
    )
    print(
        f"  {label}: CPU seconds: cp + sha256sum {m['baseline_cpu']:.2f}; ingest user {m['ingest_user']:.2f} "
        f"+ sys {m['ingest_sys']:.2f} (SM3 on its own thread); load average now {os.getloadavg()[0]:.1f}"
    )
    print(f"ratio blobstore ingest {label} / (cp + sha256sum): {m['baseline'] / m['ingest']:.2f}x (goal >= 0.8)")
    print(
        f"ratio SM3-alone ceiling {label} / (cp + sha256sum): {m['baseline'] / m['sm3_alone']:.2f}x "
        "(no ingest that computes SM3 can beat this on this CPU)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", default="200,2000", help="comma-separated file sizes in MB (10^6 bytes)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per step; the best is kept")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the temporary files")
    args = parser.parse_args(argv)
    sizes = [int(float(s) * MB) for s in args.sizes_mb.split(",") if s]
    for tool in ("cp", "sha256sum"):
        if shutil.which(tool) is None:
            print(f"cannot measure: {tool} not found", file=sys.stderr)
            return 2
    print(f"blob store ingest benchmark: {os.cpu_count()} CPU(s), sizes {args.sizes_mb} MB, best of {args.repeat}")
    work = Path(tempfile.mkdtemp(prefix="liuhen-bench-blobstore-", dir=args.dir))
    try:
        results = []
        for size in sizes:
            results.append(measure(size, work, args.repeat))
            report(results[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rss = [r["peak_rss_mb"] for r in results]
    flat = max(rss) - min(rss)
    sizes_rss = ", ".join(f"{r['size'] / MB:.0f} MB: {r['peak_rss_mb']:.1f} MB" for r in results)
    print(f"peak RSS {sizes_rss}; spread {flat:.1f} MB (goal < 100 MB and flat)")
    largest = results[-1]
    verdict_ratio = largest["baseline"] / largest["ingest"]
    print(
        f"goals: throughput {'met' if verdict_ratio >= 0.8 else 'NOT met'} ({verdict_ratio:.2f}x), "
        f"RSS {'met' if max(rss) < 100 and flat < 10 else 'NOT met'} ({max(rss):.1f} MB, spread {flat:.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuhen.settings")
    sys.exit(main())
