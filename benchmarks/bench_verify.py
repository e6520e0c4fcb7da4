"""``verify`` blob re-hash throughput versus ``sha256sum`` over the very same stored files, and peak RSS.

    .venv/bin/python benchmarks/bench_verify.py [--total-mb 5000] [--files 400] [--repeat 2]
                                                [--cache both|warm|cold] [--with-sm3] [--dir DIR]

In a temporary folder (deleted afterwards):

1. ``--files`` files totalling ``--total-mb`` MB (10^6 bytes) are generated: about 2% of them large
   (together ~80% of the bytes, i.e. hundreds of MB each at 5 GB) and the rest small, their sizes spread
   log-uniformly over three decades. Content is one ``os.urandom`` block with a per-block counter, so it is
   fast to write, incompressible and no two files are alike.
2. A child process with Django set up against a throwaway SQLite database and ``LIUHEN_DATA_DIR`` in the
   temporary folder (``manage.py migrate`` first) ingests every file through ``blob_put`` (the real path:
   local store, Blob row, ledger event). The generated sources are then deleted.
3. In the same run, alternating, best of ``--repeat`` each:

   - baseline: ``find OBJECTS -type f -print0 | xargs -0 sha256sum`` over the stored files (one
     ``sha256sum`` process at a time, like ``verify``); every printed digest must equal its file's name;
   - verify: a child process calls ``verify_blobs()`` (full re-hash, no sample; the listing for untracked
     entries included) and must report no finding; timed around that call only (the child's wall time
     including Python + Django start is printed too). Peak RSS is the child's own ``VmHWM``.

Prints ``ratio`` lines: sha256sum seconds / verify seconds (1.0 = as fast as sha256sum; goal >= 0.9).
``--cache warm`` reads from the page cache (files read once beforehand); ``--cache cold`` runs ``sync``
and drops the page cache (``/proc/sys/vm/drop_caches``, needs root) before every timed step, so both read
from the disk; ``both`` (default) does each. Without permission to drop caches only ``warm`` is measured.
``--with-sm3`` also times ``verify_blobs(with_sm3=True)`` (``manage.py verify --sm3``), for information.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
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
GOAL = 0.9

INGEST_CHILD = r"""
import json, os, sys, time
import django
django.setup()
from liuhen.ledger.blobstore.services import blob_put
folder = sys.argv[1]
names = sorted(os.listdir(folder))
started = time.perf_counter()
created = size = 0
for name in names:
    with open(os.path.join(folder, name), "rb", buffering=0) as stream:
        blob = blob_put(actor="基准 bench", stream=stream)
    created += blob.created
    size += blob.size
print(json.dumps({"seconds": time.perf_counter() - started, "files": len(names), "created": created,
                  "bytes": size}))
"""

VERIFY_CHILD = r"""
import json, resource, sys, time

def hwm_kb():
    # VmHWM: peak RSS of this process image only (ru_maxrss would include the parent's at fork).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

import django
django.setup()
from liuhen.ledger.blobstore.verification import verify_blobs
with_sm3 = sys.argv[1] == "sm3"
before = hwm_kb()
stats = {}
cpu0 = resource.getrusage(resource.RUSAGE_SELF)
started = time.perf_counter()
findings = verify_blobs(with_sm3=with_sm3, stats=stats)
elapsed = time.perf_counter() - started
cpu1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": elapsed, "user_seconds": cpu1.ru_utime - cpu0.ru_utime,
                  "sys_seconds": cpu1.ru_stime - cpu0.ru_stime, "stats": stats,
                  "findings": [f"{f.code} {f.item}" for f in findings],
                  "rss_before_kb": before, "peak_rss_kb": hwm_kb()}))
"""


# -- setup -------------------------------------------------------------------------------------------


def plan_sizes(total: int, files: int, seed: int = 3) -> list[int]:
    """``files`` sizes summing to ``total``: ~2% large (~80% of the bytes), the rest log-uniform small."""
    rng = random.Random(seed)
    n_large = max(1, min(files, round(files * 0.02)))
    n_small = files - n_large
    large_share = total if n_small == 0 else int(total * 0.8)
    large_w = [rng.uniform(0.5, 1.5) for _ in range(n_large)]
    small_w = [math.exp(rng.uniform(0, math.log(1000))) for _ in range(n_small)]
    sizes = [max(1, int(large_share * w / sum(large_w))) for w in large_w]
    if n_small:
        sizes += [max(1, int((total - large_share) * w / sum(small_w))) for w in small_w]
    sizes[0] += total - sum(sizes)
    if sizes[0] < 1:
        raise ValueError(f"{files} files do not fit in {total} bytes")
    rng.shuffle(sizes)
    return sizes


def make_files(folder: Path, sizes: list[int]) -> None:
    folder.mkdir()
    block = bytearray(os.urandom(BLOCK))
    counter = 0
    for index, size in enumerate(sizes):
        with open(folder / f"file-{index:05d}.bin", "wb") as out:
            written = 0
            while written < size:
                block[:8] = counter.to_bytes(8, "little")  # no two blocks (and so no two files) alike
                counter += 1
                piece = memoryview(block)[: min(BLOCK, size - written)]
                out.write(piece)
                written += len(piece)
    os.sync()


def child_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["DJANGO_SETTINGS_MODULE"] = "liuhen.settings"
    env["LIUHEN_DATA_DIR"] = str(work / "data")
    env["LIUHEN_STORAGE"] = "local"
    env["LIUHEN_BLOB_DIR"] = str(work / "data" / "blobs")
    env.pop("DATABASE_URL", None)  # throwaway SQLite under LIUHEN_DATA_DIR
    return env


def run_child(code: str, args: list[str], env: dict[str, str], what: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=REPO, stdout=subprocess.PIPE, check=False, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{what} child failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def migrate(env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"manage.py migrate failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}")


# -- page cache --------------------------------------------------------------------------------------


def drop_caches() -> bool:
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as control:
            control.write("3\n")
    except OSError:
        return False
    return True


def warm_up(objects: Path) -> None:
    for path in objects.rglob("*"):
        if path.is_file():
            with open(path, "rb", buffering=0) as stream:
                while stream.read(BLOCK):
                    pass


# -- the two measurements ----------------------------------------------------------------------------


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def baseline(objects: Path, expected_files: int) -> tuple[float, float]:
    """Seconds and CPU seconds of ``find | xargs sha256sum``; checks every digest against its file name."""
    cpu = children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(
        ["sh", "-c", 'find "$1" -type f -print0 | xargs -0 sha256sum', "sh", str(objects)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    cpu = children_cpu() - cpu
    if proc.returncode != 0:
        raise RuntimeError(f"find | xargs sha256sum failed with exit code {proc.returncode}")
    lines = proc.stdout.splitlines()
    bad = [line for line in lines if line.split()[0] != Path(line.split(maxsplit=1)[1].lstrip("*")).name]
    if bad or len(lines) != expected_files:
        raise RuntimeError(f"sha256sum saw {len(lines)} files (expected {expected_files}); mismatches: {bad[:3]}")
    return seconds, cpu


def verify(env: dict[str, str], expected_files: int, with_sm3: bool) -> dict:
    started = time.perf_counter()
    result = run_child(VERIFY_CHILD, ["sm3" if with_sm3 else "sha256"], env, "verify")
    result["child_seconds"] = time.perf_counter() - started
    if result["findings"]:
        raise RuntimeError(f"verify_blobs reported findings: {result['findings'][:5]}")
    if result["stats"].get("blobs_rehashed") != expected_files:
        raise RuntimeError(f"verify_blobs re-hashed {result['stats']} (expected {expected_files} blobs)")
    return result


def measure(objects: Path, env: dict[str, str], files: int, repeat: int, cold: bool, with_sm3: bool) -> dict:
    if not cold:
        warm_up(objects)
    bases, verifies, sm3s = [], [], []
    for _ in range(repeat):
        if cold:
            drop_caches()
        bases.append(baseline(objects, files))
        if cold:
            drop_caches()
        verifies.append(verify(env, files, with_sm3=False))
        if with_sm3:
            if cold:
                drop_caches()
            sm3s.append(verify(env, files, with_sm3=True))
    base = min(bases)
    best = min(verifies, key=lambda r: r["seconds"])
    return {
        "sha256sum": base[0],
        "sha256sum_cpu": base[1],
        "verify": best["seconds"],
        "verify_child": best["child_seconds"],
        "verify_cpu": best["user_seconds"] + best["sys_seconds"],
        "peak_rss_mb": max(r["peak_rss_kb"] for r in verifies + sm3s) / 1024,
        "rss_before_mb": max(r["rss_before_kb"] for r in verifies + sm3s) / 1024,
        "sm3": min(r["seconds"] for r in sm3s) if sm3s else None,
        "all_sha256sum": [b[0] for b in bases],
        "all_verify": [r["seconds"] for r in verifies],
    }


# -- report ------------------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model)
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} CPU(s), {memory:.0f} GiB RAM, Linux {platform.release()}"


def report(m: dict, total: int, label: str) -> None:
    mb = total / MB
    print(
        f"  {label}: sha256sum {m['sha256sum']:.2f}s ({mb / m['sha256sum']:.0f} MB/s, CPU {m['sha256sum_cpu']:.2f}s); "
        f"verify {m['verify']:.2f}s ({mb / m['verify']:.0f} MB/s, CPU {m['verify_cpu']:.2f}s; child process "
        f"incl. Python + Django start {m['verify_child']:.2f}s)"
    )
    runs = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(m["all_sha256sum"], m["all_verify"], strict=True))
    print(f"  {label}: every run sha256sum/verify seconds: {runs}; load average now {os.getloadavg()[0]:.2f}")
    print(
        f"  {label}: peak RSS of the verifying process {m['peak_rss_mb']:.1f} MB "
        f"(of which {m['rss_before_mb']:.1f} MB before the first blob: Python + Django)"
    )
    print(f"ratio verify {mb:.0f} MB {label} / sha256sum: {m['sha256sum'] / m['verify']:.2f}x (goal >= {GOAL})")
    if m["sm3"] is not None:
        print(
            f"ratio verify --sm3 {mb:.0f} MB {label} / sha256sum: {m['sha256sum'] / m['sm3']:.2f}x "
            f"({m['sm3']:.2f}s, {mb / m['sm3']:.0f} MB/s; information, no goal)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total-mb", type=float, default=5000, help="total size of the blobs in MB (10^6 bytes)")
    parser.add_argument("--files", type=int, default=400, help="number of blobs (~2%% large, the rest small)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per step; the best is kept")
    parser.add_argument("--cache", choices=("both", "warm", "cold"), default="both", help="page cache state")
    parser.add_argument("--with-sm3", action="store_true", help="also time verify_blobs(with_sm3=True)")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the temporary files")
    args = parser.parse_args(argv)
    total = int(args.total_mb * MB)
    if args.files < 1 or args.repeat < 1 or total < args.files:
        parser.error("need --files >= 1, --repeat >= 1 and at least one byte per file")
    for tool in ("sh", "find", "xargs", "sha256sum"):
        if shutil.which(tool) is None:
            print(f"cannot measure: {tool} not found", file=sys.stderr)
            return 2
    modes = ["warm", "cold"] if args.cache == "both" else [args.cache]
    if "cold" in modes and not drop_caches():
        print("cannot drop the page cache (/proc/sys/vm/drop_caches not writable): measuring warm only")
        modes = ["warm"]
    print(
        f"verify benchmark: {machine()}; {args.files} blobs, {total / MB:.0f} MB, best of {args.repeat}, "
        f"cache {'+'.join(modes)}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    work = Path(tempfile.mkdtemp(prefix="liuhen-bench-verify-", dir=args.dir))
    try:
        sizes = plan_sizes(total, args.files)
        started = time.perf_counter()
        make_files(work / "sources", sizes)
        generated = time.perf_counter() - started
        env = child_env(work)
        migrate(env)
        ingest = run_child(INGEST_CHILD, [str(work / "sources")], env, "ingest")
        if ingest["created"] != args.files or ingest["bytes"] != total:
            raise RuntimeError(f"ingest stored {ingest} (expected {args.files} new blobs, {total} bytes)")
        shutil.rmtree(work / "sources")
        os.sync()
        large = sorted(sizes)[-1] / MB
        print(
            f"  setup: generated {args.files} files in {generated:.1f}s (largest {large:.0f} MB, median "
            f"{sorted(sizes)[len(sizes) // 2] / 1000:.0f} kB); ingested through blob_put in "
            f"{ingest['seconds']:.1f}s ({total / MB / ingest['seconds']:.0f} MB/s)"
        )
        objects = work / "data" / "blobs" / "objects"
        results = {}
        for mode in modes:
            label = "warm (page cache)" if mode == "warm" else "cold (caches dropped)"
            results[mode] = measure(objects, env, args.files, args.repeat, mode == "cold", args.with_sm3)
            report(results[mode], total, label)
    except (RuntimeError, OSError, ValueError, json.JSONDecodeError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    verdicts = ", ".join(
        f"{mode} {'met' if (r := m['sha256sum'] / m['verify']) >= GOAL else 'NOT met'} ({r:.2f}x)"
        for mode, m in results.items()
    )
    print(f"goals: verify throughput >= {GOAL}x sha256sum: {verdicts}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuhen.settings")
    sys.exit(main())
