"""Build an archival package (案卷归档包) in BagIt form, RFC 8493 (clause arch-case-file-complete).

Layout (paths in UTF-8; volume folders in the profile's order)::

    bagit.txt  bag-info.txt
    manifest-sha256.txt  manifest-sha512.txt  manifest-sm3.txt          (payload)
    tagmanifest-sha256.txt  tagmanifest-sha512.txt  tagmanifest-sm3.txt (tag files)
    liuhen/package.json                the typed description: items, volumes, digests, metadata
    data/1-正卷/封面.pdf 封面.json 卷内目录.pdf 卷内目录.json
    data/1-正卷/0001-立案审批表.pdf
    data/1-正卷/0007-现场执法录像.mp4  0007-现场执法录像.metadata.json
    data/2-副卷/...
    data/proofs/main-0001.proof.json   one ledger inclusion proof per record
    data/ledger/checkpoint.txt  data/ledger/agency.vkey

Every original is copied once, streaming (4 MiB chunks, memory flat whatever its size), hashed on
the way with SHA-256, SHA-512 and SM3 in parallel threads, and compared with the digests the blob
store recorded: a mismatch stops the build. The payload manifests are written from those digests
(no second read). bagit-python writes ``bag-info.txt`` and the SHA-256/512 tag manifests; it does not
know SM3 (not in ``hashlib.algorithms_guaranteed``), so Liuhen writes ``manifest-sm3.txt`` and
``tagmanifest-sm3.txt`` itself: to bagit they are ordinary tag files (``manifest-sm3.txt`` is listed
in bagit's tag manifests), and ``bagit.Bag(path).validate()`` passes on the package.

The package is built in ``<dest>.partial`` and renamed into place only when complete.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit

from liuhen.archive.bagit import render
from liuhen.archive.bagit.errors import PackageSpecInvalid, SourceDigestMismatch
from liuhen.archive.bagit.hashing import ALGORITHMS, copy_with_digests, file_digests
from liuhen.archive.bagit.proofs import ProofInvalid, verify_proof
from liuhen.archive.bagit.spec import (
    CONTENTS_COLUMNS,
    COVER_LABELS,
    REQUIRED_COVER_FIELDS,
    ItemKind,
    PackageItem,
    PackageSpec,
    safe_name,
    text_value,
)

logging.getLogger("bagit").setLevel(logging.WARNING)  # one INFO line per file hashed

PACKAGE_FORMAT = "liuhen-archive-package/1"
PACKAGE_JSON = "liuhen/package.json"
REPORT_JSON = "liuhen/check-report.json"
REPORT_TEXT = "liuhen/check-report.txt"
BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

# bagit-python's Bag.save() changes the process's working directory while it writes tag files.
_BAGIT_LOCK = threading.Lock()


@dataclass(frozen=True)
class PackageResult:
    path: Path
    payload_files: int
    payload_bytes: int
    items: int


def _dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n").encode()


def validate_spec(spec: PackageSpec) -> None:
    """Refuse a description that cannot make a complete package, naming what is wrong."""
    codes = [v.code for v in spec.volumes]
    if not codes or len(set(codes)) != len(codes):
        raise PackageSpecInvalid("须至少有一个卷，且卷的代码不能重复", code="volumes_invalid", volumes=codes)
    missing = [f for f in REQUIRED_COVER_FIELDS if not text_value(getattr(spec.cover, f)).strip()]
    if missing:
        labels = "、".join(COVER_LABELS[f] for f in missing)
        raise PackageSpecInvalid(f"案卷封面缺少：{labels}", code="cover_field_missing", fields=missing)
    if not spec.archivist or not spec.agency_name or not spec.case_no:
        raise PackageSpecInvalid("须写明机关、案号和档案管理员", code="package_info_missing")
    seqs: dict[str, list[int]] = defaultdict(list)
    ids = set()
    for item in spec.items:
        if item.volume not in codes:
            raise PackageSpecInvalid(f"{item.title}：卷“{item.volume}”不在卷序中", code="volume_unknown")
        if item.record_id in ids:
            raise PackageSpecInvalid(f"记录 {item.record_id} 重复", code="record_duplicate")
        ids.add(item.record_id)
        seqs[item.volume].append(item.seq)
        if item.kind == ItemKind.AV_RECORD:
            absent = [f for f in spec.av_metadata_fields if (item.metadata or {}).get(f) in (None, "")]
            if absent:
                raise PackageSpecInvalid(
                    f"{item.title}：音像记录元数据缺少 {'、'.join(absent)}", code="metadata_missing", fields=absent
                )
        try:
            verify_proof(item.proof, checkpoint=spec.checkpoint, vkey=spec.vkey, sha256=item.file.sha256)
        except ProofInvalid as exc:
            raise PackageSpecInvalid(f"{item.title}：{exc}", code=exc.code) from None
    for code, numbers in seqs.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise PackageSpecInvalid(
                f"卷“{code}”的顺序号须从 1 起连续不重复：{sorted(numbers)}", code="sequence_gap", volume=code
            )


def _volume_dirs(spec: PackageSpec) -> dict[str, str]:
    return {v.code: f"data/{i}-{safe_name(v.title)}" for i, v in enumerate(spec.volumes, 1)}


def _item_paths(spec: PackageSpec, item: PackageItem) -> dict[str, str]:
    base = f"{_volume_dirs(spec)[item.volume]}/{item.seq:04d}-{safe_name(item.title)}"
    paths = {"path": base + item.file.suffix, "proof_path": f"data/proofs/{item.volume}-{item.seq:04d}.proof.json"}
    if item.kind == ItemKind.AV_RECORD:
        paths["metadata_path"] = base + ".metadata.json"
    return paths


def _contents_row(item: PackageItem) -> dict[str, Any]:
    pages = f"{item.pages[0]}-{item.pages[1]}" if item.pages else ""
    return {
        "seq": item.seq,
        "doc_number": item.doc_number,
        "responsible": item.responsible,
        "title": item.title,
        "date": item.date.isoformat() if item.date else "",
        "pages": pages,
        "remarks": item.remarks,
        "record_id": item.record_id,
    }


def describe(spec: PackageSpec) -> dict[str, Any]:
    """The ``liuhen/package.json`` of a spec (no digests of generated files: those are in the manifests)."""
    volume_dirs = _volume_dirs(spec)
    items = []
    for item in spec.items:
        entry = {
            "record_id": item.record_id,
            "volume": item.volume,
            "seq": item.seq,
            "kind": str(item.kind),
            "title": item.title,
            "sha256": item.file.sha256,
            "sm3": item.file.sm3,
            "size": item.file.size,
            **_item_paths(spec, item),
            **{k: v for k, v in _contents_row(item).items() if k not in ("seq", "title", "record_id")},
        }
        items.append(entry)
    cover = {f: text_value(getattr(spec.cover, f)) for f in COVER_LABELS if f != "items"}
    return {
        "format": PACKAGE_FORMAT,
        "agency": {"name": spec.agency_name, "code": spec.agency_code},
        "case": {"id": spec.case_id, "case_no": spec.case_no},
        "archivist": spec.archivist,
        "archived_at": spec.archived_at.isoformat(),
        "profile": spec.profile,
        "volumes": [
            {
                "code": v.code,
                "title": v.title,
                "dir": volume_dirs[v.code],
                "cover": f"{volume_dirs[v.code]}/封面.pdf",
                "contents": f"{volume_dirs[v.code]}/卷内目录.pdf",
            }
            for v in spec.volumes
        ],
        "cover": cover,
        "items": items,
        "av_metadata_fields": list(spec.av_metadata_fields),
        "checkpoint": "data/ledger/checkpoint.txt",
        "vkey": "data/ledger/agency.vkey",
        "algorithms": list(ALGORITHMS),
    }


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.entries: dict[str, dict[str, str]] = {}
        self.payload_bytes = 0

    def _target(self, rel: str) -> Path:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def stream(self, rel: str, item: PackageItem) -> None:
        with item.file.open() as source, open(self._target(rel), "xb") as out:
            digests, size = copy_with_digests(source, out)
            out.flush()
            os.fsync(out.fileno())
        expected = {"sha256": item.file.sha256, "sm3": item.file.sm3}
        if size != item.file.size or any(digests[a] != v.lower() for a, v in expected.items()):
            raise SourceDigestMismatch(
                f"{item.title}（{item.record_id}）的内容与存储记录的摘要不符，已停止立卷",
                record_id=item.record_id,
                expected={**expected, "size": item.file.size},
                found={"sha256": digests["sha256"], "sm3": digests["sm3"], "size": size},
            )
        self.entries[rel] = digests
        self.payload_bytes += size

    def bytes(self, rel: str, data: bytes, *, payload: bool = True) -> None:
        with open(self._target(rel), "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if payload:
            self.entries[rel] = file_digests(self.root / rel)[0]
            self.payload_bytes += len(data)


def _manifest_text(entries: Mapping[str, Mapping[str, str]], algorithm: str) -> str:
    return "".join(f"{entries[p][algorithm]}  {p}\n" for p in sorted(entries))


def tag_files(root: Path) -> list[str]:
    """Tag files as bagit lists them: everything outside data/ except the tag manifests."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d != "data"]
        dirnames.sort()
        for name in sorted(filenames):
            rel = (rel_dir / name).as_posix()
            if not name.startswith("tagmanifest-"):
                found.append(rel)
    return found


def reseal_tag_manifests(root: Path | str, info: Mapping[str, str] | None = None) -> None:
    """Rewrite bag-info.txt (with ``info`` if given) and every tag manifest, SM3 included.

    Used by the build, and after adding a tag file such as the check report.
    """
    root = Path(root)
    with _BAGIT_LOCK:
        bag = bagit.Bag(str(root))
        if info is not None:
            bag.info = dict(info)
        bag.save(manifests=False)
    lines = []
    for rel in tag_files(root):
        digests, _ = file_digests(root / rel, ("sm3",))
        lines.append(f"{digests['sm3']} {rel}\n")
    (root / "tagmanifest-sm3.txt").write_text("".join(lines), encoding="utf-8")


def bag_info(spec: PackageSpec, *, payload_bytes: int, payload_files: int) -> dict[str, str]:
    info = {
        "Source-Organization": spec.agency_name,
        "External-Identifier": spec.case_no,
        "External-Description": spec.cover.case_name,
        "Contact-Name": spec.archivist,
        "Bagging-Date": spec.archived_at.date().isoformat(),
        "Payload-Oxum": f"{payload_bytes}.{payload_files}",
        "Internal-Sender-Identifier": spec.cover.archive_number,
        "Liuhen-Package-Format": PACKAGE_FORMAT,
        "Liuhen-Agency-Code": spec.agency_code,
        "Liuhen-Case-Id": spec.case_id,
        "Liuhen-Case-No": spec.case_no,
        "Liuhen-Archivist": spec.archivist,
        "Liuhen-Archived-At": spec.archived_at.isoformat(),
        "Liuhen-Archive-Number": spec.cover.archive_number,
        "Liuhen-Retention": spec.cover.retention,
        "Liuhen-Profile": spec.profile,
        "Liuhen-Volume-Order": ",".join(v.code for v in spec.volumes),
        "Liuhen-Manifest-Algorithms": " ".join(ALGORITHMS),
        "Liuhen-Items": str(len(spec.items)),
    }
    for key, value in spec.extra_info.items():
        info.setdefault(key, value)
    return {k: v for k, v in info.items() if v}


#: bag-info.txt fields a Liuhen package must carry (DA/T 70 完整性).
REQUIRED_BAG_INFO: tuple[str, ...] = (
    "Source-Organization",
    "External-Identifier",
    "Contact-Name",
    "Bagging-Date",
    "Payload-Oxum",
    "Liuhen-Package-Format",
    "Liuhen-Case-Id",
    "Liuhen-Case-No",
    "Liuhen-Archivist",
    "Liuhen-Archived-At",
    "Liuhen-Archive-Number",
    "Liuhen-Volume-Order",
)


def _front_matter(spec: PackageSpec, writer: _Writer) -> None:
    volume_dirs = _volume_dirs(spec)
    for volume in spec.volumes:
        items = sorted((i for i in spec.items if i.volume == volume.code), key=lambda i: i.seq)
        cover = {f: getattr(spec.cover, f) for f in COVER_LABELS if f != "items"}
        cover["items"] = len(items)
        cover_rows = [(COVER_LABELS[f], cover[f]) for f in COVER_LABELS]
        rows = [_contents_row(i) for i in items]
        base = volume_dirs[volume.code]
        writer.bytes(
            f"{base}/封面.pdf",
            render.cover_pdf(agency_name=spec.agency_name, volume_title=volume.title, fields=cover_rows),
        )
        writer.bytes(
            f"{base}/封面.json",
            _dump(
                {"volume": volume.code, "title": volume.title, "fields": {k: text_value(v) for k, v in cover.items()}}
            ),
        )
        writer.bytes(
            f"{base}/卷内目录.pdf",
            render.contents_pdf(
                agency_name=spec.agency_name,
                volume_title=volume.title,
                case_no=spec.case_no,
                columns=CONTENTS_COLUMNS,
                rows=rows,
            ),
        )
        writer.bytes(
            f"{base}/卷内目录.json",
            _dump({"volume": volume.code, "columns": [list(c) for c in CONTENTS_COLUMNS], "rows": rows}),
        )


def build_package(spec: PackageSpec, dest: Path | str) -> PackageResult:
    """Write the package for ``spec`` at ``dest`` (which must not exist). Returns what was written.

    Raises :class:`PackageSpecInvalid` (before writing) or :class:`SourceDigestMismatch` (nothing is
    left behind at ``dest``).
    """
    validate_spec(spec)
    dest = Path(dest)
    if dest.exists():
        raise PackageSpecInvalid(f"目标目录已存在：{dest}", code="package_exists")
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        writer = _Writer(partial)
        description = describe(spec)
        by_id = {entry["record_id"]: entry for entry in description["items"]}
        for item in spec.items:
            paths = by_id[item.record_id]
            writer.stream(paths["path"], item)
            if "metadata_path" in paths:
                writer.bytes(paths["metadata_path"], _dump(dict(item.metadata or {})))
            writer.bytes(paths["proof_path"], _dump(dict(item.proof)))
        _front_matter(spec, writer)
        writer.bytes("data/ledger/checkpoint.txt", spec.checkpoint.encode())
        writer.bytes("data/ledger/agency.vkey", spec.vkey.strip().encode() + b"\n")
        writer.bytes(PACKAGE_JSON, _dump(description), payload=False)
        (partial / "bagit.txt").write_text(BAGIT_TXT, encoding="utf-8")
        for algorithm in ALGORITHMS:
            (partial / f"manifest-{algorithm}.txt").write_text(
                _manifest_text(writer.entries, algorithm), encoding="utf-8"
            )
        info = bag_info(spec, payload_bytes=writer.payload_bytes, payload_files=len(writer.entries))
        reseal_tag_manifests(partial, info)
        os.rename(partial, dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return PackageResult(
        path=dest, payload_files=len(writer.entries), payload_bytes=writer.payload_bytes, items=len(spec.items)
    )


def read_description(root: Path | str) -> dict[str, Any]:
    return json.loads((Path(root) / PACKAGE_JSON).read_text(encoding="utf-8"))
