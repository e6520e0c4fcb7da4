"""Evidence disc image: built, read back with pycdlib, verified by verify_disc.py under the system Python alone."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pycdlib
import pytest

from liuhen.archive.bagit import disc_image as disc
from liuhen.archive.bagit.errors import DiscReadbackFailed, DiscSpecInvalid, DiscTooLarge
from liuhen.archive.bagit.tests.factory import make_spec

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or "/usr/bin/python3"
VIDEO = "data/现场检查录像.mp4"


def _spec(fixture, **overrides) -> disc.DiscSpec:
    by_key = {i.record_id: i for i in fixture.spec.items}
    chosen = [("av_record:video", "现场检查录像.mp4", 1.0), ("av_record:photo", "现场照片", None)]
    chosen.append(("document:decision", "行政处罚决定书.pdf", None))
    files = [
        disc.DiscFile(record_id=rid, name=name, file=by_key[rid].file, proof=by_key[rid].proof, duration=duration)
        for rid, name, duration in chosen
    ]
    values = {
        "agency_name": fixture.spec.agency_name,
        "case_no": fixture.spec.case_no,
        "case_name": fixture.spec.cover.case_name,
        "maker": "赵六",
        "extractor": "张三",
        "extracted_at": datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
        "made_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        "files": files,
        "checkpoint": fixture.spec.checkpoint,
        "vkey": fixture.spec.vkey,
        "medium": "cd",
    }
    values.update(overrides)
    return disc.DiscSpec(**values)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    folder = tmp_path_factory.mktemp("disc")
    fixture = make_spec(folder / "src")
    result = disc.build_disc(_spec(fixture), folder / "evidence.iso")
    return fixture, result


def _extract(iso_path: Path, target: Path) -> Path:
    iso = pycdlib.PyCdlib()
    iso.open(str(iso_path))
    try:
        for dirname, _, files in iso.walk(rr_path="/"):
            (target / dirname.lstrip("/")).mkdir(parents=True, exist_ok=True)
            for name in files:
                path = f"{dirname.rstrip('/')}/{name}"
                with open(target / path.lstrip("/"), "wb") as out:
                    iso.get_file_from_iso_fp(out, rr_path=path)
    finally:
        iso.close()
    return target


def _verify(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SYSTEM_PYTHON, "-I", str(root / "verify_disc.py"), str(root)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        timeout=300,
        check=False,
    )


@pytest.mark.clause("arch-av-evidence-disc")
def test_disc__read_back_and_verified_by_system_python_alone(image, tmp_path):
    _, result = image
    assert SYSTEM_PYTHON.startswith("/usr/bin/")
    root = _extract(result.path, tmp_path / "disc")
    names = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert {VIDEO, "data/现场照片.jpg", "data/光盘文字说明.pdf", "README.txt", "verify_disc.py"} <= names
    assert (root / "liuhen_verify_proof.py").read_bytes() == (disc.TOOLS / "liuhen_verify_proof.py").read_bytes()
    done = _verify(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERIFIED" in done.stdout and "OK  proofs/0001.proof.json -> data/现场检查录像.mp4" in done.stdout


def test_disc__joliet_and_rock_ridge_keep_chinese_names(image):
    _, result = image
    iso = pycdlib.PyCdlib()
    iso.open(str(result.path))
    try:
        joliet = {f"{d.rstrip('/')}/{n}" for d, _, files in iso.walk(joliet_path="/") for n in files}
        rock = {f"{d.rstrip('/')}/{n}" for d, _, files in iso.walk(rr_path="/") for n in files}
    finally:
        iso.close()
    assert "/data/现场检查录像.mp4" in joliet and "/data/现场检查录像.mp4" in rock
    assert "/data/光盘文字说明.pdf" in joliet and "/data/光盘文字说明.pdf" in rock


def test_disc__statement_names_maker_extractor_time_and_digests(image, tmp_path):
    fixture, result = image
    root = _extract(result.path, tmp_path / "disc")
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(root / "data/光盘文字说明.pdf", "rb") as fh:
        assert int(PdfFileReader(fh).root["/Pages"]["/Count"]) >= 1
    index = (root / "liuhen-disc.json").read_text(encoding="utf-8")
    assert '"maker": "赵六"' in index and '"extractor": "张三"' in index
    assert fixture.spec.items[3].file.sha256 in (root / "manifest-sha256.txt").read_text(encoding="utf-8")


def test_disc__one_flipped_byte_in_a_file_extent_fails_naming_the_file(image, tmp_path):
    _, result = image
    broken = tmp_path / "broken.iso"
    shutil.copyfile(result.path, broken)
    iso = pycdlib.PyCdlib()
    iso.open(str(broken))
    record = iso.get_record(rr_path="/" + VIDEO)
    offset = record.extent_location() * disc.BLOCK + record.get_data_length() // 2
    iso.close()
    with open(broken, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0x80]))
    with pytest.raises(DiscReadbackFailed) as exc:
        disc.disc_readback(broken, result.digests)
    assert exc.value.detail["files"] == [VIDEO]
    done = _verify(_extract(broken, tmp_path / "disc"))
    assert done.returncode == 1
    assert f"FAIL {VIDEO}: SHA-256" in done.stdout


def test_disc__too_large_for_the_medium_is_refused(image, tmp_path, monkeypatch):
    fixture, _ = image
    monkeypatch.setitem(disc.MEDIA, "cd", ("CD", 2 * 1000**2))
    with pytest.raises(DiscTooLarge) as exc:
        disc.build_disc(_spec(fixture), tmp_path / "x.iso")
    assert exc.value.code == "disc_too_large" and exc.value.detail["discs"] >= 2
    assert "超出一张 CD 光盘" in exc.value.message
    assert not (tmp_path / "x.iso").exists()


def test_disc__statement_without_extractor_is_refused(image, tmp_path):
    fixture, _ = image
    with pytest.raises(DiscSpecInvalid) as exc:
        disc.build_disc(_spec(fixture, extractor=""), tmp_path / "x.iso")
    assert exc.value.code == "disc_statement_incomplete"
