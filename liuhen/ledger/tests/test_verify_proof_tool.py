"""tools/liuhen_verify_proof.py: its own Ed25519 against `cryptography` and RFC 8032, and the tool
run as a separate, isolated Python process on a bundle exported from a real ledger."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.ledger import proofs, signing, tree

TOOL = Path(__file__).resolve().parents[3] / "tools" / "liuhen_verify_proof.py"
_spec = importlib.util.spec_from_file_location("liuhen_verify_proof", TOOL)
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

# RFC 8032 §7.1 TEST 1-3: (secret key, public key, message, signature)
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("sk", "pk", "msg", "sig"), RFC8032)
def test_ed25519_rfc8032_vectors(sk, pk, msg, sig):
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(sk))
    assert key.sign(bytes.fromhex(msg)).hex() == sig  # the vectors are what `cryptography` makes
    assert tool.ed25519_verify(bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig))
    assert not tool.ed25519_verify(bytes.fromhex(pk), bytes.fromhex(msg) + b"x", bytes.fromhex(sig))


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.mark.parametrize("n", range(6))
def test_ed25519_agrees_with_cryptography_and_rejects_tampering(n):
    key = Ed25519PrivateKey.generate()
    message = os.urandom(n * 37)
    signature = key.sign(message)
    public = _raw(key)
    assert tool.ed25519_verify(public, message, signature)
    bit = n * 61 % 512
    flipped = bytearray(signature)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert not tool.ed25519_verify(public, message, bytes(flipped))
    assert not tool.ed25519_verify(public, message + b"!", signature)
    assert not tool.ed25519_verify(_raw(Ed25519PrivateKey.generate()), message, signature)
    # S >= L (malleated signature) is refused
    s = int.from_bytes(signature[32:], "little") + tool._L
    if s < 2**256:
        assert not tool.ed25519_verify(public, message, signature[:32] + s.to_bytes(32, "little"))


def test_vkey_and_note_formats_match_the_application():
    key = Ed25519PrivateKey.generate()
    vkey = signing.vkey_for("example.org/log", _raw(key))
    assert tool.parse_vkey(vkey) == ("example.org/log", signing.key_hash("example.org/log", _raw(key)), _raw(key))
    note = signing.sign_note(
        signing.checkpoint_body("example.org/log", 7, b"\x05" * 32), key=key, name="example.org/log"
    )
    assert tool.open_checkpoint(note, vkey) == ("example.org/log", 7, b"\x05" * 32)


@pytest.fixture
def bundle_file(append, tmp_path, make_agency, make_user):
    from liuhen.org.rules import Role

    agency = make_agency("proof")
    auditor = make_user(agency, Role.AUDIT_ADMIN)
    append(9, agency_id=agency.pk)
    seq = tree.head().size - 4
    bundle = proofs.proof_bundle_export(actor=auditor, seq=seq)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False))
    return path, bundle


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-I", str(TOOL), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.mark.clause("integ-audit-trail-traceability")
def test_tool_verifies_a_real_bundle_in_an_isolated_process(bundle_file):
    path, bundle = bundle_file
    result = _run(str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "已验证" in result.stdout and "VERIFIED" in result.stdout
    assert f"#{bundle['leaf_index']}" in result.stdout
    trusted = _run(str(path), "--vkey", signing.deployment_verifier().vkey)
    assert trusted.returncode == 0


def _flip_b64(value: str, byte: int = 3) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[byte] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _flip_note_signature(note: str) -> str:
    body, sig = note.split("\n\n")
    prefix, encoded = sig.rstrip("\n").rsplit(" ", 1)
    return f"{body}\n\n{prefix} {_flip_b64(encoded, 20)}\n"


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (
            lambda b: b.update(inclusion_proof=[_flip_b64(b["inclusion_proof"][0]), *b["inclusion_proof"][1:]]),
            "inclusion proof",
        ),
        (lambda b: b.update(leaf_data=b["leaf_data"].replace('"action":"', '"action":"x')), "leaf data does not match"),
        (lambda b: b.update(leaf_hash=_flip_b64(b["leaf_hash"]), leaf_data=None, payload=None), "inclusion proof"),
        (lambda b: b.update(payload=b["payload"].replace("1", "2") + " "), "payload"),
        (lambda b: b.update(checkpoint=_flip_note_signature(b["checkpoint"])), "signature does not verify"),
        (
            lambda b: b.update(
                checkpoint=b["checkpoint"].replace(f"\n{b['tree_size']}\n", f"\n{b['tree_size'] + 1}\n")
            ),
            "signature does not verify",
        ),
        (lambda b: b.update(leaf_index=b["leaf_index"] + 1), "seq differs"),
        (lambda b: b.update(vkey=signing.vkey_for("liuhen.local/ledger", b"\x02" * 32)), "not signed by key"),
    ],
    ids=["proof-hash", "leaf-data", "leaf-hash", "payload", "signature", "note-size", "index", "other-key"],
)
def test_tool_rejects_a_tampered_bundle_with_its_reason(bundle_file, tamper, reason):
    path, bundle = bundle_file
    tamper(bundle)
    path.write_text(json.dumps(bundle, ensure_ascii=False))
    result = _run(str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "未通过验证" in result.stdout and reason in result.stdout


def test_tool_rejects_a_flipped_byte_in_the_file(bundle_file):
    path, bundle = bundle_file
    data = bytearray(path.read_bytes())
    at = data.index(bundle["inclusion_proof"][-1].encode()) + 2
    data[at] = ord("A") if data[at] != ord("A") else ord("B")
    path.write_bytes(bytes(data))
    result = _run(str(path))
    assert result.returncode == 1 and "NOT VERIFIED" in result.stdout


def test_tool_refuses_a_key_other_than_the_trusted_one(bundle_file):
    path, _ = bundle_file
    other = signing.vkey_for("liuhen.local/ledger", _raw(Ed25519PrivateKey.generate()))
    result = _run(str(path), "--vkey", other)
    assert result.returncode == 1 and "differs from the trusted key" in result.stdout


def test_tool_reports_an_unreadable_bundle(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    assert _run(str(tmp_path / "bad.json")).returncode == 2
    assert _run(str(tmp_path / "missing.json")).returncode == 2
