"""Evidence disc build + read-back vs ``cp``; package validation vs ``bagit``'s own validation.

    .venv/bin/python benchmarks/bench_archive.py      (LIUHEN_BENCH_ARCHIVE_MB=4000 for the 4 GB run)

Workload: random files (a few large "AV originals" and some small ones) totalling
``LIUHEN_BENCH_ARCHIVE_MB`` (default 400) in a temporary folder, digests computed first (setup).

- disc: ``build_disc`` (ISO 9660 + Joliet + Rock Ridge written with pycdlib from open files, fsync,
  then every file read back from the image and its SHA-256 compared) against ``cp`` of the same files
  into a folder followed by ``sync``. Ratio = cp time / build time (goal >= 0.5).
- package: ``verify_manifests`` (SHA-256 + SHA-512, the algorithms bagit validates, one read per
  file, digests in parallel threads) against ``bagit.Bag(path).validate()`` on the same bag. Ratio =
  bagit time / Liuhen time (goal >= 1.0). The full DA/T 70 check (adds SM3, the ledger proofs, format
  and security checks) is reported beside it against the same bagit time.
Best of ``LIUHEN_BENCH_ARCHIVE_REPEAT`` (default 2), page cache warm for every step alike.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import django

django.setup()

import bagit  # noqa: E402

from liuhen.archive.bagit import disc_image as disc  # noqa: E402
from liuhen.archive.bagit.checks import check_package, verify_manifests  # noqa: E402
from liuhen.archive.bagit.package import build_package  # noqa: E402
from liuhen.archive.bagit.spec import Cover, ItemKind, PackageItem, PackageSpec, SourceFile, Volume  # noqa: E402
from liuhen.archive.bagit.tests.factory import Ledger, digests  # noqa: E402

MB = 1000 * 1000


def make_files(folder: Path, total: int) -> list[Path]:
    folder.mkdir(parents=True)
    sizes = [int(total * 0.3), int(total * 0.25), int(total * 0.2), int(total * 0.15)]
    sizes += [(total - sum(sizes)) // 20] * 20
    block = bytearray(os.urandom(8 * 1024 * 1024))
    paths = []
    for n, size in enumerate(sizes):
        path = folder / f"录像{n:02d}.dat"
        with open(path, "wb") as out:
            written = 0
            while written < size:
                block[:8] = (n * 1_000_000 + written).to_bytes(8, "little")
                piece = memoryview(block)[: min(len(block), size - written)]
                out.write(piece)
                written += len(piece)
        paths.append(path)
    os.sync()
    return paths


def best(repeat: int, step) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    total = int(os.environ.get("LIUHEN_BENCH_ARCHIVE_MB", "400")) * MB
    repeat = int(os.environ.get("LIUHEN_BENCH_ARCHIVE_REPEAT", "2"))
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
        work = Path(tmp)
        paths = make_files(work / "src", total)
        d = {p: digests(p) for p in paths}
        ledger = Ledger.of([d[p]["sha256"] for p in paths])
        sources = {p: SourceFile.from_path(p, sha256=d[p]["sha256"], sm3=d[p]["sm3"]) for p in paths}
        size = sum(v["size"] for v in d.values())
        print(f"workload: {len(paths)} files, {size / MB:,.0f} MB")

        def cp() -> None:
            target = work / "cp"
            shutil.rmtree(target, ignore_errors=True)
            subprocess.run(["cp", "-r", str(work / "src"), str(target)], check=True)
            os.sync()

        medium = "dvd" if size < 4_500 * MB else "bd"
        spec = disc.DiscSpec(
            agency_name="基准测试执法机关",
            case_no="基准〔2026〕1号",
            case_name="基准测试案",
            maker="甲",
            extractor="乙",
            extracted_at=datetime.now(UTC),
            made_at=datetime.now(UTC),
            files=[
                disc.DiscFile(record_id=f"av:{i}", name=p.name, file=sources[p], proof=ledger.bundle(d[p]["sha256"]))
                for i, p in enumerate(paths)
            ],
            checkpoint=ledger.checkpoint,
            vkey=ledger.vkey,
            medium=medium,
        )

        def build() -> None:
            target = work / "disc.iso"
            target.unlink(missing_ok=True)
            disc.build_disc(spec, target)

        t_cp = best(repeat, cp)
        shutil.rmtree(work / "cp")
        t_disc = best(repeat, build)
        (work / "disc.iso").unlink()
        print(f"cp -r + sync: {t_cp:.2f} s ({size / MB / t_cp:,.0f} MB/s)")
        print(f"disc build + read-back: {t_disc:.2f} s ({size / MB / t_disc:,.0f} MB/s), medium {medium}")
        print(f"disc ratio (cp / build+verify): {t_cp / t_disc:.2f} (goal >= 0.5)")

        items = [
            PackageItem(
                record_id=f"av:{i}",
                volume="main",
                seq=i + 1,
                kind=ItemKind.OTHER,
                title=p.stem,
                file=sources[p],
                proof=ledger.bundle(d[p]["sha256"]),
            )
            for i, p in enumerate(paths)
        ]
        today = datetime.now(UTC).date()
        cover = Cover("基准测试案", "基准测试执法机关", today, today, today, "30年", "20260001", "甲")
        pspec = PackageSpec(
            agency_name="基准测试执法机关",
            agency_code="",
            case_no="基准〔2026〕1号",
            case_id="case:bench",
            archivist="乙",
            archived_at=datetime.now(UTC),
            cover=cover,
            volumes=[Volume("main", "正卷")],
            items=items,
            checkpoint=ledger.checkpoint,
            vkey=ledger.vkey,
        )
        started = time.perf_counter()
        build_package(pspec, work / "pkg")
        print(f"package build (copy + SHA-256/SHA-512/SM3 in one pass): {time.perf_counter() - started:.2f} s")
        bag_path = str(work / "pkg")
        t_bagit = best(repeat, lambda: bagit.Bag(bag_path).validate())
        findings: list = []
        t_ours = best(repeat, lambda: findings.extend(verify_manifests(bag_path)))
        assert not findings, findings
        reports: list = []
        t_full = best(repeat, lambda: reports.append(check_package(bag_path)))
        codes = sorted(reports[-1].codes())
        print(f"bagit validate (sha256+sha512): {t_bagit:.2f} s ({size / MB / t_bagit:,.0f} MB/s)")
        print(f"liuhen verify_manifests (sha256+sha512): {t_ours:.2f} s ({size / MB / t_ours:,.0f} MB/s)")
        print(f"package validation ratio (bagit / liuhen): {t_bagit / t_ours:.2f} (goal >= 1.0)")
        print(f"full DA/T 70 check (+SM3, proofs, formats, security): {t_full:.2f} s; findings {codes}")
        print(f"full check ratio (bagit / full check): {t_bagit / t_full:.2f} (no goal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
