"""The ledger as an RFC 9162 tree in the database: the bytes a leaf commits to, and the stored hashes.

Clause integ-audit-trail-traceability. An event's leaf is the canonical JSON of its columns (all but the
derived hashes); complete subtrees are kept in ``TreeNode`` and the head row keeps the right border, so
a root or a proof needs O(log n) stored hashes (``liuhen.ledger.merkle``). Nothing here writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from liuhen.ledger import merkle
from liuhen.ledger.models import Event, LedgerHead, TreeNode


def canonical_json(value: Any) -> bytes:
    """One byte form for a JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def leaf_hash(data: bytes) -> str:
    return hashlib.sha256(b"\x00" + data).hexdigest()


def entry_bytes(event: Event) -> bytes:
    """The bytes a Merkle leaf commits to: every column but the derived hashes."""
    return canonical_json(
        {
            "seq": event.seq,
            "recorded_at": event.recorded_at.isoformat(),
            "actor_id": event.actor_id,
            "actor": event.actor_label,
            "agency_id": event.agency_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "payload_hash": event.payload_hash,
        }
    )


def tree_fetch(nodes: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """``merkle.Fetch`` over the database: leaves from ``Event``, higher subtrees from ``TreeNode``."""
    nodes = list(nodes)
    leaves = [index for level, index in nodes if level == 0]
    keys = [TreeNode.key(level, index) for level, index in nodes if level > 0]
    found: dict[merkle.Node, bytes] = {}
    if leaves:
        for seq, h in Event.objects.filter(seq__in=leaves).values_list("seq", "leaf_hash"):
            found[(0, seq)] = bytes.fromhex(h)
    if keys:
        for level, index, h in TreeNode.objects.filter(pk__in=keys).values_list("level", "index", "hash"):
            found[(level, index)] = bytes.fromhex(h)
    return found


def head() -> LedgerHead:
    return LedgerHead.objects.filter(pk=1).first() or LedgerHead(pk=1)


def tree_root(size: int | None = None) -> tuple[int, bytes]:
    """The tree's size and root: from the head's frontier, or from stored nodes for an earlier size."""
    head_row = head()
    if size is None or size == head_row.size:
        return head_row.size, merkle.Frontier.load(head_row.size, head_row.frontier).root()
    return size, merkle.root(size, tree_fetch)
