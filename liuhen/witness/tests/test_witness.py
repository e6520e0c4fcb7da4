"""liuhen-witness against a running Liuhen server (ADR 0013): it co-signs, the server stores and
verifies the cosignature, and it refuses — saying why, exit 1, state untouched — a fork, a shrunken
tree, a bad consistency proof and a checkpoint not signed by the log key it pinned."""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection

from liuhen.ledger import checkpoints, cosigning, guards, merkle, signing
from liuhen.ledger.models import Checkpoint, Cosignature
from liuhen.witness import tlog
from liuhen.witness.__main__ import main

pytestmark = pytest.mark.django_db(transaction=True)
REPO = Path(__file__).resolve().parents[3]
NAME = "sfj.example.gov.cn/witness"


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the witness knows nothing of Django
    return subprocess.run(
        [sys.executable, "-m", "liuhen.witness", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def witness(tmp_path, settings):
    folder = tmp_path / "witness"
    made = _cli("keygen", "--name", NAME, "--key", str(folder / "key"))
    assert made.returncode == 0, made.stdout + made.stderr
    vkey = next(line for line in made.stdout.splitlines() if line.startswith(NAME + "+"))
    settings.LIUHEN_WITNESSES = f"市司法局={vkey}"
    settings.LIUHEN_WITNESS_QUORUM = "1"
    return SimpleNamespace(key=folder / "key", state=folder / "state.json", vkey=vkey, folder=folder)


def _cosign(server: str, w: SimpleNamespace, *extra: str) -> list[str]:
    return ["cosign", "--server", server, "--key", str(w.key), "--state", str(w.state), *extra]


def _run(capsys, server: str, w: SimpleNamespace, *extra: str) -> tuple[int, str]:
    code = main(_cosign(server, w, *extra))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def attacker(transactional_db):
    """Someone with the database owner's rights: the append-only triggers dropped, restored after."""
    guards.drop(connection)
    yield connection
    guards.create(connection)


@pytest.mark.clause("integ-audit-trail-traceability")
def test_witness__cosigns_a_running_server_and_the_cosignature_is_stored_and_verified(live_server, witness, append):
    assert witness.key.stat().st_mode & 0o777 == 0o600
    assert _cli("vkey", "--key", str(witness.key)).stdout.strip() == witness.vkey
    append(5)
    first = checkpoints.checkpoint_create()
    run = _cli(*_cosign(live_server.url, witness))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "首次使用" in run.stdout and signing.deployment_verifier().vkey in run.stdout
    assert "已见证：树大小 5" in run.stdout and "见证 1/1，已达到要求" in run.stdout and "COSIGNED" in run.stdout
    row = Cosignature.objects.get()
    assert row.checkpoint == first and row.witness == NAME
    assert cosigning.verify_cosignatures() == []
    assert cosigning.witnessing(first).met
    append(4)
    second = checkpoints.checkpoint_create()
    run = _cli(*_cosign(live_server.url, witness))
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"树大小 {second.size}（上次 5）" in run.stdout and "consistency verified" in run.stdout
    assert second.size == 5 + 1 + 4  # the first cosignature is an event too
    assert Cosignature.objects.filter(checkpoint=second).count() == 1
    state = json.loads(witness.state.read_text("utf-8"))
    assert state["size"] == second.size and state["checkpoint"] == second.note
    assert state["log_vkey"] == signing.deployment_verifier().vkey
    again = _cli(*_cosign(live_server.url, witness))
    assert again.returncode == 0 and "already had this cosignature" in again.stdout
    assert Cosignature.objects.count() == 2
    assert cosigning.verify_cosignatures() == []


@pytest.mark.clause("integ-audit-trail-traceability")
def test_witness__refuses_a_fork_its_state_holds_another_root_at_the_same_size(live_server, witness, append, capsys):
    append(5)
    checkpoints.checkpoint_create()
    assert _run(capsys, live_server.url, witness)[0] == 0
    state = json.loads(witness.state.read_text("utf-8"))
    state["root"] = base64.b64encode(b"\x42" * 32).decode()  # what it saw before, on "another server"
    witness.state.write_text(json.dumps(state), "utf-8")
    before = witness.state.read_bytes()
    code, out = _run(capsys, live_server.url, witness)
    assert code == 1
    assert "拒绝见证：账本出现分叉" in out and "REFUSED: the log forked" in out
    assert out.index("拒绝见证") < out.index("REFUSED")  # Chinese first
    assert witness.state.read_bytes() == before
    evidence = list(witness.folder.glob("state.json.refused-*.txt"))
    assert len(evidence) == 1 and "账本出现分叉" in evidence[0].read_text("utf-8")
    assert Cosignature.objects.count() == 1


def _forge(note_size: int, root: bytes) -> str:
    return signing.sign_note(signing.checkpoint_body(signing.origin(), note_size, root))


@pytest.mark.clause("integ-audit-trail-traceability")
def test_witness__refuses_a_forked_checkpoint_the_server_presents(live_server, witness, append, capsys, attacker):
    append(5)
    cp = checkpoints.checkpoint_create()
    assert _run(capsys, live_server.url, witness)[0] == 0
    before = witness.state.read_bytes()
    # The log's own key signs a rewritten tree of the same size: only a witness can tell.
    other = b"\x13" * 32
    Checkpoint.objects.filter(pk=cp.pk).update(note=_forge(cp.size, other), root_hash=other.hex())
    code, out = _run(capsys, live_server.url, witness)
    assert code == 1 and "账本出现分叉：树大小 5" in out and "forked" in out
    assert witness.state.read_bytes() == before


@pytest.mark.clause("integ-audit-trail-traceability")
def test_witness__refuses_a_shrunken_tree(live_server, witness, append, capsys, attacker):
    append(5)
    checkpoints.checkpoint_create()
    assert _run(capsys, live_server.url, witness)[0] == 0
    append(4)
    newer = checkpoints.checkpoint_create()
    assert _run(capsys, live_server.url, witness)[0] == 0
    before = witness.state.read_bytes()
    with connection.cursor() as cursor:  # the database rolled back to before the newer checkpoint
        cursor.execute("DELETE FROM ledger_cosignature WHERE checkpoint_id = %s", [newer.pk])
        cursor.execute("DELETE FROM ledger_checkpoint WHERE id = %s", [newer.pk])
    code, out = _run(capsys, live_server.url, witness)
    assert code == 1
    assert f"账本变小了：上次见证的树大小为 {newer.size}，现在的检查点只有 5" in out and "the tree shrank" in out
    assert witness.state.read_bytes() == before


class _TamperingProxy(http.server.BaseHTTPRequestHandler):
    """Passes requests to the real server and flips a byte of every consistency proof it returns."""

    upstream = ""

    def _forward(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        request = urllib.request.Request(
            self.upstream + self.path, data=body, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, data = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, data = exc.code, exc.read()
        if "/consistency" in self.path and status == 200:
            doc = json.loads(data)
            first = bytearray(base64.b64decode(doc["proof"][0]))
            first[0] ^= 0x01
            doc["proof"][0] = base64.b64encode(bytes(first)).decode()
            data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._forward("GET")

    def do_POST(self) -> None:
        self._forward("POST")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tampering_proxy(live_server):
    handler = type("Proxy", (_TamperingProxy,), {"upstream": live_server.url})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.clause("integ-audit-trail-traceability")
def test_witness__refuses_a_bad_consistency_proof(live_server, witness, append, capsys, tampering_proxy):
    append(5)
    checkpoints.checkpoint_create()
    assert _run(capsys, live_server.url, witness)[0] == 0
    append(6)
    newer = checkpoints.checkpoint_create()
    before = witness.state.read_bytes()
    code, out = _run(capsys, tampering_proxy, witness)
    assert code == 1
    assert "一致性证明不成立" in out and f"consistency proof from size 5 to {newer.size} does not verify" in out
    assert witness.state.read_bytes() == before
    assert Cosignature.objects.count() == 1
    assert _run(capsys, live_server.url, witness)[0] == 0  # the honest server's proof holds


@pytest.mark.clause("integ-audit-trail-traceability")
def test_witness__refuses_a_checkpoint_not_signed_by_the_pinned_log_key(live_server, witness, append, capsys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    append(3)
    checkpoints.checkpoint_create()
    impostor = tlog.vkey_for(signing.origin(), tlog.ALG_LOG, tlog.public_raw(Ed25519PrivateKey.generate()))
    code, out = _run(capsys, live_server.url, witness, "--log-vkey", impostor)
    assert code == 1 and "不是由固定的日志公钥签署的" in out and "not validly signed by the pinned log key" in out
    assert not witness.state.exists()
    assert _run(capsys, live_server.url, witness)[0] == 0  # pins the server's key on first use
    before = witness.state.read_bytes()
    code, out = _run(capsys, live_server.url, witness, "--log-vkey", impostor)
    assert code == 1 and "固定的不同" in out
    assert witness.state.read_bytes() == before


def test_witness__reports_an_unreachable_server_and_a_missing_key(witness, tmp_path, capsys):
    code, out = _run(capsys, "http://127.0.0.1:9", witness)
    assert code == 3 and "无法连接服务器" in out
    missing = SimpleNamespace(key=tmp_path / "nokey", state=witness.state)
    assert _run(capsys, "http://127.0.0.1:9", missing)[0] == 2
    assert _cli("keygen", "--name", NAME, "--key", str(witness.key)).returncode == 2  # never overwrites


def test_witness_package_imports_no_django():
    probe = (
        "import sys, liuhen.witness.__main__, liuhen.witness.core, liuhen.witness.tlog;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'ninja', 'requests'}))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("size2", range(1, 18))
def test_witness_consistency_check_agrees_with_the_ledgers_merkle_tree(size2):
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(size2)]
    fetch = merkle.memory_fetch(leaves)
    root2 = merkle.root(size2, fetch)
    for size1 in range(1, size2 + 1):
        root1 = merkle.root(size1, fetch)
        proof = merkle.consistency_proof(size1, size2, fetch)
        tlog.verify_consistency(size1, size2, root1, root2, proof)
        for i in range(len(proof)):
            bad = list(proof)
            bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
            with pytest.raises(tlog.ProofError):
                tlog.verify_consistency(size1, size2, root1, root2, bad)
        if size1 < size2:
            with pytest.raises(tlog.ProofError):
                tlog.verify_consistency(size1, size2, root1, b"\x00" * 32, proof)
