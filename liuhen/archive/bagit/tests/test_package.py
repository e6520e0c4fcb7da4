"""Building the BagIt package: bagit's own validation passes, SM3 manifests are right, bad input refused."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import bagit
import pytest

from liuhen.archive.bagit.errors import PackageSpecInvalid, SourceDigestMismatch
from liuhen.archive.bagit.package import build_package, read_description
from liuhen.archive.bagit.spec import SourceFile
from liuhen.archive.bagit.tests.factory import make_spec


@pytest.mark.clause("arch-case-file-complete")
def test_build_package__bagit_validates_with_sm3_files_as_tag_files(built):
    _, path = built
    bag = bagit.Bag(str(path))
    bag.validate()  # full re-hash by bagit itself, SHA-256 and SHA-512
    assert set(bag.algorithms) == {"sha256", "sha512"}
    tagged = (path / "tagmanifest-sha256.txt").read_text()
    assert "manifest-sm3.txt" in tagged and "liuhen/package.json" in tagged
    for line in (path / "manifest-sm3.txt").read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        assert hashlib.new("sm3", (path / rel).read_bytes()).hexdigest() == digest
    for line in (path / "tagmanifest-sm3.txt").read_text(encoding="utf-8").splitlines():
        digest, rel = line.split(" ", 1)
        assert hashlib.new("sm3", (path / rel).read_bytes()).hexdigest() == digest
    assert not (path.parent / "pkg.partial").exists()


def test_build_package__bag_info_names_agency_case_archivist_date(built):
    fixture, path = built
    info = bagit.Bag(str(path)).info
    assert info["Source-Organization"] == fixture.spec.agency_name
    assert info["External-Identifier"] == fixture.spec.case_no
    assert info["Contact-Name"] == info["Liuhen-Archivist"] == "赵六"
    assert info["Bagging-Date"] == "2026-11-20"
    assert info["Liuhen-Volume-Order"] == "main,secondary"
    assert info["Liuhen-Archive-Number"] == "20260012"


def test_build_package__cover_and_contents_carry_the_forms_fields(built):
    _, path = built
    cover = json.loads((path / "data/1-正卷/封面.json").read_text(encoding="utf-8"))["fields"]
    assert cover["archive_number"] == "20260012" and cover["items"] == "6" and cover["retention"] == "30年"
    contents = json.loads((path / "data/1-正卷/卷内目录.json").read_text(encoding="utf-8"))
    assert [label for _, label in contents["columns"]] == ["顺序号", "文号", "责任者", "题名", "日期", "页号", "备注"]
    assert [r["seq"] for r in contents["rows"]] == [1, 2, 3, 4, 5, 6]
    assert contents["rows"][1]["doc_number"] == "文执罚〔2026〕12号" and contents["rows"][1]["pages"] == "2-3"
    assert (path / "data/1-正卷/卷内目录.pdf").read_bytes().startswith(b"%PDF-")
    assert (path / "data/2-副卷/0002-结案报告.pdf").exists()


def test_build_package__volume_order_is_input(tmp_path):
    fixture = make_spec(tmp_path / "src", volume_order=("secondary", "main"))
    build_package(fixture.spec, tmp_path / "pkg")
    assert (tmp_path / "pkg/data/1-副卷/0001-集体讨论笔录.pdf").exists()
    assert [v["code"] for v in read_description(tmp_path / "pkg")["volumes"]] == ["secondary", "main"]


def test_build_package__source_not_matching_blob_store_is_refused_and_nothing_left(built, tmp_path):
    fixture, _ = built
    first = fixture.spec.items[0]
    wrong = dataclasses.replace(first, file=dataclasses.replace(first.file, sm3="0" * 64))
    spec = dataclasses.replace(fixture.spec, items=[wrong, *fixture.spec.items[1:]])
    with pytest.raises(SourceDigestMismatch) as exc:
        build_package(spec, tmp_path / "pkg")
    assert exc.value.code == "source_digest_mismatch"
    assert not (tmp_path / "pkg").exists() and not (tmp_path / "pkg.partial").exists()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda s: {"items": [dataclasses.replace(s.items[0], seq=9), *s.items[1:]]}, "sequence_gap"),
        (lambda s: {"cover": dataclasses.replace(s.cover, archive_number="")}, "cover_field_missing"),
        (
            lambda s: {
                "items": [*s.items[:3], dataclasses.replace(s.items[3], metadata={"record_id": "x"}), *s.items[4:]]
            },
            "metadata_missing",
        ),
        (
            lambda s: {"items": [dataclasses.replace(s.items[0], file=SourceFile.from_bytes(b"%PDF-", suffix=".pdf"))]},
            "proof_not_about_record",
        ),
        (lambda s: {"vkey": s.vkey.replace("+", "+0", 1)}, "checkpoint_invalid"),
    ],
)
def test_build_package__spec_refused_precisely(built, tmp_path, change, code):
    fixture, _ = built
    spec = dataclasses.replace(fixture.spec, **change(fixture.spec))
    with pytest.raises(PackageSpecInvalid) as exc:
        build_package(spec, tmp_path / "pkg")
    assert exc.value.code == code
    assert not (tmp_path / "pkg").exists()
