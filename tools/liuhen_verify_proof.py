#!/usr/bin/env python3
"""liuhen-verify-proof: check a Liuhen ledger proof bundle with nothing but Python's standard library.

留痕账本证明核验工具：只需 Python 3（不需要安装任何软件包），核验某条账本事件包含在
由执法机关密钥签署的检查点中。

    python3 liuhen_verify_proof.py bundle.json [--vkey 'name+hash+key']
        [--witness 'witness+hash+key' ...] [--quorum N]

It checks, in this order: the verifier key (C2SP signed-note vkey), the checkpoint's Ed25519
signature (RFC 8032, implemented below; slow but dependency-free), the checkpoint body
(C2SP tlog-checkpoint: origin, tree size, base64 root hash), the leaf hash of the event data
(RFC 9162: SHA-256(0x00 || data)), the payload against the hash the event commits to, and the RFC 9162
inclusion proof from the leaf to the checkpoint's root; with --witness, the witnesses' cosignatures
of the checkpoint (C2SP tlog-cosignature, cosignature/v1) and that at least --quorum of them (default:
every witness named) signed. Exit status 0: verified; 1: not verified (the reason is printed); 2: the
bundle cannot be read or the arguments are wrong.

Pass --vkey with the key the agency published (not the one inside the bundle) to be sure who signed.
Pass --witness with each witness key you trust (司法局, 档案馆, a court publishes its own): a quorum of
witnesses vouching for the checkpoint shows the agency did not show you a rewritten ledger.

Bundle (JSON, format "liuhen-proof/1"): leaf_index, tree_size, leaf_data (the event's canonical JSON
text) and/or leaf_hash (base64), payload (optional, canonical JSON text), inclusion_proof (base64
hashes, bottom-up), checkpoint (signed note text; the witnesses' cosignature lines follow the log's
signature line), vkey.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import sys

FORMAT = "liuhen-proof/1"

# --- Ed25519 verification, after RFC 8032 section 6 ----------------------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


def _add(a: tuple, b: tuple) -> tuple:
    A = (a[1] - a[0]) * (b[1] - b[0]) % _P
    B = (a[1] + a[0]) * (b[1] + b[0]) % _P
    C = 2 * a[3] * b[3] * _D % _P
    D = 2 * a[2] * b[2] % _P
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F, G * H, F * G, E * H)


def _mul(s: int, point: tuple) -> tuple:
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def _equal(a: tuple, b: tuple) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _decompress(s: bytes) -> tuple | None:
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``public_key``'s Ed25519 signature of ``message`` (RFC 8032 §5.1.7)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decompress(public_key)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    return _equal(_mul(s, _G), _add(r, _mul(k, a)))


# --- signed notes and checkpoints (C2SP signed-note, tlog-checkpoint) -----------------------------


class NotVerified(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise NotVerified(f"{what}不是有效的 base64", f"{what} is not valid base64") from None


ALG_ED25519 = 0x01  # a log's checkpoint key (signed-note)
ALG_COSIGNATURE_V1 = 0x04  # a witness's cosignature key (tlog-cosignature)


def parse_vkey(vkey: str, alg: int = ALG_ED25519) -> tuple[str, bytes, bytes]:
    """(name, 4-byte key hash, 32-byte Ed25519 public key) of a signed-note verifier key of type ``alg``."""
    parts = vkey.strip().split("+", 2)  # base64 may hold "+", a name may not
    if len(parts) != 3:
        raise NotVerified("公钥（vkey）格式错误", "malformed verifier key (vkey)")
    name, hash_hex, encoded = parts
    raw = _b64(encoded, "公钥")
    if len(raw) != 33 or raw[0] != alg:
        if alg == ALG_COSIGNATURE_V1:
            raise NotVerified(
                "见证方公钥不是 Ed25519 见证签名密钥", f"witness key {name} is not an Ed25519 cosigner key"
            )
        raise NotVerified("公钥不是 Ed25519 密钥", "verifier key is not an Ed25519 key")
    key_hash = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if key_hash.hex() != hash_hex.lower():
        raise NotVerified("公钥的密钥标识与名称和密钥不符", "verifier key hash does not match its name and key")
    return name, key_hash, raw[1:]


def open_checkpoint(note: str, vkey: str) -> tuple[str, int, bytes]:
    """Check the note's signature by ``vkey``; return (origin, tree size, root hash)."""
    name, key_hash, public_key = parse_vkey(vkey)
    body, sep, sigs = note.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise NotVerified("检查点没有签名", "checkpoint note has no signature block")
    body += "\n"
    found = False
    for line in sigs[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise NotVerified("检查点签名行格式错误", f"malformed signature line {line!r}")
        fields = line[2:].split(" ")
        if len(fields) != 2:
            raise NotVerified("检查点签名行格式错误", f"malformed signature line {line!r}")
        raw = _b64(fields[1], "签名")
        if fields[0] == name and raw[:4] == key_hash:
            if not ed25519_verify(public_key, body.encode(), raw[4:]):
                raise NotVerified("检查点签名无效（内容被改动或签名不符）", "checkpoint signature does not verify")
            found = True
    if not found:
        raise NotVerified("检查点不是由该公钥签署的", f"checkpoint is not signed by key {name}")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not lines[1].isdigit() or str(int(lines[1])) != lines[1]:
        raise NotVerified("检查点内容格式错误", "malformed checkpoint body")
    root = _b64(lines[2], "树根哈希")
    if len(root) != 32:
        raise NotVerified("检查点的树根哈希长度错误", "checkpoint root hash is not 32 bytes")
    return lines[0], int(lines[1]), root


def verify_cosignatures(note: str, witnesses: list[str], quorum: int) -> list[tuple[str, int]]:
    """Check the witnesses' cosignatures (C2SP tlog-cosignature, cosignature/v1) in ``note``.

    Each witness vkey given is looked for among the note's signature lines by name and key ID; a line
    that claims a given witness and does not verify fails the check (it was altered or forged). Lines
    of witnesses not given are ignored. Raises NotVerified unless at least ``quorum`` distinct given
    witnesses signed; returns (witness name, cosignature time) of each that did.
    """
    body, sep, sigs = note.partition("\n\n")
    if not sep:
        raise NotVerified("检查点没有签名", "checkpoint note has no signature block")
    body += "\n"
    lines = [line for line in sigs.split("\n") if line]
    signed: list[tuple[str, int]] = []
    for vkey in witnesses:
        name, key_id, public_key = parse_vkey(vkey, ALG_COSIGNATURE_V1)
        if any(n == name for n, _ in signed):
            continue
        for line in lines:
            fields = line[2:].split(" ") if line.startswith("\u2014 ") else []
            if len(fields) != 2 or fields[0] != name:
                continue
            raw = _b64(fields[1], "见证签名")
            if raw[:4] != key_id:
                continue
            if len(raw) != 4 + 8 + 64:
                raise NotVerified(f"见证方 {name} 的见证签名格式错误", f"the cosignature by {name} is malformed")
            timestamp = int.from_bytes(raw[4:12], "big")
            message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
            if not ed25519_verify(public_key, message, raw[12:]):
                raise NotVerified(
                    f"见证方 {name} 的见证签名无效（签名或检查点被改动）",
                    f"the cosignature by witness {name} does not verify (altered or forged)",
                )
            signed.append((name, timestamp))
            break
    if len(signed) < quorum:
        names = "、".join(n for n, _ in signed) or "无"
        raise NotVerified(
            f"见证签名不足：要求至少 {quorum} 个见证方签名，只有 {len(signed)} 个（{names}）",
            f"witness quorum not met: {quorum} required, {len(signed)} signed"
            + (f" ({', '.join(n for n, _ in signed)})" if signed else ""),
        )
    return signed


def _utc(timestamp: int) -> str:
    utc = datetime.timezone.utc  # noqa: UP017 (datetime.UTC needs Python 3.11; the clerk may have older)
    try:
        return datetime.datetime.fromtimestamp(timestamp, utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


# --- RFC 9162 inclusion proof --------------------------------------------------------------------


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> None:
    if not 0 <= index < size:
        raise NotVerified("事件序号超出检查点的树大小", f"leaf index {index} outside tree of size {size}")
    if any(len(h) != 32 for h in [leaf, *proof]):
        raise NotVerified("证明中的哈希长度错误", "a proof hash is not 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise NotVerified("存在性证明过长", "inclusion proof too long")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise NotVerified("存在性证明过短", "inclusion proof too short")
    if r != root:
        raise NotVerified(
            "存在性证明不成立：算出的树根与检查点不符", "inclusion proof does not lead to the checkpoint root"
        )


# --- the bundle ----------------------------------------------------------------------------------


def verify_bundle(
    bundle: dict, trusted_vkey: str | None = None, witnesses: list[str] | None = None, quorum: int | None = None
) -> str:
    """Check a bundle (and, given ``witnesses``, its cosignatures: at least ``quorum``, default all);
    return the bilingual success message or raise NotVerified."""
    if bundle.get("format") != FORMAT:
        raise NotVerified(f"不是 {FORMAT} 格式的证明包", f"not a {FORMAT} bundle")
    vkey = trusted_vkey or bundle.get("vkey") or ""
    if trusted_vkey and bundle.get("vkey") and bundle["vkey"].strip() != trusted_vkey.strip():
        raise NotVerified("证明包中的公钥与指定的公钥不同", "the bundle's key differs from the trusted key given")
    origin, size, root = open_checkpoint(str(bundle.get("checkpoint", "")), vkey)
    index, tree_size = bundle.get("leaf_index"), bundle.get("tree_size")
    if not isinstance(index, int) or not isinstance(tree_size, int):
        raise NotVerified("缺少事件序号或树大小", "leaf_index and tree_size must be integers")
    if tree_size != size:
        raise NotVerified("证明的树大小与检查点不符", f"proof is for tree size {tree_size}, checkpoint for {size}")
    data = bundle.get("leaf_data")
    leaf = _b64(bundle["leaf_hash"], "叶哈希") if bundle.get("leaf_hash") else None
    entry: dict = {}
    if data is not None:
        computed = hashlib.sha256(b"\x00" + str(data).encode()).digest()
        if leaf is not None and leaf != computed:
            raise NotVerified("事件数据与叶哈希不符（事件内容被改动）", "leaf data does not match the leaf hash")
        leaf = computed
        try:
            entry = json.loads(data)
        except ValueError:
            raise NotVerified("事件数据不是 JSON", "leaf data is not JSON") from None
    if leaf is None:
        raise NotVerified("缺少事件数据或叶哈希", "bundle has neither leaf_data nor leaf_hash")
    if isinstance(entry, dict) and "seq" in entry and entry["seq"] != index:
        raise NotVerified("事件数据中的序号与证明不符", "the event's seq differs from the leaf index")
    if bundle.get("payload") is not None:
        digest = hashlib.sha256(str(bundle["payload"]).encode()).hexdigest()
        if not isinstance(entry, dict) or entry.get("payload_hash") != digest:
            raise NotVerified(
                "事件内容（payload）与事件记录的哈希不符", "payload does not match the event's payload_hash"
            )
    proof = [_b64(h, "证明哈希") for h in bundle.get("inclusion_proof") or []]
    verify_inclusion(index, size, leaf, proof, root)
    witnesses = list(witnesses or [])
    signed = verify_cosignatures(str(bundle["checkpoint"]), witnesses, len(witnesses) if quorum is None else quorum)
    what = ""
    if isinstance(entry, dict) and entry.get("action"):
        what = (
            f" [{entry.get('action')} {entry.get('object_type')}:{entry.get('object_id')} {entry.get('recorded_at')}]"
        )
    key_name, key_hash, _ = parse_vkey(vkey)
    zh_w = en_w = ""
    if witnesses:
        listed = "、".join(f"{n}（{_utc(t)}）" for n, t in signed)
        zh_w = (
            f"见证方 {len(signed)} 个签名（要求 {len(witnesses) if quorum is None else quorum} 个）：{listed or '无'}。"
        )
        en_w = f" Co-signed by {len(signed)} witness(es): {', '.join(n for n, _ in signed) or 'none'}."
    return (
        f"已验证：账本事件 #{index}{what} 包含在 {origin} 的签名检查点中（树大小 {size}），"
        f"签名密钥 {key_name}（标识 {key_hash.hex()}）。{zh_w}\n"
        f"VERIFIED: ledger event #{index} is included in the checkpoint of {origin} at tree size {size}, "
        f"signed by key {key_name} ({key_hash.hex()}).{en_w}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="liuhen-verify-proof", description="核验留痕账本证明包 Verify a Liuhen proof bundle"
    )
    parser.add_argument("bundle", help="证明包 JSON 文件 proof bundle (JSON); '-' for standard input")
    parser.add_argument("--vkey", help="信任的公钥（vkey 字符串）trusted verifier key; default: the bundle's own")
    parser.add_argument("--vkey-file", help="从文件读取信任的公钥 read the trusted vkey from a file")
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        help="信任的见证方公钥（可重复）trusted witness vkey (repeatable)",
    )
    parser.add_argument(
        "--quorum",
        type=int,
        help="至少需要几个见证方签名（默认全部）how many witnesses must have signed (default: all)",
    )
    args = parser.parse_args(argv)
    if args.quorum is not None and not 0 <= args.quorum <= len(args.witness):
        print(
            f"--quorum {args.quorum} 应在 0 与给出的 --witness 个数（{len(args.witness)}）之间"
            f" / --quorum must be between 0 and the number of --witness keys given",
            file=sys.stderr,
        )
        return 2
    try:
        text = sys.stdin.read() if args.bundle == "-" else open(args.bundle, encoding="utf-8").read()  # noqa: SIM115
        bundle = json.loads(text)
        trusted = args.vkey or (open(args.vkey_file, encoding="utf-8").read().strip() if args.vkey_file else None)  # noqa: SIM115
    except (OSError, ValueError) as exc:
        print(f"无法读取证明包 cannot read the bundle: {exc}", file=sys.stderr)
        return 2
    if not isinstance(bundle, dict):
        print("无法读取证明包 cannot read the bundle: not a JSON object", file=sys.stderr)
        return 2
    try:
        print(verify_bundle(bundle, trusted, args.witness, args.quorum))
    except NotVerified as exc:
        print(f"未通过验证：{exc.zh}\nNOT VERIFIED: {exc.en}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
