"""The deployment's checkpoint key and the C2SP signed-note / tlog-checkpoint formats.

Clause integ-audit-trail-traceability: an outside auditor holding only the public key can check a
checkpoint. Formats (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint):

- checkpoint body: ``<origin>\\n<tree size>\\n<base64 root hash>\\n``;
- signed note: body, a blank line, then ``— <key name> <base64(key hash ‖ Ed25519 signature)>\\n``;
- key hash: the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key);
- verifier key (vkey): ``<name>+<key hash, 8 hex>+<base64(0x01 ‖ public key)>``.

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


def key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


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
        try:
            name, hash_hex, encoded = vkey.strip().split("+", 2)  # base64 may hold "+"
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise NoteError(f"malformed verifier key: {exc}") from None
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("verifier key is not an Ed25519 key")
        verifier = cls(name, raw[1:])
        if verifier.key_id.hex() != hash_hex.lower():
            raise NoteError("verifier key hash does not match its name and key")
        return verifier

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
