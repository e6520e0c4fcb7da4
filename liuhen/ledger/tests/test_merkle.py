"""The RFC 9162 tree against the transparency-dev vectors and against a naive recursive definition."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from liuhen.ledger import merkle

VECTORS = Path(__file__).resolve().parent / "vectors" / "merkle"  # transparency-dev/merkle testdata, Apache-2.0


def _files(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(values: list[str] | None) -> list[bytes]:
    return [_b64(v) for v in values or []]


def test_vectors_are_present():
    assert len(_files("inclusion")) > 50
    assert len(_files("consistency")) > 50


@pytest.mark.parametrize("path", _files("inclusion"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_inclusion_vector(path: Path):
    case = json.loads(path.read_text())
    args = (case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case["proof"]), _b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", _files("consistency"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_consistency_vector(path: Path):
    case = json.loads(path.read_text())
    args = (case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), _proof(case["proof"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def _naive_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return merkle.EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = merkle._split(len(leaves))
    return merkle.node_hash(_naive_root(leaves[:k]), _naive_root(leaves[k:]))


LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(40)]


def test_frontier_root_and_closed_nodes_match_the_recursive_definition():
    frontier = merkle.Frontier()
    fetch = merkle.memory_fetch(LEAVES)
    for n, leaf in enumerate(LEAVES, start=1):
        for level, index, h in frontier.append(leaf):
            assert fetch([(level, index)])[(level, index)] == h
        assert frontier.root() == _naive_root(LEAVES[:n]) == merkle.root(n, fetch)
        again = merkle.Frontier.load(n, frontier.dump())
        assert again.root() == frontier.root()


def test_generated_proofs_verify_for_every_index_and_size_pair():
    fetch = merkle.memory_fetch(LEAVES)
    for n in range(1, len(LEAVES) + 1):
        root_n = _naive_root(LEAVES[:n])
        for i in range(n):
            merkle.verify_inclusion(i, n, LEAVES[i], merkle.inclusion_proof(i, n, fetch), root_n)
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(m, n, fetch)
            merkle.verify_consistency(m, n, _naive_root(LEAVES[:m]), root_n, proof)


def test_inclusion_proof_of_another_leaf_is_rejected():
    fetch = merkle.memory_fetch(LEAVES)
    proof = merkle.inclusion_proof(5, 21, fetch)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(5, 21, LEAVES[6], proof, _naive_root(LEAVES[:21]))


def test_consistency_with_a_rewritten_history_is_rejected():
    forked = [*LEAVES[:10], merkle.leaf_hash(b"forged"), *LEAVES[11:30]]
    proof = merkle.consistency_proof(12, 30, merkle.memory_fetch(forked))
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(12, 30, _naive_root(LEAVES[:12]), _naive_root(forked), proof)
