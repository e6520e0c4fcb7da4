"""Off-site replication: copy originals, the ledger and a database snapshot elsewhere; prove and restore it.

Clause store-offsite-backup (音像记录存储后应当定期进行异地备份), with integ-no-tamper-original and
integ-audit-trail-traceability for what the copy must preserve. A replica (``replica_targets``) holds

- ``blobs/``: a blob store of the primary's layout; each copy goes through the replica store's own
  write-once ``put`` and its digest must equal the key;
- ``ledger/events-<start>-<end>.jsonl``: write-once, contiguous segments of the ledger, one per run,
  each line an event's full columns; ``ledger/checkpoints.jsonl`` (every signed checkpoint) and
  ``ledger/public-key.txt`` (the deployment's vkey), so the copy is checked without the primary;
- ``db/snapshot-<tree size>.jsonl.gz``: ``dumpdata`` of every table read in one transaction, so
  its events are exactly the first <tree size> events of the segments.

``replicate`` copies what is new and leaves a ``ledger.replicated`` event naming the files and their
SHA-256 (so a later run's segment vouches for the earlier snapshot); ``verify_replica`` re-hashes and
replays the copy; ``restore`` loads the newest snapshot into an empty database and copies the originals
and checkpoints back.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, connection, transaction

from liuhen.ledger import checkpoints, merkle, services, signing, snapshots, tree
from liuhen.ledger.blobstore.backends import get_store, is_key
from liuhen.ledger.blobstore.errors import BlobNotFound
from liuhen.ledger.blobstore.models import Blob
from liuhen.ledger.blobstore.verification import rehash
from liuhen.ledger.findings import Finding
from liuhen.ledger.models import Checkpoint, Event, LedgerHead
from liuhen.ledger.replica_targets import (
    ReplicaNotFound,
    ReplicaTarget,
    ReplicationError,
    open_target,
    sha256_file,
)

__all__ = ["ReplicationError", "replicate", "restore", "verify_replica"]

SEGMENT_RE = re.compile(r"events-(\d{12})-(\d{12})\.jsonl")
SNAPSHOT_RE = re.compile(r"snapshot-(\d{12})\.jsonl\.gz")
CHECKPOINTS = "ledger/checkpoints.jsonl"
PUBLIC_KEY = "ledger/public-key.txt"
# Events every replication or verification run writes about itself (and witnesses' cosignatures, which
# arrive on their own schedule): they reach the replica only on the next run, so a replica missing
# nothing but these is not "behind".
BOOKKEEPING = frozenset(
    {
        "ledger.replicated",
        "ledger.restored",
        "ledger.verified",
        "ledger.verify_requested",
        "ledger.checkpoint_signed",
        "ledger.checkpoint_cosigned",
    }
)
EVENT_COLUMNS = tuple(f.attname for f in Event._meta.concrete_fields)


def segment_name(start: int, end: int) -> str:
    return f"events-{start:012d}-{end:012d}.jsonl"


def snapshot_name(size: int) -> str:
    return f"snapshot-{size:012d}.jsonl.gz"


def _event_line(event: Event) -> bytes:
    row = {column: getattr(event, column) for column in EVENT_COLUMNS}
    row["recorded_at"] = event.recorded_at.isoformat()
    return json.dumps(row, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def _event_from_row(row: dict[str, Any]) -> Event:
    values = {column: row[column] for column in EVENT_COLUMNS}
    values["recorded_at"] = dt.datetime.fromisoformat(row["recorded_at"])
    return Event(**values)


def _segments(target: ReplicaTarget) -> list[tuple[int, int, str]]:
    found = []
    for name in target.names("ledger"):
        if m := SEGMENT_RE.fullmatch(name):
            found.append((int(m[1]), int(m[2]), name))
    return sorted(found)


def _snapshots(target: ReplicaTarget) -> list[tuple[int, str]]:
    return sorted((int(m[1]), name) for name in target.names("db") if (m := SNAPSHOT_RE.fullmatch(name)))


def _read_lines(target: ReplicaTarget, name: str) -> list[str]:
    try:
        with target.open(name) as fh:
            return fh.read().decode("utf-8").splitlines()
    except FileNotFoundError:
        return []


def _read_vkey(target: ReplicaTarget) -> str | None:
    lines = _read_lines(target, PUBLIC_KEY)
    return lines[0].strip() if lines else None


def _local_vkey() -> str | None:
    """This deployment's vkey, without creating a key where there is none."""
    return signing.deployment_verifier().vkey if signing.key_path().exists() else None


# --- replay of the replica's ledger ----------------------------------------------------------------


@dataclass
class _ReplicaLedger:
    size: int = 0
    segments: int = 0
    chain: str = "0" * 64
    frontier: merkle.Frontier = field(default_factory=merkle.Frontier)
    roots: dict[int, bytes] = field(default_factory=dict)
    snapshot_hashes: dict[str, str] = field(default_factory=dict)  # from ledger.replicated events
    checkpoints: list[tuple[int, bytes, str]] = field(default_factory=list)  # (size, root, note)
    snapshots: list[tuple[int, str]] = field(default_factory=list)


def _replay_line(raw: bytes, position: int, r: _ReplicaLedger, findings: list[Finding]) -> None:
    """Add one segment line to the rebuilt tree, recomputing its leaf from its own columns."""
    item = f"replica:event:#{position}"
    try:
        row = json.loads(raw)
        event = _event_from_row(row)
        entry = tree.entry_bytes(event)
    except (ValueError, KeyError, TypeError) as exc:
        findings.append(
            Finding("replica_event_edited", f"副本账本事件 #{position} 无法解析", item, {"reason": str(exc)})
        )
        leaf = merkle.leaf_hash(raw)  # keeps the tree's shape: the checkpoints then show the damage
        r.chain = hashlib.sha256(bytes.fromhex(r.chain) + leaf).hexdigest()
    else:
        leaf = merkle.leaf_hash(entry)
        chain = hashlib.sha256(bytes.fromhex(r.chain) + leaf).hexdigest()
        if (
            event.seq != position
            or hashlib.sha256(str(event.payload).encode()).hexdigest() != event.payload_hash
            or leaf.hex() != event.leaf_hash
            or chain != event.chain_hash
        ):
            findings.append(
                Finding(
                    "replica_event_edited",
                    f"副本账本事件 #{position} 已被改动（序号、内容或哈希与重算结果不符）",
                    item,
                    {"stored_leaf": row.get("leaf_hash"), "recomputed_leaf": leaf.hex()},
                )
            )
        r.chain = chain
        if event.action == "ledger.replicated":
            try:
                payload = json.loads(event.payload)
                if payload.get("snapshot") and payload.get("snapshot_sha256"):
                    r.snapshot_hashes[payload["snapshot"]] = payload["snapshot_sha256"]
            except (ValueError, AttributeError):
                pass
    r.frontier.append(leaf)
    if r.frontier.size in r.roots:
        r.roots[r.frontier.size] = r.frontier.root()


def _replay(target: ReplicaTarget, sizes: set[int], findings: list[Finding]) -> _ReplicaLedger:
    r = _ReplicaLedger(roots=dict.fromkeys(sizes, b""))
    for start, end, name in _segments(target):
        item = f"replica:segment:{name}"
        if start > r.size:
            findings.append(
                Finding(
                    "replica_segment_gap",
                    f"副本账本段不连续：缺少事件 #{r.size} 至 #{start - 1}（段文件缺失）",
                    item,
                    {"missing_from": r.size, "missing_to": start - 1},
                )
            )
            break  # later segments cannot be placed in the tree
        if start < r.size or end <= start:
            findings.append(Finding("replica_segment_overlap", f"副本账本段 {name} 与前一段重叠或范围无效", item))
            continue
        count = 0
        with target.open(f"ledger/{name}") as fh:
            for raw in fh:
                if start + count >= end:
                    count += 1
                    break
                _replay_line(raw.rstrip(b"\n"), start + count, r, findings)
                count += 1
        r.segments += 1
        r.size = r.frontier.size
        if count != end - start:
            findings.append(
                Finding(
                    "replica_segment_truncated",
                    f"副本账本段 {name} 应有 {end - start} 条事件，实际 {count} 条",
                    item,
                    {"expected": end - start, "lines": count},
                )
            )
            break
    r.roots = {size: root for size, root in r.roots.items() if root}
    return r


def _check_ledger(target: ReplicaTarget, findings: list[Finding], stats: dict[str, Any]) -> _ReplicaLedger:
    """Replay the segments and hold them against every checkpoint and snapshot the replica carries."""
    vkey = _read_vkey(target)
    verifier = None
    if vkey:
        try:
            verifier = signing.Verifier.parse(vkey)
        except signing.NoteError as exc:
            findings.append(Finding("replica_key_invalid", f"副本中的公钥无法解析：{exc}", f"replica:{PUBLIC_KEY}"))
    local = _local_vkey()
    if vkey and local and vkey != local:
        findings.append(
            Finding(
                "replica_key_mismatch",
                "副本中的公钥与本系统的签名公钥不同（副本属于另一部署？）",
                f"replica:{PUBLIC_KEY}",
            )
        )
    notes: list[tuple[int, bytes, str]] = []
    for n, line in enumerate(_read_lines(target, CHECKPOINTS), start=1):
        item = f"replica:{CHECKPOINTS}:line={n}"
        try:
            note = json.loads(line)["note"]
        except (ValueError, KeyError, TypeError):
            findings.append(Finding("replica_checkpoint_malformed", f"副本检查点文件第 {n} 行无法解析", item))
            continue
        if verifier is None:
            findings.append(
                Finding("replica_key_missing", "副本中没有公钥，无法核对检查点签名", f"replica:{PUBLIC_KEY}")
            )
            break
        try:
            opened = signing.open_checkpoint(note, [verifier])
        except signing.NoteError as exc:
            findings.append(
                Finding(
                    "replica_checkpoint_bad_signature", f"副本检查点签名无效（第 {n} 行）", item, {"reason": str(exc)}
                )
            )
            continue
        notes.append((opened.size, opened.root, note))
    snaps = _snapshots(target)
    r = _replay(target, {size for size, _, _ in notes} | {size for size, _ in snaps}, findings)
    r.checkpoints, r.snapshots = notes, snaps
    for size, root, _ in notes:
        item = f"replica:checkpoint:size={size}"
        if size > r.size:
            findings.append(
                Finding(
                    "replica_segment_missing",
                    f"副本检查点覆盖到第 {size} 条事件，副本账本段只有 {r.size} 条（段文件缺失）",
                    item,
                    {"checkpoint_size": size, "replica_size": r.size},
                )
            )
        elif r.roots.get(size) != root:
            findings.append(
                Finding(
                    "replica_checkpoint_mismatch",
                    f"副本账本重算的树根与已签署的检查点（树大小 {size}）不符：副本中的事件被改动",
                    item,
                    {"checkpoint_root": root.hex(), "recomputed": r.roots.get(size, b"").hex()},
                )
            )
    stats.update(
        segments=r.segments,
        events=r.size,
        tree_size=r.size,
        root=r.frontier.root().hex(),
        checkpoints=len(notes),
        snapshots=len(snaps),
    )
    return r


class _HashingReader:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        return data


def _snapshot_digest(target: ReplicaTarget, name: str) -> str:
    """SHA-256 of the snapshot file, reading it through gzip so a damaged file fails its CRC."""
    with target.open(f"db/{name}") as raw:
        reader = _HashingReader(raw)
        with gzip.GzipFile(fileobj=reader, mode="rb") as gz:  # type: ignore[arg-type]
            while gz.read(1024 * 1024):
                pass
        while reader.read(1024 * 1024):
            pass
        return reader.digest.hexdigest()


def _check_snapshots(
    target: ReplicaTarget, r: _ReplicaLedger, recorded: dict[str, str], findings: list[Finding]
) -> None:
    if r.size and not any(size <= r.size for size, _ in r.snapshots):
        findings.append(Finding("replica_snapshot_missing", "副本中没有可用于恢复的数据库快照", "replica:db"))
    for size, name in r.snapshots:
        item = f"replica:snapshot:{name}"
        if size > r.size:
            findings.append(
                Finding(
                    "replica_segment_missing",
                    f"数据库快照 {name} 覆盖到第 {size} 条事件，副本账本段只有 {r.size} 条",
                    item,
                    {"snapshot_size": size, "replica_size": r.size},
                )
            )
        try:
            digest = _snapshot_digest(target, name)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            findings.append(
                Finding("replica_snapshot_unreadable", f"数据库快照 {name} 已损坏，无法读取", item, {"error": str(exc)})
            )
            continue
        if name in recorded and recorded[name] != digest:
            findings.append(
                Finding(
                    "replica_snapshot_changed",
                    f"数据库快照 {name} 的摘要与账本中登记的不符：快照被改动",
                    item,
                    {"recorded": recorded[name], "actual": digest},
                )
            )


# --- verify ----------------------------------------------------------------------------------------


def _primary_present() -> bool:
    try:
        LedgerHead.objects.exists()
    except DatabaseError:
        return False
    return True


def _check_blobs(target: ReplicaTarget, findings: list[Finding], stats: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    rehashed = size_total = 0
    store = target.blobs
    listing = store.keys()  # a blob store, not a dict
    for key in listing:
        item = f"replica:blob:{key}"
        if not is_key(key):
            findings.append(Finding("replica_blob_stray", "副本原始文件区中有不符合命名规则的文件", item))
            continue
        keys.add(key)
        try:
            sha256, _, size = rehash(store, key)
        except (BlobNotFound, OSError) as exc:
            findings.append(Finding("replica_blob_unreadable", "副本中的原始文件无法读取", item, {"error": str(exc)}))
            continue
        rehashed += 1
        size_total += size
        if sha256 != key:
            findings.append(
                Finding(
                    "replica_blob_changed",
                    "副本中的原始文件已被改动：内容摘要与文件标识不符",
                    item,
                    {"actual_sha256": sha256},
                )
            )
    stats.update(blobs=len(keys), blobs_rehashed=rehashed, blob_bytes_rehashed=size_total)
    return keys


def _recorded_snapshot_hashes(r: _ReplicaLedger, primary: bool) -> dict[str, str]:
    recorded = dict(r.snapshot_hashes)
    if primary:
        for payload in Event.objects.filter(action="ledger.replicated").values_list("payload", flat=True):
            try:
                body = json.loads(payload)
                if body.get("snapshot") and body.get("snapshot_sha256"):
                    recorded.setdefault(body["snapshot"], body["snapshot_sha256"])
            except (ValueError, AttributeError):
                continue
    return recorded


def _check_against_primary(r: _ReplicaLedger, findings: list[Finding], stats: dict[str, Any]) -> None:
    head = LedgerHead.objects.filter(pk=1).first()
    head_size = head.size if head else 0
    if r.size > head_size:
        findings.append(
            Finding(
                "replica_ahead_of_primary",
                f"副本有 {r.size} 条事件，本系统账本只有 {head_size} 条：本系统数据库可能被回滚",
                "replica:ledger",
                {"replica_size": r.size, "primary_size": head_size},
            )
        )
        return
    if r.size:
        try:
            primary_root = merkle.root(r.size, tree.tree_fetch)
        except merkle.ProofError:
            primary_root = None
        if primary_root is not None and primary_root != r.frontier.root():
            findings.append(
                Finding(
                    "replica_diverged",
                    f"副本前 {r.size} 条事件的树根与本系统账本不同：两者已分叉",
                    "replica:ledger",
                    {"size": r.size},
                )
            )
    latest = Checkpoint.objects.order_by("-size", "-id").first()
    behind = 0
    if latest is not None and latest.size > r.size:
        behind = Event.objects.filter(seq__gte=r.size, seq__lt=latest.size).exclude(action__in=BOOKKEEPING).count()
        if behind:
            findings.append(
                Finding(
                    "replica_behind",
                    f"副本落后：本系统最新检查点树大小 {latest.size}，副本只有 {r.size} 条事件"
                    f"（其中 {behind} 条业务事件尚未复制）",
                    "replica:ledger",
                    {"replica_size": r.size, "checkpoint_size": latest.size, "events_behind": behind},
                )
            )
    stats.update(primary_tree_size=head_size, events_behind=behind)


def verify_replica(*, target: str, stats: dict | None = None) -> list[Finding]:
    """Prove a replica complete and intact; one Finding per problem (empty list: all is well).

    Re-hashes every blob in the replica against its key; checks every Blob row of this deployment's
    database is there; replays the ledger segments (contiguous, each line's leaf recomputed) against
    every signed checkpoint in the replica; checks the snapshots against the SHA-256 the ledger
    recorded; and holds the replica's tree against this deployment's (behind, diverged, ahead).
    """
    replica = open_target(target)
    if not replica.exists():
        raise ReplicaNotFound(f"异地副本 {replica.label} 不存在或为空：请先运行 manage.py replicate --to …")
    findings: list[Finding] = []
    counts: dict[str, Any] = {"target": replica.label}
    keys = _check_blobs(replica, findings, counts)
    primary = _primary_present()
    if primary:
        missing = 0
        for sha256 in Blob.objects.order_by("sha256").values_list("sha256", flat=True).iterator(chunk_size=2000):
            if sha256 not in keys:
                missing += 1
                findings.append(
                    Finding(
                        "replica_blob_missing", "原始文件未复制到异地副本（副本中找不到）", f"replica:blob:{sha256}"
                    )
                )
        counts["blobs_missing"] = missing
    r = _check_ledger(replica, findings, counts)
    _check_snapshots(replica, r, _recorded_snapshot_hashes(r, primary), findings)
    if primary:
        _check_against_primary(r, findings, counts)
    if stats is not None:
        stats.update(counts)
    return findings


# --- replicate -------------------------------------------------------------------------------------


@dataclass
class _Snapshot:
    size: int
    root: bytes
    previous_chain: str | None  # chain hash of the event before the new segment
    segment: Path | None
    snapshot: Path
    notes: list[dict[str, Any]]
    blob_keys: list[str]


def _replica_size(target: ReplicaTarget) -> tuple[int, str | None]:
    """The replica's ledger size from its segment names, and the chain hash of its last event."""
    size, last = 0, None
    for start, end, name in _segments(target):
        if start != size or end <= start:
            raise ReplicationError(
                f"副本账本段不连续（{name}）：请先运行 manage.py verify --replica 查明原因",
                code="replica_segment_gap",
                segment=name,
            )
        size, last = end, name
    if last is None:
        return 0, None
    final = b""
    with target.open(f"ledger/{last}") as fh:
        for line in fh:
            final = line
    try:
        return size, json.loads(final)["chain_hash"]
    except (ValueError, KeyError, TypeError):
        raise ReplicationError(f"副本账本段 {last} 已损坏", code="replica_segment_damaged", segment=last) from None


def _take_snapshot(folder: Path, start: int) -> _Snapshot:
    """Everything the run copies, read in one transaction (PostgreSQL: one REPEATABLE READ snapshot;
    SQLite: the IMMEDIATE transaction holds the write lock, so nothing commits meanwhile)."""
    outer = connection.in_atomic_block
    with transaction.atomic():
        if not outer and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        head = LedgerHead.objects.filter(pk=1).first() or LedgerHead(pk=1)
        if head.size < start:
            raise ReplicationError(
                f"副本有 {start} 条事件，本系统账本只有 {head.size} 条：本系统数据库可能被回滚，拒绝复制",
                code="replica_ahead_of_primary",
                replica_size=start,
                primary_size=head.size,
            )
        previous = Event.objects.filter(seq=start - 1).values_list("chain_hash", flat=True).first() if start else None
        segment = None
        if head.size > start:
            segment = folder / segment_name(start, head.size)
            with segment.open("wb") as fh:
                for event in Event.objects.filter(seq__gte=start, seq__lt=head.size).order_by("seq").iterator(2000):
                    fh.write(_event_line(event))
        notes = [
            {"size": size, "root": root, "note": note}
            for size, root, note in Checkpoint.objects.filter(size__lte=head.size)
            .order_by("size", "id")
            .values_list("size", "root_hash", "note")
        ]
        blob_keys = list(Blob.objects.order_by("sha256").values_list("sha256", flat=True))
        snapshot = folder / snapshot_name(head.size)
        snapshots.dump(snapshot)
        root = merkle.Frontier.load(head.size, head.frontier).root()
    return _Snapshot(head.size, root, previous, segment, snapshot, notes, blob_keys)


def _merge_notes(target: ReplicaTarget, notes: list[dict[str, Any]]) -> bytes:
    """The new checkpoint mirror: refuses when the replica holds a checkpoint this deployment lacks."""
    have = {n["note"] for n in notes}
    for line in _read_lines(target, CHECKPOINTS):
        try:
            old = json.loads(line)["note"]
        except (ValueError, KeyError, TypeError):
            continue
        if old not in have:
            raise ReplicationError(
                "副本中有本系统没有的检查点：两者已分叉或本系统被回滚，拒绝覆盖副本",
                code="replica_diverged",
            )
    return b"".join(json.dumps(n, ensure_ascii=False).encode() + b"\n" for n in notes)


def replicate(*, target: str, actor: Any = None) -> dict[str, Any]:
    """Copy what is new to the replica ``target`` (folder or ``s3://bucket/prefix``); returns counts.

    Order: one consistent read of the database; the blobs it names (each verified by its digest);
    then the snapshot, the new ledger segment, the checkpoint mirror and the public key. Leaves one
    ``ledger.replicated`` event. Raises ReplicationError (stable code) and copies nothing further when
    the replica belongs to another deployment, has a gap, or is ahead of or forked from this ledger.
    """
    replica = open_target(target)
    vkey = signing.deployment_verifier().vkey
    existing_vkey = _read_vkey(replica)
    if existing_vkey and existing_vkey != vkey:
        raise ReplicationError(
            "副本中的公钥与本系统的签名公钥不同：该位置保存的是另一部署的副本", code="replica_key_mismatch"
        )
    checkpoints.checkpoint_create()  # the replica then carries a signed root of everything it holds
    start, last_chain = _replica_size(replica)
    stats: dict[str, Any] = {"target": replica.label, "blobs_copied": 0, "blob_bytes_copied": 0}
    with tempfile.TemporaryDirectory(prefix="liuhen-replicate-") as tmp:
        snap = _take_snapshot(Path(tmp), start)
        if start and snap.previous_chain != last_chain:
            raise ReplicationError(
                f"副本第 {start} 条事件的哈希链与本系统账本不同：两者已分叉，拒绝复制", code="replica_diverged"
            )
        mirror = _merge_notes(replica, snap.notes)
        source = get_store()
        present = set(replica.blobs.keys())  # listed once
        for key in snap.blob_keys:
            if key in present:
                continue
            with source.open(key) as stream:
                result = replica.blobs.put(stream)
            if result.sha256 != key:
                raise ReplicationError(
                    f"原始文件复制后摘要不符（{key}）：本系统的原始文件可能已损坏，请运行 manage.py verify",
                    code="replica_copy_mismatch",
                    key=key,
                    copied_sha256=result.sha256,
                )
            stats["blobs_copied"] += 1
            stats["blob_bytes_copied"] += result.size
        snapshot_sha256 = sha256_file(snap.snapshot)
        stats["snapshot_written"] = replica.write_new(f"db/{snap.snapshot.name}", snap.snapshot)
        segment_sha256 = None
        if snap.segment is not None:
            segment_sha256 = sha256_file(snap.segment)
            if not replica.write_new(f"ledger/{snap.segment.name}", snap.segment):
                raise ReplicationError(f"副本账本段 {snap.segment.name} 已存在", code="replica_segment_exists")
        replica.replace(CHECKPOINTS, mirror)
        if existing_vkey is None:
            replica.replace(PUBLIC_KEY, (vkey + "\n").encode())
    stats.update(
        blobs_in_replica=len(present) + stats["blobs_copied"],
        events_copied=snap.size - start,
        segment=snap.segment.name if snap.segment else None,
        segment_sha256=segment_sha256,
        snapshot=snap.snapshot.name,
        snapshot_sha256=snapshot_sha256,
        checkpoints=len(snap.notes),
        tree_size=snap.size,
        root=snap.root.hex(),
    )
    with transaction.atomic():
        event = services.record(
            actor=actor, action="ledger.replicated", obj_type="replica", obj_id=replica.label[:64], payload=stats
        )
    stats["event_seq"] = event.seq
    return stats


# --- restore ---------------------------------------------------------------------------------------


def _require_empty_database() -> None:
    occupied = []
    for model in snapshots.snapshot_models():
        if model is LedgerHead:
            if LedgerHead.objects.filter(size__gt=0).exists():
                occupied.append(model._meta.label)
        elif model._default_manager.exists():
            occupied.append(model._meta.label)
    if occupied:
        raise ReplicationError(
            f"只能恢复到空数据库：以下数据表已有数据：{'、'.join(occupied)}",
            code="restore_database_not_empty",
            tables=occupied,
        )


def _restore_witness(notes: list[tuple[int, bytes, str]], size: int) -> int:
    path = checkpoints.witness_path()
    known: set[str] = set()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                known.add(json.loads(line)["note"])
            except (ValueError, KeyError, TypeError):
                continue
    added = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for cp_size, root, note in notes:
            if cp_size <= size and note not in known:
                fh.write(json.dumps({"size": cp_size, "root": root.hex(), "note": note}, ensure_ascii=False) + "\n")
                known.add(note)
                added += 1
        fh.flush()
        os.fsync(fh.fileno())
    return added


def restore(*, source: str, actor: Any = None) -> dict[str, Any]:
    """Rebuild this deployment from the replica ``source`` into an EMPTY database; returns counts.

    Checks the replica's ledger first (refuses a damaged one), copies its originals into the
    configured store (each verified by its digest), loads the newest snapshot in one transaction and
    refuses unless its ledger equals the replica's segments; then restores the checkpoint witness
    file, records ``ledger.restored`` and signs a checkpoint. Run ``manage.py verify`` afterwards.
    """
    replica = open_target(source)
    if not replica.exists():
        raise ReplicaNotFound(f"异地副本 {replica.label} 不存在或为空")
    _require_empty_database()
    vkey = _read_vkey(replica)
    if vkey:
        if not signing.key_path().exists():
            raise ReplicationError(
                f"缺少本部署的签名私钥 {signing.key_path()}：请先从单独保管的密钥备份中放回（副本不含私钥）",
                code="restore_key_missing",
            )
        if signing.deployment_verifier().vkey != vkey:
            raise ReplicationError("签名私钥与副本中的公钥不匹配：请放回原部署的密钥", code="restore_key_mismatch")
    findings: list[Finding] = []
    counts: dict[str, Any] = {"source": replica.label}
    r = _check_ledger(replica, findings, counts)
    _check_snapshots(replica, r, r.snapshot_hashes, findings)
    usable = [(size, name) for size, name in r.snapshots if size <= r.size]
    if findings:
        raise ReplicationError(
            f"异地副本核验发现 {len(findings)} 个问题，拒绝恢复：请先运行 manage.py verify --replica 查看",
            code="restore_replica_damaged",
            findings=[f.as_dict() for f in findings[:20]],
        )
    if not usable:
        raise ReplicationError("异地副本中没有可用的数据库快照", code="restore_snapshot_missing")
    size, name = usable[-1]
    store = get_store()
    copied = present = 0
    listing = replica.blobs.keys()
    for key in listing:
        if not is_key(key):
            continue
        if store.exists(key):
            present += 1
            continue
        with replica.blobs.open(key) as stream:
            result = store.put(stream)
        if result.sha256 != key:
            raise ReplicationError(f"副本中的原始文件 {key} 已损坏，拒绝恢复", code="restore_blob_damaged", key=key)
        copied += 1
    with tempfile.TemporaryDirectory(prefix="liuhen-restore-") as tmp:
        local = Path(tmp) / name
        with replica.open(f"db/{name}") as src, local.open("wb") as dst:
            while chunk := src.read(1024 * 1024):
                dst.write(chunk)
        with transaction.atomic():
            snapshots.load(local)
            head = LedgerHead.objects.filter(pk=1).first() or LedgerHead(pk=1)
            root = merkle.Frontier.load(head.size, head.frontier).root()
            if head.size != size or (size and root != r.roots.get(size)):
                raise ReplicationError(
                    f"快照 {name} 中的账本与副本账本段不一致，拒绝恢复", code="restore_snapshot_mismatch"
                )
            lacking = [k for k in Blob.objects.values_list("sha256", flat=True) if not store.exists(k)]
            if lacking:
                raise ReplicationError(
                    f"快照登记的 {len(lacking)} 个原始文件在副本中找不到，拒绝恢复",
                    code="restore_blob_missing",
                    keys=lacking[:20],
                )
            result_stats = {
                "source": replica.label,
                "snapshot": name,
                "tree_size": size,
                "blobs_copied": copied,
                "blobs_already_present": present,
                "blobs": Blob.objects.count(),
            }
            services.record(
                actor=actor,
                action="ledger.restored",
                obj_type="replica",
                obj_id=replica.label[:64],
                payload=result_stats,
            )
    result_stats["witness_lines_added"] = _restore_witness(r.checkpoints, size)
    checkpoints.checkpoint_create()
    return result_stats
