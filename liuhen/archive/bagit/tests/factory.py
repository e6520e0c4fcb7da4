"""Generated inputs for archive tests and benchmarks: real PDFs, MP4s and JPEGs in a temporary folder,
a small signed ledger whose events name each file's SHA-256, and a PackageSpec over them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.archive.bagit.render import pdf
from liuhen.archive.bagit.spec import Cover, ItemKind, PackageItem, PackageSpec, SourceFile, Volume
from liuhen.ledger import merkle, signing

ORIGIN = "liuhen.test/agency-1"


def make_pdf(path: Path, title: str) -> Path:
    path.write_bytes(pdf(f"<h1>{title}</h1><p>当事人：某某文化传媒有限公司</p>"))
    return path


def make_jpeg(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 30, 30)).save(path, "JPEG", quality=80)
    return path


def make_mp4(path: Path, seconds: float = 1.0, size: tuple[int, int] = (64, 48), fps: int = 10) -> Path:
    import av
    from PIL import Image

    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for i in range(int(seconds * fps)):
            shade = (i * 20) % 255
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (shade, 255 - shade, 90)))
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def digests(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "sm3": hashlib.new("sm3", data).hexdigest(),
        "size": len(data),
    }


def _canonical(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass
class Ledger:
    """A throwaway signed ledger: one ``blob.stored`` event per file, the checkpoint, the vkey."""

    key: Ed25519PrivateKey
    entries: list[str]
    payloads: list[str]

    @classmethod
    def of(cls, sha256s: Sequence[str]) -> Ledger:
        entries, payloads = [], []
        for seq, sha in enumerate(["0" * 64, *sha256s, "f" * 64]):  # padding events on either side
            payload = _canonical({"sha256": sha, "size": 1})
            payloads.append(payload)
            entries.append(
                _canonical(
                    {
                        "seq": seq,
                        "recorded_at": "2026-11-20T08:00:00+00:00",
                        "actor_id": None,
                        "actor": "系统",
                        "agency_id": 1,
                        "action": "blob.stored",
                        "object_type": "blob",
                        "object_id": sha,
                        "payload_hash": hashlib.sha256(payload.encode()).hexdigest(),
                    }
                )
            )
        return cls(Ed25519PrivateKey.generate(), entries, payloads)

    @property
    def leaves(self) -> list[bytes]:
        return [merkle.leaf_hash(e.encode()) for e in self.entries]

    @property
    def vkey(self) -> str:
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return signing.vkey_for(ORIGIN, raw)

    @property
    def checkpoint(self) -> str:
        fetch = merkle.memory_fetch(self.leaves)
        root = merkle.root(len(self.leaves), fetch)
        return signing.sign_note(signing.checkpoint_body(ORIGIN, len(self.leaves), root), key=self.key, name=ORIGIN)

    def bundle(self, sha256: str) -> dict[str, Any]:
        import base64

        seq = next(i for i, e in enumerate(self.entries) if json.loads(e)["object_id"] == sha256)
        fetch = merkle.memory_fetch(self.leaves)
        proof = merkle.inclusion_proof(seq, len(self.leaves), fetch)
        return {
            "format": "liuhen-proof/1",
            "leaf_index": seq,
            "tree_size": len(self.leaves),
            "leaf_data": self.entries[seq],
            "leaf_hash": base64.b64encode(self.leaves[seq]).decode(),
            "payload": self.payloads[seq],
            "inclusion_proof": [base64.b64encode(h).decode() for h in proof],
            "checkpoint": self.checkpoint,
            "vkey": self.vkey,
        }


@dataclass
class Fixture:
    spec: PackageSpec
    ledger: Ledger
    files: dict[str, Path]


def av_metadata(record_id: str, d: dict[str, Any], media_type: str, duration: float) -> dict[str, Any]:
    return {
        "record_id": record_id,
        **d,
        "media_type": media_type,
        "duration": duration,
        "captured_at": "2026-11-20T09:30:00+08:00",
        "device_serial": "BC-0001",
        "officers": [{"name": "张三", "certificate_no": "11010001"}],
    }


def make_case_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "filing": make_pdf(folder / "filing.pdf", "立案审批表"),
        "decision": make_pdf(folder / "decision.pdf", "行政处罚决定书"),
        "receipt": make_pdf(folder / "receipt.pdf", "送达回证"),
        "video": make_mp4(folder / "video.mp4"),
        "photo": make_jpeg(folder / "photo.jpg"),
        "discussion": make_pdf(folder / "discussion.pdf", "集体讨论笔录"),
        "closing": make_pdf(folder / "closing.pdf", "结案报告"),
    }


def make_spec(folder: Path, *, volume_order: Sequence[str] = ("main", "secondary")) -> Fixture:
    files = make_case_files(folder)
    timeline = json.dumps([{"at": "2026-11-01T09:00:00+08:00", "action": "case.filed"}], ensure_ascii=False).encode()
    timeline_digests = {
        "sha256": hashlib.sha256(timeline).hexdigest(),
        "sm3": hashlib.new("sm3", timeline).hexdigest(),
    }
    d = {k: digests(p) for k, p in files.items()}
    ledger = Ledger.of([*(v["sha256"] for v in d.values()), timeline_digests["sha256"]])
    volumes = {"main": Volume("main", "正卷"), "secondary": Volume("secondary", "副卷")}

    def item(key: str, volume: str, seq: int, kind: ItemKind, title: str, **extra: Any) -> PackageItem:
        source = SourceFile.from_path(files[key], sha256=d[key]["sha256"], sm3=d[key]["sm3"])
        return PackageItem(
            record_id=f"{kind}:{key}",
            volume=volume,
            seq=seq,
            kind=kind,
            title=title,
            file=source,
            proof=ledger.bundle(d[key]["sha256"]),
            responsible="某市文化市场综合执法支队",
            date=date(2026, 11, 1),
            **extra,
        )

    timeline_file = SourceFile.from_bytes(timeline, suffix=".json")
    items = [
        item("filing", "main", 1, ItemKind.DOCUMENT, "立案审批表", pages=(1, 1)),
        item("decision", "main", 2, ItemKind.DOCUMENT, "行政处罚决定书", doc_number="文执罚〔2026〕12号", pages=(2, 3)),
        item("receipt", "main", 3, ItemKind.DOCUMENT, "送达回证", pages=(4, 4)),
        item(
            "video",
            "main",
            4,
            ItemKind.AV_RECORD,
            "现场检查录像",
            metadata=av_metadata("av_record:video", d["video"], "video/mp4", 1.0),
        ),
        item(
            "photo",
            "main",
            5,
            ItemKind.AV_RECORD,
            "现场照片",
            metadata=av_metadata("av_record:photo", d["photo"], "image/jpeg", 0),
        ),
        PackageItem(
            record_id="timeline:case-1",
            volume="main",
            seq=6,
            kind=ItemKind.TIMELINE,
            title="全过程记录时间线",
            file=timeline_file,
            proof=ledger.bundle(timeline_digests["sha256"]),
        ),
        item("discussion", "secondary", 1, ItemKind.DOCUMENT, "集体讨论笔录"),
        item("closing", "secondary", 2, ItemKind.DOCUMENT, "结案报告"),
    ]
    cover = Cover(
        case_name="某某文化传媒有限公司擅自从事营业性演出案",
        handling_unit="某市文化市场综合执法支队",
        filing_date=date(2026, 11, 1),
        closing_date=date(2026, 11, 18),
        archiving_date=date(2026, 11, 20),
        retention="30年",
        archive_number="20260012",
        handler="张三、李四",
        approver="王五",
        decision_number="文执罚〔2026〕12号",
        total_pages=12,
        maker="赵六",
        checker="钱七",
    )
    spec = PackageSpec(
        agency_name="某市文化市场综合执法支队",
        agency_code="11110000MB0000000X",
        case_no="文执〔2026〕12号",
        case_id="case:1",
        archivist="赵六",
        archived_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        cover=cover,
        volumes=[volumes[c] for c in volume_order],
        items=items,
        checkpoint=ledger.checkpoint,
        vkey=ledger.vkey,
        profile="culture-market@3",
    )
    return Fixture(spec=spec, ledger=ledger, files=files)
