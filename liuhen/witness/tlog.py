"""The C2SP formats a witness reads and writes, and the RFC 9162 consistency check.

- signed note (https://c2sp.org/signed-note): body, blank line, ``— <name> base64(key id ‖ sig)``
  lines; vkey ``<name>+<key id hex>+base64(type ‖ public key)``; key id = SHA-256(name ‖ 0x0A ‖
  type ‖ public key)[:4]; type 0x01 for the log's Ed25519 key, 0x04 for a witness's cosignature key;
- checkpoint (https://c2sp.org/tlog-checkpoint): ``<origin>\\n<size>\\n<base64 root>\\n``;
- cosignature (https://c2sp.org/tlog-cosignature, ``cosignature/v1``): the witness signs
  ``cosignature/v1\\ntime <t>\\n`` ‖ checkpoint body; its line carries key id ‖ u64 t (big-endian) ‖
  the 64-byte Ed25519 signature.

Written here rather than imported from the server's code on purpose: the witness checks the log, so
it shares none of the log's implementation (the tests hold the two against each other).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_LOG = 0x01
ALG_COSIGNATURE_V1 = 0x04
SIG_PREFIX = "\u2014 "  # em dash and a space


class FormatError(ValueError):
    """A vkey, note or proof that cannot be read."""


class SignatureError(ValueError):
    """A note not signed, or not validly signed, by the expected key."""


class ProofError(ValueError):
    """A consistency proof that does not verify."""


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def vkey_for(name: str, alg: int, public_key: bytes) -> str:
    encoded = base64.b64encode(bytes([alg]) + public_key).decode()
    return f"{name}+{key_id(name, alg, public_key).hex()}+{encoded}"


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{what} is not valid base64") from None


def parse_vkey(vkey: str, alg: int) -> tuple[str, bytes]:
    """(name, 32-byte Ed25519 public key) of a vkey of signature type ``alg``."""
    parts = vkey.strip().split("+", 2)  # base64 may hold "+", a name may not
    if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
        raise FormatError("malformed vkey: expected name+keyid+base64")
    name, hash_hex, encoded = parts
    raw = _b64(encoded, "vkey")
    if len(raw) != 33 or raw[0] != alg:
        raise FormatError(f"vkey is not an Ed25519 key of signature type 0x{alg:02x}")
    if key_id(name, alg, raw[1:]).hex() != hash_hex.lower():
        raise FormatError("vkey key id does not match its name and key")
    return name, raw[1:]


def public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    body: str
    note: str

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root).decode()


def parse_body(body: str) -> tuple[str, int, bytes]:
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise FormatError("checkpoint body needs origin, size and root hash lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin or not size_text.isascii() or not size_text.isdigit() or str(int(size_text)) != size_text:
        raise FormatError("malformed checkpoint origin or size")
    root = _b64(root_text, "checkpoint root hash")
    if len(root) != 32:
        raise FormatError("checkpoint root hash is not 32 bytes")
    return origin, int(size_text), root


def open_checkpoint(note: str, log_vkey: str) -> Checkpoint:
    """The checkpoint in ``note``, checked to carry a valid signature by ``log_vkey``'s key, whose name
    must also be the checkpoint's origin. Signatures by other keys (cosignatures) are ignored."""
    name, public = parse_vkey(log_vkey, ALG_LOG)
    expected_id = key_id(name, ALG_LOG, public)
    body, sep, sigs = note.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise FormatError("checkpoint note has no signature block")
    body += "\n"
    signed = False
    for line in sigs[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise FormatError(f"malformed signature line {line[:60]!r}")
        fields = line[len(SIG_PREFIX) :].split(" ")
        if len(fields) != 2:
            raise FormatError(f"malformed signature line {line[:60]!r}")
        raw = _b64(fields[1], "signature")
        if fields[0] == name and raw[:4] == expected_id:
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], body.encode())
            except InvalidSignature:
                raise SignatureError(f"the signature by {name} does not verify") from None
            signed = True
    if not signed:
        raise SignatureError(f"the checkpoint carries no signature by the pinned log key {name}")
    origin, size, root = parse_body(body)
    if origin != name:
        raise SignatureError(f"the checkpoint's origin {origin!r} is not the pinned log {name!r}")
    return Checkpoint(origin, size, root, body, note)


def cosignature_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, *, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """The ``cosignature/v1`` note signature line (no trailing newline) of ``key`` named ``name``."""
    if not 0 <= timestamp < 2**63:
        raise ValueError("timestamp out of range")
    signature = key.sign(cosignature_message(body, timestamp))
    raw = key_id(name, ALG_COSIGNATURE_V1, public_raw(key)) + timestamp.to_bytes(8, "big") + signature
    return f"{SIG_PREFIX}{name} {base64.b64encode(raw).decode()}"


# --- RFC 9162 §2.1.4.2: verifying a consistency proof -------------------------------------------------


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """Raises ProofError unless the tree (size2, root2) extends the tree (size1, root1)."""
    if size1 <= 0 or size2 < size1:
        raise ProofError(f"no consistency proof from size {size1} to {size2}")
    if any(len(h) != 32 for h in (root1, root2, *proof)):
        raise ProofError("a hash in the proof is not 32 bytes")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if root1 != root2:
            raise ProofError("equal sizes, different roots")
        return
    if not proof:
        raise ProofError("empty proof")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 a power of two: its root is the first node
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
            fr = _node(c, fr)
            sr = _node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof too short")
    if fr != root1:
        raise ProofError("the proof does not lead to the old root")
    if sr != root2:
        raise ProofError("the proof does not lead to the new root")
