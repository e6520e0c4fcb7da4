"""The standalone verifiers check witnesses' cosignatures with their own pure-Python Ed25519:
tools/liuhen_verify_proof.py and tools/verify_disc.py, run as isolated Python processes on bundles
and a disc folder made from a real ledger with real cosignatures (ADR 0013)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from liuhen.ledger import checkpoints, cosigning, proofs, signing
from liuhen.ledger.tests.witnessing import TestWitness

TOOLS = Path(__file__).resolve().parents[3] / "tools"


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-I", str(TOOLS / tool), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


@pytest.fixture
def cosigned(append, witnesses, make_agency, make_user):
    """A bundle for one event, on a checkpoint both witnesses co-signed."""
    from liuhen.org.rules import Role

    auditor = make_user(make_agency("proof-w"), Role.AUDIT_ADMIN)
    events = append(6, agency_id=auditor.agency_id)
    cp = checkpoints.checkpoint_create()
    for w in witnesses:
        cosigning.cosignature_record(checkpoint=cp.note, cosignature=w.cosign(cp))
    return proofs.proof_bundle_export(actor=auditor, seq=events[2].seq)


def _write(tmp_path: Path, bundle: dict) -> str:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), "utf-8")
    return str(path)


def _witness_args(*ws: TestWitness) -> list[str]:
    return [arg for w in ws for arg in ("--witness", w.vkey)]


@pytest.mark.clause("integ-audit-trail-traceability")
def test_tool__accepts_a_bundle_whose_witness_quorum_is_met(cosigned, witnesses, tmp_path):
    path = _write(tmp_path, cosigned)
    vkey = signing.deployment_verifier().vkey
    result = _run("liuhen_verify_proof.py", path, "--vkey", vkey, *_witness_args(*witnesses), "--quorum", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "见证方 2 个签名" in result.stdout and "Co-signed by 2 witness(es)" in result.stdout
    assert _run("liuhen_verify_proof.py", path, *_witness_args(*witnesses)).returncode == 0  # default: all
    assert _run("liuhen_verify_proof.py", path).returncode == 0  # no witness asked: as before


@pytest.mark.clause("integ-audit-trail-traceability")
def test_tool__refuses_a_bundle_short_of_the_quorum(cosigned, witnesses, tmp_path):
    one_line = cosigned["checkpoint"].rstrip("\n").split("\n")
    cosigned["checkpoint"] = "\n".join(one_line[:-1]) + "\n"  # the last cosignature removed
    path = _write(tmp_path, cosigned)
    result = _run("liuhen_verify_proof.py", path, *_witness_args(*witnesses), "--quorum", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "见证签名不足" in result.stdout and "witness quorum not met: 2 required, 1 signed" in result.stdout
    assert _run("liuhen_verify_proof.py", path, *_witness_args(*witnesses), "--quorum", "1").returncode == 0
    stranger = TestWitness("court.example/w")
    result = _run("liuhen_verify_proof.py", path, *_witness_args(stranger), "--quorum", "1")
    assert result.returncode == 1 and "0 signed" in result.stdout


@pytest.mark.clause("integ-audit-trail-traceability")
def test_tool__refuses_a_tampered_cosignature(cosigned, witnesses, tmp_path):
    head, last = cosigned["checkpoint"].rstrip("\n").rsplit("\n", 1)
    prefix, encoded = last.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[11] ^= 0x01  # the timestamp: the signature no longer matches
    cosigned["checkpoint"] = f"{head}\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n"
    path = _write(tmp_path, cosigned)
    result = _run("liuhen_verify_proof.py", path, *_witness_args(*witnesses), "--quorum", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "见证签名无效" in result.stdout and "does not verify" in result.stdout


def test_tool__wrong_quorum_arguments(cosigned, witnesses, tmp_path):
    path = _write(tmp_path, cosigned)
    assert _run("liuhen_verify_proof.py", path, "--quorum", "1").returncode == 2
    assert _run("liuhen_verify_proof.py", path, *_witness_args(witnesses[0]), "--quorum", "2").returncode == 2
    log_key = signing.deployment_verifier().vkey  # a log key is not a witness key
    result = _run("liuhen_verify_proof.py", path, "--witness", log_key)
    assert result.returncode == 1 and "not an Ed25519 cosigner key" in result.stdout


def _stored(data: bytes, settings, tmp_path: Path) -> str:
    """The file put in the blob store, which records its ``blob.stored`` event."""
    from liuhen.ledger.blobstore.services import blob_put

    settings.LIUHEN_STORAGE, settings.LIUHEN_BLOB_DIR = "local", tmp_path / "blobs"
    blob_put(actor="测试", stream=data)
    return hashlib.sha256(data).hexdigest()


@pytest.mark.clause("integ-audit-trail-traceability")
def test_verify_disc__checks_the_witnesses_of_the_disc_checkpoint(append, witnesses, tmp_path, settings):
    from liuhen.archive.discs.build import disc_proofs

    root = tmp_path / "disc"
    (root / "data").mkdir(parents=True)
    (root / "proofs").mkdir()
    (root / "ledger").mkdir()
    data = b"\x00\x01 evidence bytes"
    sha = _stored(data, settings, tmp_path)
    append(2)
    cp = checkpoints.checkpoint_create()
    cosigning.cosignature_record(checkpoint=cp.note, cosignature=witnesses[0].cosign(cp))
    proofs, note, vkey = disc_proofs([sha])
    assert note.startswith(cp.note) and note.count("\u2014 ") == 2  # log + 市司法局 (quorum 2 not met)
    (root / "data" / "evidence.bin").write_bytes(data)
    (root / "manifest-sha256.txt").write_text(f"{sha}  data/evidence.bin\n", "utf-8")
    (root / "proofs" / "0001.proof.json").write_text(json.dumps(proofs[sha], ensure_ascii=False), "utf-8")
    (root / "ledger" / "checkpoint.txt").write_text(note, "utf-8")
    (root / "ledger" / "agency.vkey").write_text(vkey + "\n", "utf-8")
    index = {"files": [{"path": "data/evidence.bin", "sha256": sha, "proof": "proofs/0001.proof.json"}]}
    (root / "liuhen-disc.json").write_text(json.dumps(index), "utf-8")
    for tool in ("verify_disc.py", "liuhen_verify_proof.py"):
        shutil.copy(TOOLS / tool, root / tool)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-I", str(root / "verify_disc.py"), str(root), *args],
            capture_output=True,
            text=True,
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
            timeout=180,
            check=False,
        )

    assert run().returncode == 0
    ok = run("--vkey", vkey, *_witness_args(witnesses[0]))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK  ledger/checkpoint.txt 见证 1/1" in ok.stdout
    short = run(*_witness_args(*witnesses), "--quorum", "2")
    assert short.returncode == 1 and "witness quorum not met" in short.stdout
    assert run(*_witness_args(witnesses[0]), "--quorum", "3").returncode == 2
