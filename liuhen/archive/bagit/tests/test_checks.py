"""DA/T 70 four-property checks: a good package passes all four; each deliberate break fails its property."""

from __future__ import annotations

import json
import os
from pathlib import Path

import bagit
import pytest

from liuhen.archive.bagit.checks import Property, check_package, report_attach
from liuhen.archive.bagit.package import PACKAGE_JSON, reseal_tag_manifests
from liuhen.archive.bagit.spec import expected_records

A, IN, U, S = Property.AUTHENTICITY, Property.INTEGRITY, Property.USABILITY, Property.SECURITY
VIDEO = "data/1-正卷/0004-现场检查录像.mp4"
DECISION = "data/1-正卷/0002-行政处罚决定书.pdf"


def _check(fixture, path: Path, **kwargs):
    return check_package(path, expected=expected_records(fixture.spec), trusted_vkey=fixture.spec.vkey, **kwargs)


def _drop_manifest_lines(path: Path, rel: str) -> None:
    for name in ("manifest-sha256.txt", "manifest-sha512.txt", "manifest-sm3.txt"):
        f = path / name
        f.write_text("".join(x for x in f.read_text(encoding="utf-8").splitlines(True) if not x.endswith(f" {rel}\n")))


def _edit_description(path: Path, edit) -> None:
    data = json.loads((path / PACKAGE_JSON).read_text(encoding="utf-8"))
    edit(data)
    (path / PACKAGE_JSON).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    reseal_tag_manifests(path)  # a consistent forger: the tag manifests agree with the edit


def _failed(report) -> set[Property]:
    return {p for p in Property if not report.passed(p)}


@pytest.mark.clause("arch-case-file-complete")
def test_good_package__passes_all_four_and_the_report_is_kept(package):
    fixture, path = package
    report = _check(fixture, path, required_records=["document:decision", "av_record:video"])
    assert report.ok, report.text()
    assert report.stats["proofs"] == 8 and report.stats["records"] == 8
    assert "结论：通过" in report.text() and "安全性：通过" in report.text()
    report_attach(path, report)
    kept = json.loads((path / "liuhen/check-report.json").read_text(encoding="utf-8"))
    assert kept["ok"] is True and kept["properties"]["authenticity"]["label"] == "真实性"
    bagit.Bag(str(path)).validate()
    assert _check(fixture, path).ok  # the report files are listed tag files


def test_authenticity__flipped_byte_in_the_video(package):
    fixture, path = package
    with open(path / VIDEO, "r+b") as fh:
        fh.seek(os.path.getsize(path / VIDEO) // 2)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0x01]))
    report = _check(fixture, path)
    found = {(f.code, f.path, f.detail.get("algorithm")) for f in report.of(A)}
    assert {("digest_mismatch", VIDEO, a) for a in ("sha256", "sha512", "sm3")} <= found
    assert _failed(report) <= {A, U}


def test_authenticity__record_differs_from_the_blob_store(package):
    fixture, path = package
    expected = expected_records(fixture.spec)
    expected["document:decision"] = {**expected["document:decision"], "sm3": "0" * 64}
    report = check_package(path, expected=expected)
    assert [f.code for f in report.findings] == ["record_digest_differs"]
    assert report.findings[0].detail["field"] == "sm3"


def test_authenticity__metadata_rewritten_consistently_still_caught_by_proof_and_blob_store(package):
    fixture, path = package

    def swap(data):
        data["items"][1]["sha256"] = "ab" * 32

    _edit_description(path, swap)
    codes = _check(fixture, path).codes(A)
    assert {"metadata_mismatch", "record_digest_differs", "proof_not_about_record"} <= codes


def test_authenticity__package_signed_by_another_key(package):
    _, path = package
    from liuhen.archive.bagit.tests.factory import Ledger

    report = check_package(path, trusted_vkey=Ledger.of([]).vkey)
    assert "vkey_untrusted" in report.codes(A) and "checkpoint_invalid" in report.codes(A)


def test_integrity__file_and_its_manifest_lines_removed(package):
    fixture, path = package
    (path / DECISION).unlink()
    _drop_manifest_lines(path, DECISION)
    reseal_tag_manifests(path)
    report = _check(fixture, path)
    assert any(f.code == "record_file_missing" and f.path == DECISION for f in report.of(IN))
    assert "payload_oxum_mismatch" in report.codes(IN)
    assert S not in _failed(report) and U not in _failed(report)


def test_integrity__gap_in_sequence_numbers(package):
    fixture, path = package

    def gap(data):
        data["items"][2]["seq"] = 7

    _edit_description(path, gap)
    report = _check(fixture, path)
    gaps = [f for f in report.of(IN) if f.code == "sequence_gap"]
    assert gaps and gaps[0].detail == {"volume": "main", "missing": [3]}
    assert "顺序号不连续" in gaps[0].message


def test_integrity__missing_metadata_field(package):
    fixture, path = package
    rel = "data/1-正卷/0004-现场检查录像.metadata.json"
    meta = json.loads((path / rel).read_text(encoding="utf-8"))
    del meta["device_serial"]
    (path / rel).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    report = _check(fixture, path)
    assert any(f.code == "metadata_field_missing" and f.detail["field"] == "device_serial" for f in report.of(IN))
    assert "digest_mismatch" in report.codes(A)  # the file no longer matches its manifest lines


def test_integrity__required_record_and_bag_info_field_missing(package):
    fixture, path = package
    info = (path / "bag-info.txt").read_text(encoding="utf-8")
    (path / "bag-info.txt").write_text(
        "".join(x for x in info.splitlines(True) if not x.startswith("Liuhen-Archivist")), encoding="utf-8"
    )
    reseal_tag_manifests(path)
    report = _check(fixture, path, required_records=["document:hearing_record"])
    assert {"record_missing", "bag_info_field_missing"} <= report.codes(IN)


def test_usability__truncated_mp4(package):
    fixture, path = package
    data = (path / VIDEO).read_bytes()
    (path / VIDEO).write_bytes(data[: len(data) // 2])
    report = _check(fixture, path)
    assert [f.path for f in report.of(U)] == [VIDEO]
    assert A in _failed(report)


def test_usability__non_pdf_named_pdf(package):
    fixture, path = package
    (path / DECISION).write_bytes(b"this is not a PDF at all")
    report = _check(fixture, path)
    assert [(f.code, f.path) for f in report.of(U)] == [("format_mismatch", DECISION)]


def test_usability__pdf_without_cross_reference_table(package):
    fixture, path = package
    data = (path / DECISION).read_bytes()
    (path / DECISION).write_bytes(data[: data.rindex(b"xref")])
    assert [f.code for f in _check(fixture, path).of(U)] == ["file_unreadable"]


def test_security__extra_file(package):
    fixture, path = package
    (path / "data/1-正卷/notes.txt").write_text("extra", encoding="utf-8")
    report = _check(fixture, path)
    assert [(f.code, f.path) for f in report.of(S)] == [("file_unlisted", "data/1-正卷/notes.txt")]
    assert {"file_not_in_manifest", "payload_oxum_mismatch"} <= report.codes(IN)


def test_security__symlink(package):
    fixture, path = package
    (path / "data/1-正卷/link.pdf").symlink_to("/etc/passwd")
    report = _check(fixture, path)
    assert ("symlink", "data/1-正卷/link.pdf") in {(f.code, f.path) for f in report.of(S)}


def test_security__dot_dot_name_in_a_manifest(package):
    fixture, path = package
    with open(path / "manifest-sha256.txt", "a", encoding="utf-8") as fh:
        fh.write(f"{'0' * 64}  data/../../etc/passwd\n")
    report = _check(fixture, path)
    assert ("path_unsafe", "data/../../etc/passwd") in {(f.code, f.path) for f in report.of(S)}


def test_security__script_and_executable(package):
    fixture, path = package
    script = path / "data/1-正卷/run.sh"
    script.write_bytes(b"#!/bin/sh\nrm -rf /\n")
    script.chmod(0o755)
    report = _check(fixture, path)
    assert {"script_file", "executable", "file_unlisted"} <= report.codes(S)


def test_security__file_above_the_size_limit(package):
    fixture, path = package
    largest = max((p for p in path.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    report = _check(fixture, path, max_file_size=largest.stat().st_size - 1)
    assert [(f.code, f.path) for f in report.of(S)] == [("file_too_large", largest.relative_to(path).as_posix())]
    assert _failed(report) == {S}


def test_security__pdf_with_javascript(package):
    fixture, path = package
    with open(path / DECISION, "ab") as fh:  # an appended object, as an incremental update would add
        fh.write(b"\n9999 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n")
    report = _check(fixture, path)
    assert ("pdf_active_content", DECISION) in {(f.code, f.path) for f in report.of(S)}
