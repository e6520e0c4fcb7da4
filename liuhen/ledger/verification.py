"""Checking the ledger from scratch: replay every event, rebuild the tree, test every checkpoint.

Clause integ-audit-trail-traceability (trail entries cannot be edited or deleted unnoticed).
``verify_ledger`` trusts nothing derived: leaf hashes, the hash chain, the stored subtree hashes and
the head are recomputed from the rows' own columns; the recomputed tree is checked against every
stored checkpoint, every checkpoint in the witness file kept outside the database, and any the caller
brings (e.g. from a replica). Each problem is one :class:`Finding` naming its item.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from liuhen.ledger import merkle, signing
from liuhen.ledger.checkpoints import witness_path
from liuhen.ledger.findings import Finding
from liuhen.ledger.models import Checkpoint, Event, LedgerHead, TreeNode
from liuhen.ledger.tree import entry_bytes, tree_fetch

CHUNK = 5000

_NOTE_FINDINGS = {
    "note_unknown_key": ("checkpoint_unknown_key", "检查点不是由本系统的密钥签署的"),
    "note_bad_signature": ("checkpoint_bad_signature", "检查点签名无效"),
    "note_malformed": ("checkpoint_malformed", "检查点格式错误"),
}


@dataclass
class _Claim:
    """A signed checkpoint to test against the rebuilt tree."""

    item: str
    size: int
    root: bytes
    stored: bool  # from the Checkpoint table (consecutive ones must be consistent)


def _is_hex(value: str) -> bool:
    try:
        return len(bytes.fromhex(value)) == merkle.HASH_SIZE
    except (TypeError, ValueError):
        return False


@dataclass
class _Replay:
    size: int = 0
    rows: int = 0
    chain: str = "0" * 64  # the chain as it links: resynchronised at each break
    recomputed_chain: str = "0" * 64  # the chain recomputed from the first event, never resynchronised
    breaks: list[int] = field(default_factory=list)
    frontier: merkle.Frontier = field(default_factory=merkle.Frontier)
    roots: dict[int, bytes] = field(default_factory=dict)


def verify_ledger(
    *,
    public_keys: Iterable[str] | None = None,
    known_checkpoints: Iterable[str] = (),
    stats: dict[str, Any] | None = None,
) -> list[Finding]:
    """All findings about the event table, the tree and the checkpoints; empty when all is well.

    ``public_keys``: vkeys to trust (default: this deployment's key). ``known_checkpoints``: signed
    checkpoint notes kept elsewhere (a replica, an auditor's copy). ``stats`` is filled with counts.
    """
    findings: list[Finding] = []
    verifiers = [signing.Verifier.parse(k) for k in public_keys] if public_keys is not None else None
    verifiers = verifiers or [signing.deployment_verifier()]
    claims = _claims(findings, verifiers, known_checkpoints)
    replay = _replay({c.size for c in claims}, findings)
    _check_head(replay, findings)
    _check_claims(claims, replay, findings)
    if stats is not None:
        stats.update(
            events=replay.rows,
            tree_size=replay.size,
            root=replay.frontier.root().hex(),
            checkpoints=sum(1 for c in claims if c.stored),
            witnessed=sum(1 for c in claims if not c.stored),
        )
    return findings


def _open(note: str, item: str, verifiers: list[signing.Verifier], findings: list[Finding]):
    try:
        return signing.open_checkpoint(note, verifiers)
    except signing.NoteError as exc:
        code, message = _NOTE_FINDINGS.get(exc.code, _NOTE_FINDINGS["note_malformed"])
        findings.append(Finding(code, f"{message}（{item}）", item, {"reason": str(exc)}))
        return None
    except Exception as exc:  # any other damage to the note text is a malformed checkpoint, not a crash
        code, message = _NOTE_FINDINGS["note_malformed"]
        findings.append(Finding(code, f"{message}（{item}）", item, {"reason": repr(exc)[:300]}))
        return None


def _claims(findings: list[Finding], verifiers: list[signing.Verifier], known: Iterable[str]) -> list[_Claim]:
    claims: list[_Claim] = []
    for cp in Checkpoint.objects.order_by("size", "id"):
        item = f"checkpoint:size={cp.size}"
        opened = _open(cp.note, item, verifiers, findings)
        if opened is None:
            continue
        if opened.size != cp.size or opened.root.hex() != cp.root_hash:
            findings.append(
                Finding(
                    "checkpoint_row_edited", f"检查点记录与其签名内容不符（{item}）", item, {"signed_size": opened.size}
                )
            )
        claims.append(_Claim(f"checkpoint:size={opened.size}", opened.size, opened.root, stored=True))
    notes: list[tuple[str, str]] = [(f"known:#{i}", note) for i, note in enumerate(known)]
    path = witness_path()
    if path.exists():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                notes.append((f"witness:line={n}", json.loads(line)["note"]))
            except (ValueError, KeyError, TypeError):
                findings.append(Finding("witness_malformed", f"检查点见证文件第 {n} 行无法解析", f"witness:line={n}"))
    for where, note in notes:
        opened = _open(note, where, verifiers, findings)
        if opened is not None:
            claims.append(_Claim(f"{where.split(':')[0]}:size={opened.size}", opened.size, opened.root, stored=False))
    by_size: dict[int, set[bytes]] = defaultdict(set)
    for claim in claims:
        by_size[claim.size].add(claim.root)
    for size, roots in sorted(by_size.items()):
        if len(roots) > 1:
            findings.append(
                Finding(
                    "checkpoint_fork",
                    f"同一树大小 {size} 有 {len(roots)} 个不同根哈希的检查点（账本出现分叉）",
                    f"checkpoint:size={size}",
                    {"roots": sorted(r.hex() for r in roots)},
                )
            )
    return claims


def _replay(sizes: set[int], findings: list[Finding]) -> _Replay:
    r = _Replay()
    last_id = 0
    nodes: dict[int, bytes] = {}
    for event in Event.objects.order_by("seq").iterator(chunk_size=CHUNK):
        item = f"event:#{event.seq}"
        if event.seq > r.size:
            findings.append(
                Finding(
                    "ledger_seq_gap",
                    f"账本序号不连续：缺少 #{r.size} 至 #{event.seq - 1}（记录被删除）",
                    item,
                    {"missing_from": r.size, "missing_to": event.seq - 1},
                )
            )
        elif event.seq < r.size:
            findings.append(Finding("ledger_seq_duplicate", f"账本序号 #{event.seq} 重复", item))
        if event.pk < last_id:
            findings.append(
                Finding(
                    "ledger_rows_reordered",
                    f"账本事件 #{event.seq} 的写入顺序与序号不符（记录被调换）",
                    item,
                    {"row_id": event.pk, "previous_row_id": last_id},
                )
            )
        last_id = max(last_id, event.pk)
        if hashlib.sha256(event.payload.encode()).hexdigest() != event.payload_hash:
            findings.append(Finding("ledger_payload_edited", f"账本事件 #{event.seq} 的内容与其哈希不符", item))
        leaf = merkle.leaf_hash(entry_bytes(event))
        if leaf.hex() != event.leaf_hash:
            findings.append(
                Finding(
                    "ledger_row_edited",
                    f"账本事件 #{event.seq} 的字段已被修改（叶哈希不符）",
                    item,
                    {"stored": event.leaf_hash, "recomputed": leaf.hex()},
                )
            )
        chain = hashlib.sha256(bytes.fromhex(r.chain) + leaf).hexdigest()
        if chain != event.chain_hash:
            r.breaks.append(event.seq)
        # Continue from the stored link: one deleted or swapped event breaks the chain at one place,
        # and every later place that does not link is another, independent break.
        r.chain = event.chain_hash if _is_hex(event.chain_hash) else chain
        r.recomputed_chain = hashlib.sha256(bytes.fromhex(r.recomputed_chain) + leaf).hexdigest()
        for level, index, h in r.frontier.append(leaf):
            nodes[TreeNode.key(level, index)] = h
        r.rows += 1
        r.size = max(r.size, event.seq + 1)
        if r.frontier.size in sizes:
            r.roots[r.frontier.size] = r.frontier.root()
        if len(nodes) >= CHUNK:
            _check_nodes(nodes, findings)
    _check_nodes(nodes, findings)
    if r.breaks:
        first = r.breaks[0]
        following = Event.objects.filter(seq__gt=first).count()
        more = len(r.breaks) - 1
        findings.append(
            Finding(
                "ledger_chain_broken",
                f"账本哈希链自事件 #{first} 起断裂，其后 {following} 条事件均不再与之前的事件相连"
                + (f"；另有 {more} 处断点" if more else ""),
                f"event:#{first}",
                {"first_broken": first, "events_after": following, "other_breaks": r.breaks[1:51]},
            )
        )
    r.chain = r.recomputed_chain
    r.size = r.frontier.size
    expected_nodes = r.size - r.size.bit_count()
    stored_nodes = TreeNode.objects.count()
    if stored_nodes > expected_nodes:
        findings.append(
            Finding(
                "tree_node_extra",
                f"默克尔树节点比 {r.size} 条事件应有的多 {stored_nodes - expected_nodes} 个（事件被删除？）",
                "tree",
                {"stored": stored_nodes, "expected": expected_nodes},
            )
        )
    return r


def _check_nodes(pending: dict[int, bytes], findings: list[Finding]) -> None:
    keys = list(pending)
    stored: dict[int, str] = {}
    for i in range(0, len(keys), 900):
        stored.update(TreeNode.objects.filter(pk__in=keys[i : i + 900]).values_list("pk", "hash"))
    for key, h in pending.items():
        level, index = key >> TreeNode.LEVEL_SHIFT, key & ((1 << TreeNode.LEVEL_SHIFT) - 1)
        item = f"tree:level={level},index={index}"
        if key not in stored:
            findings.append(Finding("tree_node_missing", f"默克尔树节点缺失（第 {level} 层第 {index} 个）", item))
        elif stored[key] != h.hex():
            findings.append(
                Finding(
                    "tree_node_mismatch",
                    f"默克尔树节点与事件重算结果不符（第 {level} 层第 {index} 个）",
                    item,
                    {"stored": stored[key], "recomputed": h.hex()},
                )
            )
    pending.clear()


def _check_head(r: _Replay, findings: list[Finding]) -> None:
    head = LedgerHead.objects.filter(pk=1).first()
    if head is None:
        if r.rows:
            findings.append(Finding("ledger_head_missing", "账本头记录缺失", "ledger:head"))
        return
    if head.size > r.rows:
        findings.append(
            Finding(
                "ledger_truncated",
                f"账本头记录共 {head.size} 条事件，表中只有 {r.rows} 条（账本被截断或记录被删除）",
                "ledger:head",
                {"head_size": head.size, "rows": r.rows},
            )
        )
    elif head.size < r.rows:
        findings.append(Finding("ledger_head_behind", f"账本头记录 {head.size} 条，表中有 {r.rows} 条", "ledger:head"))
    else:
        try:
            head_root = merkle.Frontier.load(head.size, head.frontier).root()
        except ValueError:  # a frontier that does not fit its size: the head was rewritten
            head_root = None
        if head.chain_hash != r.chain or head_root != r.frontier.root():
            findings.append(
                Finding(
                    "ledger_head_mismatch",
                    "账本头的哈希链或树根与重算结果不符（账本头被改写或回退）",
                    "ledger:head",
                    {"head_size": head.size, "frontier_valid": head_root is not None},
                )
            )


def _check_claims(claims: list[_Claim], r: _Replay, findings: list[Finding]) -> None:
    for claim in claims:
        if claim.size > r.size:
            findings.append(
                Finding(
                    "ledger_behind_checkpoint",
                    f"账本只有 {r.size} 条事件，小于已签署的检查点（树大小 {claim.size}）："
                    "数据库可能被截断或从旧副本恢复",
                    claim.item,
                    {"tree_size": r.size, "checkpoint_size": claim.size},
                )
            )
        elif r.roots.get(claim.size) != claim.root:
            findings.append(
                Finding(
                    "checkpoint_root_mismatch",
                    f"重算的树根与检查点不符（{claim.item}）：账本在检查点之后被改写",
                    claim.item,
                    {"checkpoint_root": claim.root.hex(), "recomputed": (r.roots.get(claim.size) or b"").hex()},
                )
            )
    stored = sorted({c.size: c for c in claims if c.stored}.values(), key=lambda c: c.size)
    for older, newer in itertools.pairwise(stored):
        if newer.size > r.size:
            break
        try:
            proof = merkle.consistency_proof(older.size, newer.size, tree_fetch)
            merkle.verify_consistency(older.size, newer.size, older.root, newer.root, proof)
        except merkle.ProofError as exc:
            findings.append(
                Finding(
                    "checkpoint_inconsistent",
                    f"检查点（树大小 {older.size}）与（树大小 {newer.size}）之间的一致性证明不成立",
                    newer.item,
                    {"previous": older.item, "reason": str(exc)},
                )
            )
