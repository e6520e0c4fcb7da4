"""Evidence disc images (刻制光盘, clause arch-av-evidence-disc): ISO 9660 + Joliet + Rock Ridge.

The disc is itself a BagIt bag a court clerk can check with Python alone::

    README.txt                  one-page guide, Chinese and English
    verify_disc.py              tools/verify_disc.py, copied at build time (standard library only)
    liuhen_verify_proof.py      tools/liuhen_verify_proof.py, copied at build time
    bagit.txt  bag-info.txt  manifest-sha256.txt   (BagIt manifest of everything under data/)
    liuhen-disc.json            each file: path, SHA-256, SM3, duration, its proof
    data/<the selected files, Chinese names kept in Joliet and Rock Ridge>
    data/光盘文字说明.pdf        the written statement: maker, extractor, extraction time, case, files
    proofs/0001.proof.json ...  ledger inclusion proof of each file
    ledger/checkpoint.txt  ledger/agency.vkey

Capacity: the selection plus the disc's own files must fit the chosen medium (CD 700 MB, DVD 4.7 GB,
BD 25 GB, decimal units as printed on the media, less 2 % for file-system structures); otherwise the
build is refused with ``disc_too_large`` naming how many discs it would take. Liuhen refuses rather
than splitting: one disc is one exhibit with one statement, and the records keeper chooses which
files go on which disc (each its own build, statement and ledger event).

Files are added with ``pycdlib.add_fp`` from open files and written with ``write_fp``: memory stays
flat whatever the size. The image is then read back with pycdlib and every file's SHA-256 compared
with what it must be (the blob store's digest for originals) before it is declared good.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pycdlib

from liuhen.archive.bagit import render
from liuhen.archive.bagit.errors import DiscReadbackFailed, DiscSpecInvalid, DiscTooLarge
from liuhen.archive.bagit.proofs import ProofInvalid, verify_proof
from liuhen.archive.bagit.spec import SourceFile, safe_name

TOOLS = Path(__file__).resolve().parents[3] / "tools"
MEDIA: dict[str, tuple[str, int]] = {
    "cd": ("CD", 700 * 1000**2),
    "dvd": ("DVD", 4_700 * 1000**2),
    "bd": ("BD", 25_000 * 1000**2),
}
OVERHEAD = 0.02
BLOCK = 2048
IO_BLOCK = 4 * 1024 * 1024  # pycdlib copies 32 KiB (write) and 8 KiB (read) at a time by default

README = """留痕证据光盘 核验说明 / Liuhen evidence disc: how to verify
=============================================================

中文
----
本光盘由 {agency} 制作，载有案件 {case_no} 的音像记录等文件、文字说明（data/光盘文字说明.pdf）、
文件清单（manifest-sha256.txt，BagIt 格式）、账本存在性证明（proofs/）、签名检查点
（ledger/checkpoint.txt）和机关公钥（ledger/agency.vkey）。

核验只需一台装有 Python 3 的计算机，无需安装任何软件：
  1. 打开命令行，进入光盘目录（例如 Windows 的 D:\\，Linux/macOS 的挂载目录）。
  2. 运行：python3 verify_disc.py        （Windows 上也可以是 py verify_disc.py）
  3. 最后一行为“全部通过验证”即通过；出现 FAIL 的行写明了哪个文件未通过。
如需确认签名者，请向制作机关索取其公布的公钥，运行：python3 verify_disc.py --vkey '公钥'
如需确认账本未被改写，可再加上见证方（司法局、档案馆等）公布的公钥：--witness '见证方公钥'（可重复，
--quorum N 指定至少几个见证方签名）。

English
-------
Made by {agency} for case {case_no}. It holds the files, the written statement
(data/光盘文字说明.pdf), a BagIt manifest (manifest-sha256.txt), ledger inclusion proofs (proofs/),
the signed checkpoint (ledger/checkpoint.txt) and the agency's public key (ledger/agency.vkey).

You need a computer with Python 3 and nothing else:
  1. Open a terminal in the disc's folder (D:\\ on Windows, the mount point on Linux/macOS).
  2. Run: python3 verify_disc.py          (or: py verify_disc.py on Windows)
  3. The last line says VERIFIED when every file and every proof checks out; each FAIL line names
     the file that did not. To be sure who signed, pass the key the agency published:
     python3 verify_disc.py --vkey 'KEY'
     To be sure the ledger was not rewritten, add the keys witnesses published:
     --witness 'WITNESS_KEY' (repeatable; --quorum N: how many must have co-signed).
"""


@dataclass(frozen=True)
class DiscFile:
    record_id: str
    name: str  # the file name on the disc, Chinese allowed ("现场检查录像.mp4")
    file: SourceFile
    proof: Mapping[str, Any]
    duration: float | None = None  # seconds (AV records)


@dataclass(frozen=True)
class DiscSpec:
    agency_name: str
    case_no: str
    case_name: str
    maker: str  # 制作人
    extractor: str  # 提取人
    extracted_at: datetime  # 提取时间 (aware)
    made_at: datetime  # 制作时间 (aware)
    files: Sequence[DiscFile]
    checkpoint: str
    vkey: str
    medium: str = "dvd"
    volume_label: str = "LIUHEN"


@dataclass(frozen=True)
class DiscResult:
    path: Path
    size: int
    files: int
    digests: dict[str, str]  # disc path -> SHA-256 (every file on the disc)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = round(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def disc_plan(spec: DiscSpec) -> int:
    """Bytes the disc needs (selection + fixed part); refuse when it exceeds the medium."""
    if spec.medium not in MEDIA:
        raise DiscSpecInvalid(f"不支持的光盘介质：{spec.medium}（可选 CD、DVD、BD）", code="disc_medium_unknown")
    label, capacity = MEDIA[spec.medium]
    needed = sum(-(-f.file.size // BLOCK) * BLOCK for f in spec.files) + 4 * 1024 * 1024
    usable = int(capacity * (1 - OVERHEAD))
    if needed > usable:
        discs = -(-needed // usable)
        raise DiscTooLarge(
            f"所选文件共 {needed / 1000**2:,.0f} MB，超出一张 {label} 光盘的可用容量 {usable / 1000**2:,.0f} MB，"
            f"约需 {discs} 张。请减少所选文件分次刻制，或选用更大容量的光盘。",
            medium=spec.medium,
            needed=needed,
            capacity=usable,
            discs=discs,
        )
    return needed


def _validate(spec: DiscSpec) -> list[str]:
    if not spec.files:
        raise DiscSpecInvalid("没有选择要刻制的文件", code="disc_empty")
    if not (spec.maker and spec.extractor and spec.extracted_at):
        raise DiscSpecInvalid("文字说明须写明制作人、提取人和提取时间", code="disc_statement_incomplete")
    names = []
    for f in spec.files:
        name = safe_name(f.name, 60)
        if not name.lower().endswith(f.file.suffix):
            name += f.file.suffix
        if name in names or name == "光盘文字说明.pdf":
            raise DiscSpecInvalid(f"光盘上的文件名重复：{name}", code="disc_name_duplicate")
        names.append(name)
        try:
            verify_proof(f.proof, checkpoint=spec.checkpoint, vkey=spec.vkey, sha256=f.file.sha256)
        except ProofInvalid as exc:
            raise DiscSpecInvalid(f"{f.name}：{exc}", code=exc.code) from None
    return names


class _HashSink:
    def __init__(self) -> None:
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return len(data)


def build_disc(spec: DiscSpec, dest: Path | str) -> DiscResult:
    """Write the ISO image for ``spec`` at ``dest``, read it back, and return it only when every file verifies."""
    names = _validate(spec)
    disc_plan(spec)
    dest = Path(dest)
    small: dict[str, bytes] = {}
    index = []
    for i, (f, name) in enumerate(zip(spec.files, names, strict=True), 1):
        proof_rel = f"proofs/{i:04d}.proof.json"
        small[proof_rel] = json.dumps(dict(f.proof), ensure_ascii=False, indent=2).encode()
        index.append(
            {
                "record_id": f.record_id,
                "path": f"data/{name}",
                "sha256": f.file.sha256,
                "sm3": f.file.sm3,
                "size": f.file.size,
                "duration": f.duration,
                "proof": proof_rel,
            }
        )
    statement = render.disc_statement_pdf(
        agency_name=spec.agency_name,
        fields=[
            ("案号", spec.case_no),
            ("案件名称", spec.case_name),
            ("制作单位", spec.agency_name),
            ("制作人", spec.maker),
            ("提取人", spec.extractor),
            ("提取时间", spec.extracted_at),
            ("制作时间", spec.made_at),
            ("光盘介质", MEDIA[spec.medium][0]),
            ("文件数", len(spec.files)),
        ],
        files=[{**e, "name": e["path"][5:], "duration": duration_text(e["duration"])} for e in index],
    )
    small["data/光盘文字说明.pdf"] = statement
    small["ledger/checkpoint.txt"] = spec.checkpoint.encode()
    small["ledger/agency.vkey"] = spec.vkey.strip().encode() + b"\n"
    payload = {e["path"]: e["sha256"] for e in index}
    payload["data/光盘文字说明.pdf"] = hashlib.sha256(statement).hexdigest()
    small["manifest-sha256.txt"] = "".join(f"{payload[p]}  {p}\n" for p in sorted(payload)).encode()
    small["bagit.txt"] = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    sizes = [f.file.size for f in spec.files] + [len(statement)]
    small["bag-info.txt"] = (
        f"Source-Organization: {spec.agency_name}\nExternal-Identifier: {spec.case_no}\n"
        f"Bagging-Date: {spec.made_at.date().isoformat()}\nPayload-Oxum: {sum(sizes)}.{len(sizes)}\n"
        f"Liuhen-Disc-Maker: {spec.maker}\nLiuhen-Disc-Extractor: {spec.extractor}\n"
        f"Liuhen-Disc-Extracted-At: {spec.extracted_at.isoformat()}\n"
    ).encode()
    small["liuhen-disc.json"] = json.dumps(
        {
            "format": "liuhen-disc/1",
            "agency": spec.agency_name,
            "case_no": spec.case_no,
            "maker": spec.maker,
            "extractor": spec.extractor,
            "extracted_at": spec.extracted_at.isoformat(),
            "made_at": spec.made_at.isoformat(),
            "files": index,
        },
        ensure_ascii=False,
        indent=2,
    ).encode()
    small["README.txt"] = README.format(agency=spec.agency_name, case_no=spec.case_no).encode()
    for tool in ("verify_disc.py", "liuhen_verify_proof.py"):
        small[tool] = (TOOLS / tool).read_bytes()  # copied at build time: one copy in the repository

    expected = {rel: hashlib.sha256(data).hexdigest() for rel, data in small.items()}
    expected.update(payload)
    partial = dest.with_name(dest.name + ".partial")
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=safe_name(spec.volume_label, 32).upper())
    dirs: dict[str, str] = {}
    counter = [0]

    def iso_dir(rel_dir: str) -> str:
        if not rel_dir:
            return ""
        if rel_dir not in dirs:
            parent = iso_dir(rel_dir.rpartition("/")[0])
            counter[0] += 1
            name = f"D{counter[0]:04d}"
            dirs[rel_dir] = f"{parent}/{name}"
            iso.add_directory(f"{parent}/{name}", rr_name=rel_dir.rpartition("/")[2], joliet_path="/" + rel_dir)
        return dirs[rel_dir]

    def add(rel: str, fp: Any, length: int) -> None:
        counter[0] += 1
        folder, _, leaf = rel.rpartition("/")
        ext = "".join(c for c in Path(leaf).suffix.upper()[1:4] if c.isalnum())
        iso_path = f"{iso_dir(folder)}/F{counter[0]:06d}{'.' + ext if ext else ''};1"
        iso.add_fp(fp, length, iso_path, rr_name=leaf, joliet_path="/" + rel)

    try:
        with ExitStack() as stack:
            for rel, data in sorted(small.items()):
                add(rel, io.BytesIO(data), len(data))
            for f, entry in zip(spec.files, index, strict=True):
                fp = stack.enter_context(f.file.open())
                add(entry["path"], fp, f.file.size)
            with open(partial, "wb") as out:
                iso.write_fp(out, blocksize=IO_BLOCK)
                out.flush()
                os.fsync(out.fileno())
        iso.close()
        disc_readback(partial, expected)
        os.replace(partial, dest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return DiscResult(path=dest, size=dest.stat().st_size, files=len(expected), digests=expected)


def disc_readback(image: Path | str, expected: Mapping[str, str]) -> None:
    """Open the image with pycdlib and compare every file's SHA-256 (Joliet and Rock Ridge names both)."""
    iso = pycdlib.PyCdlib()
    iso.open(str(image))
    bad: list[str] = []
    try:
        for rel, digest in sorted(expected.items()):
            sink = _HashSink()
            try:
                iso.get_file_from_iso_fp(sink, blocksize=IO_BLOCK, joliet_path="/" + rel)
            except pycdlib.pycdlibexception.PyCdlibException:
                bad.append(f"{rel}（Joliet 名称缺失）")
                continue
            if sink.hash.hexdigest() != digest:
                bad.append(rel)
            record = iso.get_record(rr_path="/" + rel)
            if record.rock_ridge is None or record.rock_ridge.name() != rel.rpartition("/")[2].encode():
                bad.append(f"{rel}（Rock Ridge 名称不符）")
    finally:
        iso.close()
    if bad:
        raise DiscReadbackFailed(f"光盘镜像回读校验未通过，以下文件与应有内容不符：{'、'.join(bad)}", files=bad)
