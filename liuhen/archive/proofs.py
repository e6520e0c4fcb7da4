"""Ledger inclusion proofs kept with a package or a disc: check one against the package's checkpoint.

A proof (``liuhen-proof/1``, made by ``ledger.proofs.proof_bundle_export``) shows that the event
which stored a record is a leaf of the tree the agency signed; it is about *this* record when the
event names the record's SHA-256 (``blob.stored`` does, in its payload). The same rules as
``tools/liuhen_verify_proof.py``, here through ``cryptography`` (fast) rather than pure Python.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from liuhen.ledger import merkle, signing

PROOF_FORMAT = "liuhen-proof/1"


class ProofInvalid(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _b64(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ProofInvalid("证明中的 base64 编码有误", "proof_malformed") from None


def verify_proof(bundle: Mapping[str, Any], *, checkpoint: str, vkey: str, sha256: str | None = None) -> int:
    """Check ``bundle`` leads to ``checkpoint`` signed by ``vkey`` (and names ``sha256``); return the leaf index.

    Raises :class:`ProofInvalid` with a Chinese message and a stable code.
    """
    if not isinstance(bundle, Mapping) or bundle.get("format") != PROOF_FORMAT:
        raise ProofInvalid(f"不是 {PROOF_FORMAT} 格式的证明", "proof_malformed")
    try:
        verifier = signing.Verifier.parse(vkey)
        cp = signing.open_checkpoint(checkpoint, [verifier])
    except signing.NoteError as exc:
        raise ProofInvalid(f"检查点签名无效或不是该机关公钥签署：{exc}", "checkpoint_invalid") from None
    if str(bundle.get("checkpoint", "")).strip() != checkpoint.strip():
        raise ProofInvalid("证明所依据的检查点与归档包的检查点不同", "proof_checkpoint_differs")
    index, size = bundle.get("leaf_index"), bundle.get("tree_size")
    if not isinstance(index, int) or not isinstance(size, int) or size != cp.size:
        raise ProofInvalid("证明的树大小与检查点不符", "proof_invalid")
    data = bundle.get("leaf_data")
    if data is None:
        raise ProofInvalid("证明缺少事件数据", "proof_malformed")
    leaf = merkle.leaf_hash(str(data).encode())
    if bundle.get("leaf_hash") and _b64(bundle["leaf_hash"]) != leaf:
        raise ProofInvalid("事件数据与叶哈希不符（事件内容被改动）", "proof_invalid")
    try:
        entry = json.loads(str(data))
    except ValueError:
        raise ProofInvalid("事件数据不是 JSON", "proof_malformed") from None
    if not isinstance(entry, dict) or entry.get("seq") != index:
        raise ProofInvalid("事件数据中的序号与证明不符", "proof_invalid")
    payload = bundle.get("payload")
    if payload is not None and hashlib.sha256(str(payload).encode()).hexdigest() != entry.get("payload_hash"):
        raise ProofInvalid("事件内容与事件记录的哈希不符", "proof_invalid")
    try:
        path = [_b64(h) for h in bundle.get("inclusion_proof") or []]
        merkle.verify_inclusion(index, size, leaf, path, cp.root)
    except merkle.ProofError as exc:
        raise ProofInvalid(f"存在性证明不成立：{exc}", "proof_invalid") from None
    if sha256 is not None:
        named = str(entry.get("object_id", "")) == sha256 or (payload is not None and sha256 in str(payload))
        if not named:
            raise ProofInvalid("证明的账本事件没有提到该文件的 SHA-256 摘要", "proof_not_about_record")
    return index
