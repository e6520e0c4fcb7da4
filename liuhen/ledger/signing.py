"""The deployment's checkpoint key and the C2SP signed-note / tlog-checkpoint formats.

Clause integ-audit-trail-traceability: an outside auditor holding only the public key can check a
checkpoint. Formats (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint):

- checkpoint body: ``<origin>\\n<tree size>\\n<base64 root hash>\\n``;
- signed note: body, a blank line, then ``— <key name> <base64(key hash ‖ Ed25519 signature)>\\n``;
- key hash: the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key);
- verifier key (vkey): ``<name>+<key hash, 8 hex>+<base64(0x01 ‖ public key)>``;
- cosignature (https://c2sp.org/tlog-cosignature, ``cosignature/v1``): a witness's note signature
  line on a checkpoint, ``— <witness name> base64(key id ‖ u64 timestamp, big-endian ‖ Ed25519
  signature)``, signing ``cosignature/v1\ntime <timestamp>\n`` followed by the checkpoint body; the
  witness's key id and vkey use signature type 0x04 where the log's use 0x01.

The private key is generated on first use and kept outside the database, in
``DATA_DIR/keys/ledger-ed25519.pem`` (mode 0600).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # em dash and a space
DEFAULT_ORIGIN = "liuhen.local/ledger"


class NoteError(ValueError):
    """A note or checkpoint that is malformed (``note_malformed``), signed by no trusted key
    (``note_unknown_key``) or whose signature does not verify (``note_bad_signature``)."""

    def __init__(self, message: str, code: str = "note_malformed") -> None:
        super().__init__(message)
        self.code = code


def origin() -> str:
    name = getattr(settings, "LIUHEN_LEDGER_ORIGIN", "") or DEFAULT_ORIGIN
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"invalid ledger origin {name!r}: no spaces and no '+'")
    return name


def key_hash(name: str, public_key: bytes, alg: int = ALG_ED25519) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _parse_vkey(vkey: str, alg: int) -> tuple[str, bytes]:
    """(name, 32-byte public key) of a vkey of signature type ``alg``, its key hash checked."""
    try:
        name, hash_hex, encoded = vkey.strip().split("+", 2)  # base64 may hold "+"
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise NoteError(f"malformed verifier key: {exc}") from None
    if len(raw) != 33 or raw[0] != alg:
        raise NoteError("verifier key is not an Ed25519 key" + (" for cosignatures" if alg != ALG_ED25519 else ""))
    if not name or any(c.isspace() for c in name) or key_hash(name, raw[1:], alg).hex() != hash_hex.lower():
        raise NoteError("verifier key hash does not match its name and key")
    return name, raw[1:]


def vkey_for(name: str, public_key: bytes) -> str:
    encoded = base64.b64encode(bytes([ALG_ED25519]) + public_key).decode()
    return f"{name}+{key_hash(name, public_key).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_hash(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return vkey_for(self.name, self.public_key)

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        return cls(*_parse_vkey(vkey, ALG_ED25519))

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def key_path() -> Path:
    return Path(settings.DATA_DIR) / "keys" / "ledger-ed25519.pem"


def _load_or_create() -> Ed25519PrivateKey:
    path = key_path()
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # never replaces a key another process made first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise NoteError(f"{path} is not an Ed25519 private key")
    return key


def signing_key() -> Ed25519PrivateKey:
    return _load_or_create()


def public_key_raw() -> bytes:
    return signing_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem() -> str:
    public = signing_key().public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def deployment_verifier() -> Verifier:
    return Verifier(origin(), public_key_raw())


def fingerprint(public_key: bytes) -> str:
    """SHA-256 of the raw public key, grouped for reading aloud over the phone."""
    digest = hashlib.sha256(public_key).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def checkpoint_body(name: str, size: int, root: bytes) -> str:
    return f"{name}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_note(body: str, key: Ed25519PrivateKey | None = None, name: str | None = None) -> str:
    key = key or signing_key()
    name = name or origin()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = key.sign(body.encode())
    encoded = base64.b64encode(key_hash(name, public) + signature).decode()
    return f"{body}\n{SIG_PREFIX}{name} {encoded}\n"


@dataclass(frozen=True)
class SignedCheckpoint:
    origin: str
    size: int
    root: bytes
    body: str
    signed_by: Verifier


def open_checkpoint(note: str, verifiers: list[Verifier]) -> SignedCheckpoint:
    """Parse a checkpoint note and check it carries a valid signature by one of ``verifiers``."""
    body, sep, sigs = note.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise NoteError("note has no signature block")
    body += "\n"
    signed_by = None
    for line in sigs[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"malformed signature line {line!r}")
        try:
            name, encoded = line[len(SIG_PREFIX) :].split(" ")
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise NoteError(f"malformed signature line {line!r}") from None
        for verifier in verifiers:
            if verifier.name == name and raw[:4] == verifier.key_id:
                if not verifier.verify(body.encode(), raw[4:]):
                    raise NoteError(f"signature by {name} does not verify", "note_bad_signature")
                signed_by = verifier
    if signed_by is None:
        raise NoteError("note is not signed by a trusted key", "note_unknown_key")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint body needs origin, size and root hash")
    try:
        size = int(lines[1])
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise NoteError("checkpoint size or root hash is malformed") from None
    if lines[1] != str(size) or size < 0 or len(root) != 32:
        raise NoteError("checkpoint size or root hash is malformed")
    return SignedCheckpoint(lines[0], size, root, body, signed_by)


# --- cosignatures (C2SP tlog-cosignature, cosignature/v1) -----------------------------------------

ALG_COSIGNATURE_V1 = 0x04
COSIGNATURE_HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1


def cosignature_message(body: str, timestamp: int) -> bytes:
    """What a witness signs: the header line, the time line and the checkpoint body (no signatures)."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class Cosigner:
    """A witness's cosignature key (name and 32-byte Ed25519 public key)."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_hash(self.name, self.public_key, ALG_COSIGNATURE_V1)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, vkey: str) -> Cosigner:
        return cls(*_parse_vkey(vkey, ALG_COSIGNATURE_V1))

    def verify(self, body: str, timestamp: int, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, cosignature_message(body, timestamp))
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class CosignatureLine:
    """One parsed ``— <name> base64(key id ‖ timestamp ‖ signature)`` line."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    @property
    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.timestamp.to_bytes(8, "big") + self.signature).decode()
        return f"{SIG_PREFIX}{self.name} {encoded}"

    @classmethod
    def parse(cls, line: str) -> CosignatureLine:
        text = line.removesuffix("\n")
        if not text.startswith(SIG_PREFIX) or "\n" in text:
            raise NoteError("a cosignature is one line starting with an em dash and a space")
        fields = text[len(SIG_PREFIX) :].split(" ")
        if len(fields) != 2 or not fields[0]:
            raise NoteError("a cosignature line holds a key name and one base64 field")
        try:
            raw = base64.b64decode(fields[1], validate=True)
        except ValueError:
            raise NoteError("the cosignature is not valid base64") from None
        if len(raw) != 4 + 8 + 64:
            raise NoteError(f"a cosignature/v1 signature is 76 bytes, this one {len(raw)}")
        timestamp = int.from_bytes(raw[4:12], "big")
        if timestamp > MAX_TIMESTAMP:
            raise NoteError("the cosignature timestamp exceeds 2^63 - 1")
        return cls(fields[0], raw[:4], timestamp, raw[12:])


def note_body(note: str) -> str:
    """The body of a signed note (up to and including the newline before the blank line)."""
    body, sep, _ = note.partition("\n\n")
    if not sep:
        raise NoteError("note has no signature block")
    return body + "\n"
