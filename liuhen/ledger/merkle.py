"""RFC 9162 Merkle tree: hashes, roots, inclusion and consistency proofs and their verifiers.

Pure functions, no database (clause integ-audit-trail-traceability: an outside auditor checks with a
proof and a public key that nothing was removed or rewritten). Storage supplies the hashes of
*complete* subtrees through a ``fetch`` callback: a complete subtree is identified by ``(level,
index)`` and covers leaves ``[index * 2**level, (index + 1) * 2**level)``. Every subtree that
RFC 9162's recursion needs is either complete or the right edge ``D[k:n]`` of the tree, which is the
fold of O(log n) complete subtrees, so a proof costs O(log n) stored hashes and one batched read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

Node = tuple[int, int]  # (level, index) of a complete subtree
Fetch = Callable[[Iterable[Node]], Mapping[Node, bytes]]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify (or cannot be built for the sizes asked)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def decompose(start: int, end: int) -> list[Node]:
    """The complete subtrees, left to right, whose right fold is MTH(D[start:end])."""
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1  # the largest power of two that fits
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its complete subtrees (left to right): right-associated node hashes."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[0:n]) as subtree ranges, bottom-up."""
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    return list(reversed(ranges))


def _consistency_ranges(m: int, n: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[0:n], true) as subtree ranges, in proof order."""
    ranges: list[tuple[int, int]] = []
    lo, hi, b = 0, n, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            m -= k
            lo += k
            b = False
    if not b:
        ranges.append((lo, hi))
    return list(reversed(ranges))


def _resolve(ranges: list[tuple[int, int]], fetch: Fetch) -> list[bytes]:
    parts = [decompose(a, b) for a, b in ranges]
    found = fetch({node for part in parts for node in part})
    try:
        return [fold([found[node] for node in part]) for part in parts]
    except KeyError as missing:
        raise ProofError(f"missing subtree hash {missing}") from None


def root(size: int, fetch: Fetch) -> bytes:
    return _resolve([(0, size)], fetch)[0] if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, fetch: Fetch) -> list[bytes]:
    if not 0 <= index < size:
        raise ProofError(f"index {index} outside tree of size {size}")
    return _resolve(_inclusion_ranges(index, size), fetch)


def consistency_proof(size1: int, size2: int, fetch: Fetch) -> list[bytes]:
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from size {size1} to {size2}")
    return _resolve(_consistency_ranges(size1, size2), fetch) if size1 < size2 else []


def memory_fetch(leaves: Sequence[bytes]) -> Fetch:
    """A ``fetch`` over leaf hashes held in memory (tests, small trees)."""

    def subtree(level: int, index: int) -> bytes:
        if level == 0:
            return leaves[index]
        return node_hash(subtree(level - 1, 2 * index), subtree(level - 1, 2 * index + 1))

    return lambda nodes: {node: subtree(*node) for node in nodes}


def _check_len(*values: bytes) -> None:
    for v in values:
        if len(v) != HASH_SIZE:
            raise ProofError(f"hash of {len(v)} bytes, expected {HASH_SIZE}")


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless ``leaf`` is at ``index`` in the tree ``root_hash``."""
    _check_len(leaf, root_hash, *proof)
    if not 0 <= index < size:
        raise ProofError(f"index {index} outside tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof too short")
    if r != root_hash:
        raise ProofError("root mismatch")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless tree ``root2`` extends tree ``root1``."""
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size2 < size1:
        raise ProofError(f"size2 {size2} < size1 {size1}")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if root1 != root2:
            raise ProofError("equal sizes, different roots")
        return
    if not proof:
        raise ProofError("empty proof")
    _check_len(root1, root2, *proof)
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof too short")
    if fr != root1:
        raise ProofError("first root mismatch")
    if sr != root2:
        raise ProofError("second root mismatch")


class Frontier:
    """The right border of a growing tree: one complete subtree per set bit of ``size``.

    Appending a leaf returns the complete subtrees it closes (to be stored); ``root()`` needs no reads.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError("frontier does not match size")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        closed: list[tuple[int, int, bytes]] = []
        h, level, n = leaf, 0, self.size
        while n & 1:
            h = node_hash(self.hashes.pop(), h)
            level += 1
            n >>= 1
            closed.append((level, n, h))  # n is now the subtree's index at this level
        self.hashes.append(h)
        self.size += 1
        return closed

    def root(self) -> bytes:
        return fold(self.hashes)

    def dump(self) -> str:
        return "".join(h.hex() for h in self.hashes)

    @classmethod
    def load(cls, size: int, text: str) -> Frontier:
        return cls(size, [bytes.fromhex(text[i : i + 64]) for i in range(0, len(text), 64)])
