"""The four-property checks of DA/T 70 on an archival package directory (clause arch-case-file-complete).

- 真实性 authenticity: every file's SHA-256, SHA-512 and SM3 match the manifests, and each record's
  digests match what the blob store recorded (``expected``); metadata (bag-info, package.json, each
  AV record's metadata JSON) agree with each other; every ledger proof leads to the checkpoint signed
  by the agency's key and names its record.
- 完整性 integrity: every required record and metadata field is there, sequence numbers run from 1
  without gaps, the manifests are complete both ways and list the same files.
- 可用性 usability: every payload file opens in an accepted format (:mod:`liuhen.archive.formats`).
- 安全性 security: nothing that should not be there: unlisted files, symlinks, special files,
  executables or scripts, unsafe names, files above the size limit, PDF active content.

Each finding has a stable ``code``, a Chinese ``message`` and the ``path`` it is about. The report is
JSON-serialisable (:meth:`CheckReport.as_dict`) and readable (:meth:`CheckReport.text`), and
:func:`report_attach` keeps it in the package as tag files.
"""

from __future__ import annotations

import json
import os
import stat
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from liuhen.archive.bagit import formats
from liuhen.archive.bagit.hashing import ALGORITHMS, file_digests
from liuhen.archive.bagit.package import (
    PACKAGE_JSON,
    REPORT_JSON,
    REPORT_TEXT,
    REQUIRED_BAG_INFO,
    reseal_tag_manifests,
)
from liuhen.archive.bagit.proofs import ProofInvalid, verify_proof
from liuhen.archive.bagit.spec import COVER_LABELS, REQUIRED_COVER_FIELDS


class Property(StrEnum):
    AUTHENTICITY = "authenticity"
    INTEGRITY = "integrity"
    USABILITY = "usability"
    SECURITY = "security"


PROPERTY_LABELS = {
    Property.AUTHENTICITY: "真实性",
    Property.INTEGRITY: "完整性",
    Property.USABILITY: "可用性",
    Property.SECURITY: "安全性",
}

DEFAULT_MAX_FILE_SIZE = 50 * 1000**3  # 50 GB: above any single AV original Liuhen accepts
SCRIPT_SUFFIXES = frozenset(
    [
        ".exe",
        ".dll",
        ".so",
        ".com",
        ".scr",
        ".msi",
        ".bat",
        ".cmd",
        ".ps1",
        ".sh",
        ".bash",
        ".py",
        ".pyc",
        ".pl",
        ".rb",
        ".php",
        ".js",
        ".mjs",
        ".vbs",
        ".wsf",
        ".jar",
        ".class",
        ".apk",
        ".app",
        ".lnk",
        ".html",
        ".htm",
        ".xhtml",
        ".svg",
        ".hta",
        ".cpl",
        ".reg",
        ".elf",
        ".bin",
        ".dmg",
        ".iso",
    ]
)
EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa")
PDF_ACTIVE = (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/EmbeddedFile", b"/RichMedia")


@dataclass(frozen=True)
class Finding:
    property: Property
    code: str
    message: str
    path: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {"property": str(self.property), "code": self.code, "message": self.message, "path": self.path}
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


@dataclass
class CheckReport:
    package: str
    checked_at: datetime
    findings: list[Finding]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def passed(self, prop: Property) -> bool:
        return not self.of(prop)

    def of(self, prop: Property) -> list[Finding]:
        return [f for f in self.findings if f.property == prop]

    def codes(self, prop: Property | None = None) -> set[str]:
        return {f.code for f in self.findings if prop is None or f.property == prop}

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": "liuhen-dat70-report/1",
            "package": self.package,
            "checked_at": self.checked_at.isoformat(),
            "ok": self.ok,
            "properties": {
                str(p): {
                    "label": PROPERTY_LABELS[p],
                    "ok": self.passed(p),
                    "findings": [f.as_dict() for f in self.of(p)],
                }
                for p in Property
            },
            "stats": self.stats,
        }

    def text(self) -> str:
        lines = [
            "归档包四性检测报告（DA/T 70）",
            f"归档包：{self.package}",
            f"检测时间：{self.checked_at.isoformat()}",
            f"结论：{'通过' if self.ok else '未通过'}",
            f"文件 {self.stats.get('files', 0)} 个，{self.stats.get('bytes', 0)} 字节；"
            f"记录 {self.stats.get('records', 0)} 件；存在性证明 {self.stats.get('proofs', 0)} 份",
        ]
        for p in Property:
            found = self.of(p)
            lines.append(f"{PROPERTY_LABELS[p]}：{'通过' if not found else f'未通过（{len(found)} 项）'}")
            lines.extend(f"  - [{f.code}] {f.path + '：' if f.path else ''}{f.message}" for f in found)
        return "\n".join(lines) + "\n"


def _unsafe_name(rel: str) -> bool:
    if not rel or rel.startswith(("/", "~")) or "\\" in rel or "\x00" in rel:
        return True
    parts = PurePosixPath(rel).parts
    return any(p in ("..", ".") or p.startswith("..") or any(ord(c) < 32 or c == "\x7f" for c in p) for p in parts)


def _parse_manifest(path: Path, findings: list[Finding], label: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            findings.append(
                Finding(Property.INTEGRITY, "manifest_malformed", f"{label} 第 {number} 行格式错误", path.name)
            )
            continue
        digest, rel = parts[0].lower(), parts[1].strip().lstrip("*")
        if _unsafe_name(rel):
            findings.append(
                Finding(
                    Property.SECURITY,
                    "path_unsafe",
                    f"{label} 列出了指向包外或不安全的路径“{rel}”（路径穿越）",
                    rel,
                )
            )
            continue
        entries[rel] = digest
    return entries


class _Checker:
    def __init__(self, root: Path, *, max_file_size: int) -> None:
        self.root = root
        self.max_file_size = max_file_size
        self.findings: list[Finding] = []
        self.files: dict[str, int] = {}  # regular files: rel path -> size
        self.manifests: dict[str, dict[str, str]] = {}
        self.tagmanifests: dict[str, dict[str, str]] = {}
        self.digests: dict[str, dict[str, str]] = {}
        self.description: dict[str, Any] = {}
        self.info: dict[str, str] = {}

    def add(self, prop: Property, code: str, message: str, path: str = "", **detail: Any) -> None:
        self.findings.append(Finding(prop, code, message, path, detail))

    # --- inventory and 安全性 ----------------------------------------------------------------

    def inventory(self) -> None:
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            base = Path(dirpath)
            for name in sorted([*dirnames, *filenames]):
                full = base / name
                rel = full.relative_to(self.root).as_posix()
                st = os.lstat(full)
                if _unsafe_name(rel):
                    self.add(Property.SECURITY, "path_unsafe", f"文件名不安全：“{rel}”", rel)
                if stat.S_ISLNK(st.st_mode):
                    self.add(Property.SECURITY, "symlink", f"包内不得有符号链接（指向 {os.readlink(full)}）", rel)
                    continue
                if stat.S_ISDIR(st.st_mode):
                    continue
                if not stat.S_ISREG(st.st_mode):
                    self.add(Property.SECURITY, "special_file", "包内不得有设备、管道或套接字等特殊文件", rel)
                    continue
                self.files[rel] = st.st_size
                self._security_of_file(full, rel, st)

    def _security_of_file(self, full: Path, rel: str, st: os.stat_result) -> None:
        if st.st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
            self.add(Property.SECURITY, "executable", "文件带有可执行权限", rel)
        if full.suffix.lower() in SCRIPT_SUFFIXES:
            self.add(Property.SECURITY, "script_file", f"包内不得有程序或脚本文件（{full.suffix}）", rel)
        if st.st_size > self.max_file_size:
            self.add(
                Property.SECURITY,
                "file_too_large",
                f"文件大小 {st.st_size} 字节，超过上限 {self.max_file_size} 字节",
                rel,
                size=st.st_size,
            )
        with open(full, "rb") as fh:
            head = fh.read(8)
            if head.startswith(EXECUTABLE_MAGIC):
                self.add(Property.SECURITY, "executable", "文件内容是可执行程序或脚本", rel)
            if full.suffix.lower() == ".pdf" and st.st_size <= 1 << 30:
                fh.seek(0)
                tail = b""
                while chunk := fh.read(1 << 20):
                    window = tail + chunk
                    hit = next((m for m in PDF_ACTIVE if m in window), None)
                    if hit:
                        self.add(
                            Property.SECURITY,
                            "pdf_active_content",
                            f"PDF 含有脚本、启动动作或嵌入文件（{hit.decode().strip()}）",
                            rel,
                        )
                        break
                    tail = chunk[-16:]

    def listing(self) -> None:
        for algorithm in ALGORITHMS:
            for kind, store in (("manifest", self.manifests), ("tagmanifest", self.tagmanifests)):
                name = f"{kind}-{algorithm}.txt"
                if name in self.files:
                    store[algorithm] = _parse_manifest(self.root / name, self.findings, name)
                else:
                    self.add(Property.INTEGRITY, f"{kind}_missing", f"缺少清单文件 {name}", name)
        listed = {p for m in (*self.manifests.values(), *self.tagmanifests.values()) for p in m}
        for rel in self.files:
            if rel not in listed and not rel.startswith("tagmanifest-"):
                self.add(Property.SECURITY, "file_unlisted", "文件不在任何清单中（包内不应有的文件）", rel)

    # --- 完整性 ----------------------------------------------------------------------------------

    def integrity(self, required_records: Iterable[str]) -> None:
        payload = {r for r in self.files if r.startswith("data/")}
        listed_sets = {a: set(m) for a, m in self.manifests.items()}
        for algorithm, listed in listed_sets.items():
            for rel in sorted(listed - set(self.files)):
                self.add(Property.INTEGRITY, "file_missing", f"manifest-{algorithm}.txt 列出的文件不存在", rel)
            for rel in sorted(payload - listed):
                self.add(Property.INTEGRITY, "file_not_in_manifest", f"文件不在 manifest-{algorithm}.txt 中", rel)
        if len({frozenset(s) for s in listed_sets.values()}) > 1:
            self.add(Property.INTEGRITY, "manifest_mismatch", "各算法的清单列出的文件不一致")
        tag = {r for r in self.files if not r.startswith(("data/", "tagmanifest-"))}
        for algorithm, entries in self.tagmanifests.items():
            for rel in sorted(set(entries) - set(self.files)):
                self.add(Property.INTEGRITY, "file_missing", f"tagmanifest-{algorithm}.txt 列出的文件不存在", rel)
            for rel in sorted(tag - set(entries)):
                self.add(Property.INTEGRITY, "tag_file_unlisted", f"标签文件不在 tagmanifest-{algorithm}.txt 中", rel)
        if "bagit.txt" not in self.files:
            self.add(Property.INTEGRITY, "bagit_txt_missing", "缺少 bagit.txt", "bagit.txt")
        self._bag_info()
        self._description(required_records)

    def _bag_info(self) -> None:
        if "bag-info.txt" not in self.files:
            self.add(Property.INTEGRITY, "bag_info_missing", "缺少 bag-info.txt", "bag-info.txt")
            return
        for line in (self.root / "bag-info.txt").read_text(encoding="utf-8", errors="replace").splitlines():
            if ":" in line and not line[:1].isspace():
                key, value = line.split(":", 1)
                self.info.setdefault(key.strip(), value.strip())
        for key in REQUIRED_BAG_INFO:
            if not self.info.get(key):
                self.add(
                    Property.INTEGRITY,
                    "bag_info_field_missing",
                    f"bag-info.txt 缺少字段 {key}",
                    "bag-info.txt",
                    field=key,
                )
        oxum = self.info.get("Payload-Oxum", "")
        payload = [s for r, s in self.files.items() if r.startswith("data/")]
        if oxum and oxum != f"{sum(payload)}.{len(payload)}":
            self.add(
                Property.INTEGRITY,
                "payload_oxum_mismatch",
                f"Payload-Oxum 记为 {oxum}，实有 {sum(payload)} 字节 {len(payload)} 个文件",
                "bag-info.txt",
            )

    def _description(self, required_records: Iterable[str]) -> None:
        if PACKAGE_JSON not in self.files:
            self.add(Property.INTEGRITY, "package_json_missing", f"缺少 {PACKAGE_JSON}", PACKAGE_JSON)
            return
        try:
            self.description = json.loads((self.root / PACKAGE_JSON).read_text(encoding="utf-8"))
        except ValueError:
            self.add(Property.INTEGRITY, "package_json_invalid", f"{PACKAGE_JSON} 不是有效的 JSON", PACKAGE_JSON)
            return
        d = self.description
        cover = d.get("cover") or {}
        for key in REQUIRED_COVER_FIELDS:
            if not str(cover.get(key) or "").strip():
                self.add(
                    Property.INTEGRITY,
                    "cover_field_missing",
                    f"案卷封面缺少“{COVER_LABELS[key]}”",
                    PACKAGE_JSON,
                    field=key,
                )
        for volume in d.get("volumes", []):
            for part in ("cover", "contents"):
                if volume.get(part) not in self.files:
                    self.add(
                        Property.INTEGRITY,
                        f"{part}_missing",
                        f"卷“{volume.get('title')}”缺少{'封面' if part == 'cover' else '卷内目录'}",
                        str(volume.get(part) or ""),
                    )
        for part in ("checkpoint", "vkey"):
            if d.get(part) not in self.files:
                self.add(
                    Property.INTEGRITY, f"{part}_missing", f"缺少账本{'检查点' if part == 'checkpoint' else '公钥'}"
                )
        seqs: dict[str, list[int]] = defaultdict(list)
        fields = d.get("av_metadata_fields") or []
        for item in d.get("items", []):
            title = item.get("title", "")
            seqs[item.get("volume", "")].append(item.get("seq"))
            for key in ("path", "proof_path", *(("metadata_path",) if item.get("kind") == "av_record" else ())):
                rel = item.get(key)
                if not rel or rel not in self.files:
                    what = {"path": "文件", "proof_path": "存在性证明", "metadata_path": "元数据"}[key]
                    self.add(
                        Property.INTEGRITY,
                        "record_file_missing",
                        f"“{title}”（{item.get('record_id')}）缺少{what}",
                        str(rel or ""),
                        record_id=item.get("record_id"),
                    )
            meta_rel = item.get("metadata_path")
            if meta_rel in self.files:
                meta = self._load_json(meta_rel)
                for key in fields:
                    if isinstance(meta, dict) and meta.get(key) in (None, ""):
                        self.add(
                            Property.INTEGRITY,
                            "metadata_field_missing",
                            f"“{title}”的元数据缺少字段 {key}",
                            meta_rel,
                            field=key,
                        )
        order = [v.get("code") for v in d.get("volumes", [])]
        for volume, numbers in seqs.items():
            if volume not in order:
                self.add(Property.INTEGRITY, "volume_unknown", f"记录所属的卷“{volume}”不在卷序中")
            ints = sorted(n for n in numbers if isinstance(n, int))
            dupes = sorted({n for n in ints if ints.count(n) > 1})
            missing = sorted(set(range(1, (max(ints) if ints else 0) + 1)) - set(ints))
            if dupes:
                self.add(Property.INTEGRITY, "sequence_duplicate", f"卷“{volume}”的顺序号重复：{dupes}", volume=volume)
            if missing or len(ints) != len(numbers):
                self.add(
                    Property.INTEGRITY,
                    "sequence_gap",
                    f"卷“{volume}”的顺序号不连续，缺少 {missing}",
                    volume=volume,
                    missing=missing,
                )
        present = {i.get("record_id") for i in d.get("items", [])}
        for record_id in required_records:
            if record_id not in present:
                self.add(
                    Property.INTEGRITY, "record_missing", f"应归档的记录 {record_id} 不在包中", record_id=record_id
                )

    def _load_json(self, rel: str) -> Any:
        try:
            return json.loads((self.root / rel).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            return None

    # --- 真实性 ----------------------------------------------------------------------------------

    def authenticity(
        self,
        expected: Mapping[str, Mapping[str, Any]] | None,
        trusted_vkey: str | None,
        expected_info: Mapping[str, str],
    ) -> int:
        wanted: dict[str, set[str]] = defaultdict(set)
        for store in (self.manifests, self.tagmanifests):
            for algorithm, entries in store.items():
                for rel in entries:
                    if rel in self.files:
                        wanted[rel].add(algorithm)
        for rel in sorted(wanted):
            algorithms = [a for a in ALGORITHMS if a in wanted[rel]]
            self.digests[rel] = file_digests(self.root / rel, algorithms)[0]
        for store, label in ((self.manifests, "manifest"), (self.tagmanifests, "tagmanifest")):
            for algorithm, entries in store.items():
                for rel, digest in entries.items():
                    found = self.digests.get(rel, {}).get(algorithm)
                    if found is not None and found != digest:
                        self.add(
                            Property.AUTHENTICITY,
                            "digest_mismatch",
                            f"{algorithm.upper()} 摘要与 {label}-{algorithm}.txt 不符（文件被改动）",
                            rel,
                            algorithm=algorithm,
                            expected=digest,
                            found=found,
                        )
        return self._records(expected, trusted_vkey, expected_info)

    def _records(
        self,
        expected: Mapping[str, Mapping[str, Any]] | None,
        trusted_vkey: str | None,
        expected_info: Mapping[str, str],
    ) -> int:
        d = self.description
        for key, value in expected_info.items():
            if self.info.get(key) != value:
                self.add(
                    Property.AUTHENTICITY,
                    "info_mismatch",
                    f"bag-info.txt 的 {key} 为“{self.info.get(key, '')}”，应为“{value}”",
                    "bag-info.txt",
                )
        pairs = (
            ("External-Identifier", (d.get("case") or {}).get("case_no")),
            ("Liuhen-Case-Id", (d.get("case") or {}).get("id")),
            ("Source-Organization", (d.get("agency") or {}).get("name")),
            ("Liuhen-Archivist", d.get("archivist")),
        )
        for key, value in pairs:
            if d and self.info.get(key) is not None and value is not None and str(value) != self.info.get(key):
                self.add(Property.AUTHENTICITY, "info_mismatch", f"bag-info.txt 的 {key} 与 package.json 不一致", key)
        checkpoint = self._read_text(d.get("checkpoint"))
        vkey = (self._read_text(d.get("vkey")) or "").strip()
        if trusted_vkey and vkey and vkey != trusted_vkey.strip():
            self.add(Property.AUTHENTICITY, "vkey_untrusted", "包内的机关公钥与信任的公钥不同", str(d.get("vkey")))
        vkey = (trusted_vkey or vkey).strip()
        proofs = 0
        for item in d.get("items", []):
            rid, rel = item.get("record_id"), item.get("path")
            manifest = {a: self.manifests.get(a, {}).get(rel) for a in ("sha256", "sm3")}
            for algorithm in ("sha256", "sm3"):
                if manifest[algorithm] and manifest[algorithm] != item.get(algorithm):
                    self.add(
                        Property.AUTHENTICITY,
                        "metadata_mismatch",
                        f"package.json 中“{item.get('title')}”的 {algorithm.upper()} 与清单不符",
                        rel or "",
                    )
            if rel in self.files and item.get("size") != self.files[rel]:
                self.add(Property.AUTHENTICITY, "metadata_mismatch", "文件大小与 package.json 不符", rel)
            if expected is not None:
                stored = expected.get(rid)
                if stored is None:
                    self.add(
                        Property.AUTHENTICITY,
                        "record_unknown",
                        f"包中的记录 {rid} 不在存储记录中",
                        rel or "",
                        record_id=rid,
                    )
                else:
                    for key in ("sha256", "sm3", "size"):
                        if key in stored and stored[key] != item.get(key):
                            self.add(
                                Property.AUTHENTICITY,
                                "record_digest_differs",
                                f"“{item.get('title')}”的 {key} 与原始文件库记录不符",
                                rel or "",
                                record_id=rid,
                                field=key,
                            )
            meta = self._load_json(item["metadata_path"]) if item.get("metadata_path") in self.files else None
            if isinstance(meta, dict):
                for key in ("record_id", "sha256", "sm3", "size"):
                    if key in meta and meta[key] != item.get(key):
                        self.add(
                            Property.AUTHENTICITY,
                            "metadata_mismatch",
                            f"元数据的 {key} 与记录不符",
                            item["metadata_path"],
                            field=key,
                        )
            if item.get("proof_path") in self.files and checkpoint is not None:
                proofs += 1
                try:
                    verify_proof(
                        self._load_json(item["proof_path"]) or {},
                        checkpoint=checkpoint,
                        vkey=vkey,
                        sha256=item.get("sha256"),
                    )
                except ProofInvalid as exc:
                    self.add(
                        Property.AUTHENTICITY, exc.code, f"“{item.get('title')}”的账本证明：{exc}", item["proof_path"]
                    )
        return proofs

    def _read_text(self, rel: Any) -> str | None:
        if not rel or rel not in self.files:
            return None
        return (self.root / rel).read_text(encoding="utf-8", errors="replace")

    # --- 可用性 ----------------------------------------------------------------------------------

    def usability(self) -> None:
        for rel in sorted(self.files):
            if not rel.startswith("data/"):
                continue
            try:
                formats.check_format(self.root / rel)
            except formats.FormatProblem as exc:
                self.add(Property.USABILITY, exc.code, str(exc), rel)


def check_package(
    root: Path | str,
    *,
    expected: Mapping[str, Mapping[str, Any]] | None = None,
    required_records: Iterable[str] = (),
    trusted_vkey: str | None = None,
    expected_info: Mapping[str, str] | None = None,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    checked_at: datetime | None = None,
) -> CheckReport:
    """Run the four checks on the package at ``root``.

    ``expected``: record_id -> {"sha256", "sm3", "size"} as the blob store recorded them (see
    :func:`liuhen.archive.spec.expected_records`); ``required_records``: ids the case must hold;
    ``trusted_vkey``: the agency's published key (default: the one in the package);
    ``expected_info``: bag-info fields that must have these values (agency, case number...).
    """
    root = Path(root)
    checker = _Checker(root, max_file_size=max_file_size)
    checker.inventory()
    checker.listing()
    checker.integrity(required_records)
    proofs = checker.authenticity(expected, trusted_vkey, expected_info or {})
    checker.usability()
    return CheckReport(
        package=root.name,
        checked_at=checked_at or datetime.now(UTC),
        findings=checker.findings,
        stats={
            "files": len(checker.files),
            "bytes": sum(checker.files.values()),
            "records": len(checker.description.get("items", [])),
            "proofs": proofs,
            "algorithms": list(ALGORITHMS),
        },
    )


def report_attach(root: Path | str, report: CheckReport) -> None:
    """Keep the report with the package (liuhen/check-report.json and .txt), tag manifests resealed."""
    root = Path(root)
    (root / REPORT_JSON).write_text(
        json.dumps(report.as_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (root / REPORT_TEXT).write_text(report.text(), encoding="utf-8")
    reseal_tag_manifests(root)


def verify_manifests(root: Path | str, algorithms: tuple[str, ...] = ("sha256", "sha512")) -> list[Finding]:
    """Only what ``bagit``'s own validation does (complete manifests, every digest of ``algorithms``), faster.

    Each file is read once and its digests computed in parallel threads; used to compare with
    ``bagit.Bag.validate()`` (benchmarks/bench_archive.py). :func:`check_package` is the full check.
    """
    checker = _Checker(Path(root), max_file_size=DEFAULT_MAX_FILE_SIZE)
    checker.inventory()
    checker.listing()
    checker.integrity(())
    wanted: dict[str, dict[str, str]] = defaultdict(dict)
    for store in (checker.manifests, checker.tagmanifests):
        for algorithm in algorithms:
            for rel, digest in store.get(algorithm, {}).items():
                wanted[rel][algorithm] = digest
    for rel, digests in sorted(wanted.items()):
        if rel not in checker.files:
            continue
        found = file_digests(checker.root / rel, [a for a in algorithms if a in digests])[0]
        for algorithm, digest in digests.items():
            if found[algorithm] != digest:
                checker.add(Property.AUTHENTICITY, "digest_mismatch", f"{algorithm.upper()} 摘要与清单不符", rel)
    return checker.findings
