"""What one ``liuhen-witness cosign`` run does, and the files it keeps.

Key file (``keygen``, mode 0600): a first line ``liuhen-witness-key/1 <witness name>``, then the
Ed25519 private key in PKCS#8 PEM. State file (JSON, written atomically): the pinned log vkey and the
last checkpoint co-signed (size, root, note). Following C2SP tlog-witness, the state is written
*before* the cosignature is sent: once a witness has vouched for size N it never vouches for a
smaller tree, even if the run dies in between. A refusal never writes the state; it writes the
evidence (what the log showed and what the witness held) beside it, ``<state>.refused-<time>.txt``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from liuhen.witness import tlog

KEY_HEADER = "liuhen-witness-key/1"
STATE_FORMAT = "liuhen-witness-state/1"
API = "/api/ledger/witness"
TIMEOUT = 30


class Refused(Exception):
    """The log misbehaved or failed a check: no cosignature, the state is untouched (exit 1)."""

    def __init__(self, zh: str, en: str, evidence: dict[str, Any] | None = None) -> None:
        super().__init__(en)
        self.zh, self.en, self.evidence = zh, en, evidence or {}


class Failed(Exception):
    """Could not run: a local file, the network or the server (exit 2 for local, 3 for the server)."""

    def __init__(self, zh: str, en: str, exit_code: int = 3) -> None:
        super().__init__(en)
        self.zh, self.en, self.exit_code = zh, en, exit_code


# --- the key ----------------------------------------------------------------------------------------


def _valid_name(name: str) -> bool:
    return bool(name) and not any(c.isspace() for c in name) and "+" not in name


def keygen(path: Path, name: str) -> str:
    """Write a new key named ``name`` to ``path`` (never over an existing file); return its vkey."""
    if not _valid_name(name):
        raise Failed("见证方名称不能为空，不能含空格或“+”", "the witness name must be non-empty, no spaces, no '+'", 2)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise Failed(f"密钥文件 {path} 已存在，不会覆盖", f"key file {path} exists; not overwritten", 2) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(f"{KEY_HEADER} {name}\n".encode() + pem)
        fh.flush()
        os.fsync(fh.fileno())
    return tlog.vkey_for(name, tlog.ALG_COSIGNATURE_V1, tlog.public_raw(key))


def load_key(path: Path) -> tuple[str, Ed25519PrivateKey]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Failed(f"无法读取密钥文件 {path}：{exc}", f"cannot read key file {path}: {exc}", 2) from None
    header, _, pem = data.partition(b"\n")
    parts = header.decode("utf-8", "replace").split(" ")
    if len(parts) != 2 or parts[0] != KEY_HEADER or not _valid_name(parts[1]):
        raise Failed(f"{path} 不是 liuhen-witness 密钥文件", f"{path} is not a liuhen-witness key file", 2)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError:
        raise Failed(f"{path} 中的私钥无法读取", f"the private key in {path} cannot be read", 2) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise Failed(f"{path} 中不是 Ed25519 私钥", f"{path} does not hold an Ed25519 key", 2)
    if path.stat().st_mode & 0o077:
        print(f"警告：密钥文件 {path} 其他用户可读，请执行 chmod 600\nWARNING: key file {path} is readable by others")
    return parts[1], key


def vkey_of(path: Path) -> str:
    name, key = load_key(path)
    return tlog.vkey_for(name, tlog.ALG_COSIGNATURE_V1, tlog.public_raw(key))


# --- the state --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    log_vkey: str
    origin: str
    size: int
    root: str  # base64, as in the checkpoint
    checkpoint: str  # the log-signed note last co-signed
    server: str
    updated_at: str
    format: str = STATE_FORMAT


def load_state(path: Path) -> State | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"format {data.get('format')!r}")
        state = State(**data)
        if not isinstance(state.size, int) or state.size < 0:
            raise ValueError("size")
        base64.b64decode(state.root, validate=True)
    except (OSError, ValueError, TypeError, binascii.Error) as exc:
        raise Failed(
            f"状态文件 {path} 无法读取（{exc}）；不要删除它，请联系技术人员",
            f"state file {path} cannot be read ({exc}); do not delete it",
            2,
        ) from None
    return state


def save_state(path: Path, state: State) -> None:
    """Write the state atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(asdict(state), fh, ensure_ascii=False, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    try:
        dirfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def _write_evidence(state_path: Path, refusal: Refused) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = state_path.with_name(f"{state_path.name}.refused-{stamp}-{os.getpid()}.txt")
    lines = [f"拒绝见证 REFUSED {dt.datetime.now(dt.UTC).isoformat()}", refusal.zh, refusal.en, ""]
    for name, value in refusal.evidence.items():
        lines += [f"== {name} ==", str(value).rstrip("\n"), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --- the server ---------------------------------------------------------------------------------------


class Server:
    def __init__(self, base: str, cafile: str | None = None) -> None:
        parsed = urllib.parse.urlsplit(base)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise Failed(f"服务器地址应以 http:// 或 https:// 开头：{base}", f"server URL must be http(s): {base}", 2)
        self.base = base.rstrip("/")
        self.context = ssl.create_default_context(cafile=cafile) if parsed.scheme == "https" else None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + API + path,
            data=data,
            method=method,
            headers={"Accept": "application/json", "Content-Type": "application/json", "User-Agent": "liuhen-witness"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT, context=self.context) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Failed(f"无法连接服务器 {self.base}：{reason}", f"cannot reach {self.base}: {reason}") from None
        try:
            return status, json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Failed(
                f"服务器返回的不是 JSON（HTTP {status}）", f"the server answered HTTP {status} with no JSON"
            ) from None

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        status, data = self._call("GET", path + query)
        if status != 200 or not isinstance(data, dict):
            raise Failed(*_server_error(status, data))
        return data

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, data = self._call("POST", path, body)
        if status not in (200, 201) or not isinstance(data, dict):
            raise Failed(*_server_error(status, data))
        return data


def _server_error(status: int, data: Any) -> tuple[str, str]:
    code = data.get("code", "") if isinstance(data, dict) else ""
    message = data.get("message", "") if isinstance(data, dict) else ""
    return f"服务器拒绝请求（HTTP {status} {code}）：{message}", f"the server refused (HTTP {status} {code})"


# --- one run ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    size: int
    previous_size: int
    new: bool  # the server had not had this cosignature yet
    witnessing: str  # the server's quorum label, e.g. "见证 1/2，未达到要求"
    pinned_now: bool  # the log key was pinned on this run (first use)
    line: str


def fingerprint(vkey: str) -> str:
    _, public = tlog.parse_vkey(vkey, tlog.ALG_LOG)
    digest = hashlib.sha256(public).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def _decode_proof(items: Any) -> list[bytes]:
    if not isinstance(items, list) or len(items) > 63 or not all(isinstance(h, str) for h in items):
        raise Refused("一致性证明格式错误", "the consistency proof is malformed")
    try:
        return [base64.b64decode(h, validate=True) for h in items]
    except (binascii.Error, ValueError):
        raise Refused("一致性证明不是有效的 base64", "the consistency proof is not valid base64") from None


def check(server: Server, state: State | None, log_vkey: str) -> tlog.Checkpoint:
    """Fetch the newest checkpoint and prove it extends ``state``; raise Refused otherwise."""
    data = server.get("/checkpoint")
    note = data.get("note")
    if not isinstance(note, str):
        raise Failed("服务器没有返回检查点", "the server returned no checkpoint")
    evidence: dict[str, Any] = {"presented checkpoint": note}
    if state is not None:
        evidence["last co-signed checkpoint (state)"] = state.checkpoint
    try:
        cp = tlog.open_checkpoint(note, log_vkey)
    except tlog.SignatureError as exc:
        raise Refused(
            "检查点不是由固定的日志公钥签署的（或签名无效）：服务器的密钥或检查点被替换",
            f"the checkpoint is not validly signed by the pinned log key: {exc}",
            evidence,
        ) from None
    except tlog.FormatError as exc:
        raise Refused("检查点格式错误", f"malformed checkpoint: {exc}", evidence) from None
    if state is None:
        return cp
    if cp.origin != state.origin:
        raise Refused(
            f"检查点属于另一个日志（{cp.origin}），不是已固定的 {state.origin}",
            f"the checkpoint is for log {cp.origin}, not the pinned {state.origin}",
            evidence,
        )
    old_root = base64.b64decode(state.root)
    if cp.size < state.size:
        raise Refused(
            f"账本变小了：上次见证的树大小为 {state.size}，现在的检查点只有 {cp.size}（账本被回滚或截断）",
            f"the tree shrank: last co-signed size {state.size}, the checkpoint now has size {cp.size}"
            " (the log was rolled back or truncated)",
            evidence,
        )
    if cp.size == state.size:
        if cp.root != old_root:
            raise Refused(
                f"账本出现分叉：树大小 {cp.size} 的检查点根哈希与上次见证的不同（账本被改写）",
                f"the log forked: the checkpoint at size {cp.size} has another root hash than the one"
                " co-signed before (the log was rewritten)",
                evidence,
            )
        return cp
    data = server.get("/consistency", old=state.size, size=cp.size)
    proof = _decode_proof(data.get("proof"))
    evidence["consistency proof"] = "\n".join(data.get("proof") or [])
    try:
        tlog.verify_consistency(state.size, cp.size, old_root, cp.root, proof)
    except tlog.ProofError as exc:
        raise Refused(
            f"一致性证明不成立：树大小 {cp.size} 的检查点没有包含上次见证的树（大小 {state.size}），账本被改写",
            f"the consistency proof from size {state.size} to {cp.size} does not verify ({exc}): the log was rewritten",
            evidence,
        ) from None
    return cp


def cosign(
    *,
    server_url: str,
    key_path: Path,
    state_path: Path,
    log_vkey: str | None = None,
    cafile: str | None = None,
    now: float | None = None,
) -> Outcome:
    """One run: check the log, write the new state, send the cosignature. Raises Refused or Failed."""
    name, key = load_key(key_path)
    state = load_state(state_path)
    server = Server(server_url, cafile)
    pinned_now = False
    if log_vkey is not None:
        try:
            tlog.parse_vkey(log_vkey, tlog.ALG_LOG)
        except tlog.FormatError as exc:
            raise Failed(f"日志公钥格式错误：{exc}", f"malformed log vkey: {exc}", 2) from None
    if state is not None:
        if log_vkey is not None and log_vkey.strip() != state.log_vkey.strip():
            raise Refused(
                "给出的日志公钥与首次使用时固定的不同；如机关确已更换密钥，请核实后换用新的状态文件",
                "the log vkey given differs from the one pinned on first use",
            )
        log_vkey = state.log_vkey
    elif log_vkey is None:
        offered = server.get("/checkpoint").get("vkey")
        if not isinstance(offered, str):
            raise Failed("服务器没有提供日志公钥", "the server offered no log vkey")
        try:
            tlog.parse_vkey(offered, tlog.ALG_LOG)
        except tlog.FormatError as exc:
            raise Refused(
                f"服务器提供的日志公钥格式错误：{exc}", f"the server's log vkey is malformed: {exc}"
            ) from None
        log_vkey, pinned_now = offered, True
    try:
        cp = check(server, state, log_vkey)
    except Refused as refusal:
        if refusal.evidence:
            refusal.evidence["evidence file"] = _write_evidence(state_path, refusal)
        raise
    timestamp = int(now if now is not None else time.time())
    line = tlog.cosign(cp.body, name=name, key=key, timestamp=timestamp)
    save_state(
        state_path,
        State(
            log_vkey=log_vkey.strip(),
            origin=cp.origin,
            size=cp.size,
            root=cp.root_b64,
            checkpoint=cp.note,
            server=server.base,
            updated_at=dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(),
        ),
    )
    answer = server.post("/cosignatures", {"checkpoint": cp.note, "cosignature": line})
    witnessing = answer.get("witnesses", {}).get("label", "") if isinstance(answer.get("witnesses"), dict) else ""
    return Outcome(
        size=cp.size,
        previous_size=state.size if state else 0,
        new=bool(answer.get("new")),
        witnessing=str(witnessing),
        pinned_now=pinned_now,
        line=line,
    )
