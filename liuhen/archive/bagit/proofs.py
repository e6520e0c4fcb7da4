"""Ledger inclusion proofs kept with a package or a disc: check one against the package's checkpoint.

A proof (``liuhen-proof/1``, made by ``ledger.proofs.proof_bundle_export``) shows that the event
which stored a record is a leaf of the tree the agency signed; it is about *this* record when the
event names the record's SHA-256 (``blob.stored`` does, in its payload). The same rules as
``tools/liuhen_verify_proof.py``, here through ``cryptography`` (fast) rather than pure Python.

The checkpoint is a C2SP signed note (https://c2sp.org/signed-note, tlog-checkpoint) checked here
against the agency's verifier key alone, as an outside auditor checks it: the deployment's own key
handling (``liuhen.ledger.signing``) needs Django's settings, this package needs nothing but the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from liuhen.ledger import merkle

PROOF_FORMAT = "liuhen-proof/1"


class ProofInvalid(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # em dash and a space


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


class NoteInvalid(ValueError):
    pass


def _key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _verifier(vkey: str) -> tuple[str, bytes]:
    """(name, Ed25519 public key) of a verifier key ``<name>+<key id, 8 hex>+<base64(0x01 ‖ key)>``."""
    try:
        name, key_id, encoded = vkey.strip().split("+", 2)  # base64 may hold "+"
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise NoteInvalid(f"malformed verifier key: {exc}") from None
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise NoteInvalid("verifier key is not an Ed25519 key")
    if not name or any(c.isspace() for c in name) or _key_id(name, raw[1:]).hex() != key_id.lower():
        raise NoteInvalid("verifier key hash does not match its name and key")
    return name, raw[1:]


def open_checkpoint(note: str, vkey: str) -> Checkpoint:
    """The checkpoint of a signed note that carries a valid signature by ``vkey``; NoteInvalid otherwise."""
    name, public_key = _verifier(vkey)
    body, sep, sigs = note.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise NoteInvalid("note has no signature block")
    body += "\n"
    signed = False
    for line in sigs[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise NoteInvalid(f"malformed signature line {line!r}")
        try:
            signer, encoded = line[len(SIG_PREFIX) :].split(" ")
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise NoteInvalid(f"malformed signature line {line!r}") from None
        if signer == name and raw[:4] == _key_id(name, public_key):
            try:
                Ed25519PublicKey.from_public_bytes(public_key).verify(raw[4:], body.encode())
            except InvalidSignature:
                raise NoteInvalid(f"signature by {name} does not verify") from None
            signed = True
    if not signed:
        raise NoteInvalid("note is not signed by a trusted key")
    lines = body[:-1].split("\n")
    try:
        size, root = int(lines[1]), base64.b64decode(lines[2], validate=True)
    except (IndexError, ValueError):
        raise NoteInvalid("checkpoint body needs origin, size and root hash") from None
    if lines[1] != str(size) or size < 0 or len(root) != 32:
        raise NoteInvalid("checkpoint size or root hash is malformed")
    return Checkpoint(lines[0], size, root)


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
        cp = open_checkpoint(checkpoint, vkey)
    except NoteInvalid as exc:
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
