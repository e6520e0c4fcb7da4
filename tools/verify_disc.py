#!/usr/bin/env python3
"""verify_disc.py: check a Liuhen evidence disc with nothing but Python 3's standard library.

留痕证据光盘核验脚本：只需 Python 3（无需安装任何软件包）。

    python3 verify_disc.py [DISC_FOLDER] [--vkey KEY] [--witness WITNESS_KEY ...] [--quorum N]

DISC_FOLDER is the mounted disc (or a copy of it); default: the folder this script is in. It checks
(1) every file listed in manifest-sha256.txt (BagIt, RFC 8493) has that SHA-256, and no file under
data/ is missing from it; (2) each ledger proof in proofs/ verifies against ledger/checkpoint.txt
signed by the key in ledger/agency.vkey (or --vkey, the key the agency published), using
liuhen_verify_proof.py from the same disc, and names the SHA-256 of the file it is about; (3) with
--witness (repeatable), that at least --quorum (default: all) of those witnesses co-signed
ledger/checkpoint.txt (C2SP tlog-cosignature), each cosignature checked.
Exit status 0: everything verified; 1: something did not (each failure names the file); 2: the disc
cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import sys

sys.dont_write_bytecode = True  # the disc is read-only


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                return digest.hexdigest()
            digest.update(chunk)


def _load_proof_tool(root: str):
    spec = importlib.util.spec_from_file_location("liuhen_verify_proof", os.path.join(root, "liuhen_verify_proof.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verify(
    root: str, trusted_vkey: str | None = None, witnesses: list[str] | None = None, quorum: int | None = None
) -> list[str]:
    """Return the failures (empty when the disc verifies); print one line per file checked."""
    failures: list[str] = []
    listed: dict[str, str] = {}
    with open(os.path.join(root, "manifest-sha256.txt"), encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                digest, rel = line.rstrip("\n").split(None, 1)
                listed[rel] = digest.lower()
    for rel, digest in listed.items():
        path = os.path.join(root, *rel.split("/"))
        if ".." in rel.split("/") or rel.startswith("/"):
            failures.append(f"{rel}: 清单中的路径不安全 unsafe path in the manifest")
        elif not os.path.isfile(path):
            failures.append(f"{rel}: 文件缺失 file missing")
        elif _sha256(path) != digest:
            failures.append(f"{rel}: SHA-256 不符，文件已被改动或损坏 SHA-256 mismatch (altered or damaged)")
        else:
            print(f"OK  {rel}")
    for folder, _, names in os.walk(os.path.join(root, "data")):
        for name in names:
            rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            if rel not in listed:
                failures.append(f"{rel}: 文件不在清单中 not in the manifest")
    tool = _load_proof_tool(root)
    with open(os.path.join(root, "ledger", "checkpoint.txt"), encoding="utf-8") as fh:
        checkpoint = fh.read()
    with open(os.path.join(root, "ledger", "agency.vkey"), encoding="utf-8") as fh:
        vkey = trusted_vkey or fh.read().strip()
    with open(os.path.join(root, "liuhen-disc.json"), encoding="utf-8") as fh:
        index = json.load(fh)
    if witnesses:
        need = len(witnesses) if quorum is None else quorum
        try:  # once for the disc: every proof must carry this same checkpoint text
            signed = tool.verify_cosignatures(checkpoint, list(witnesses), need)
            names = ", ".join(name for name, _ in signed) or "-"
            print(f"OK  ledger/checkpoint.txt 见证 {len(signed)}/{need} co-signed by {names}")
        except tool.NotVerified as exc:
            failures.append(f"ledger/checkpoint.txt: 见证未通过 {exc.zh} / witnesses: {exc.en}")
    for entry in index["files"]:
        rel, proof_rel = entry["path"], entry["proof"]
        try:
            with open(os.path.join(root, *proof_rel.split("/")), encoding="utf-8") as fh:
                bundle = json.load(fh)
            if bundle.get("checkpoint", "").strip() != checkpoint.strip():
                raise tool.NotVerified("证明的检查点与光盘上的检查点不同", "proof is for another checkpoint")
            tool.verify_bundle(bundle, vkey)
            if entry["sha256"] not in (bundle.get("leaf_data") or "") + (bundle.get("payload") or ""):
                raise tool.NotVerified("账本事件没有提到该文件的摘要", "the ledger event does not name this file")
            if listed.get(rel) != entry["sha256"]:
                raise tool.NotVerified("清单中的摘要与证明所述不同", "the manifest digest differs from the proven one")
            print(f"OK  {proof_rel} -> {rel}")
        except (OSError, ValueError) as exc:
            failures.append(f"{proof_rel}: 无法读取证明 cannot read the proof: {exc}")
        except tool.NotVerified as exc:
            failures.append(f"{rel}: 账本证明未通过 {exc.zh} / ledger proof failed: {exc.en}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="核验留痕证据光盘 Verify a Liuhen evidence disc")
    parser.add_argument("root", nargs="?", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--vkey", help="机关公布的公钥 the agency's published verifier key")
    parser.add_argument("--witness", action="append", default=[], help="见证方公钥（可重复）witness vkey (repeatable)")
    parser.add_argument(
        "--quorum", type=int, help="至少需要几个见证方签名（默认全部）witnesses required (default: all)"
    )
    args = parser.parse_args(argv)
    if args.quorum is not None and not 0 <= args.quorum <= len(args.witness):
        print(
            "--quorum 应在 0 与 --witness 个数之间 / --quorum must be between 0 and the --witness count",
            file=sys.stderr,
        )
        return 2
    try:
        failures = verify(args.root, args.vkey, args.witness, args.quorum)
    except (OSError, ValueError, KeyError) as exc:
        print(f"无法读取光盘 cannot read the disc: {exc}", file=sys.stderr)
        return 2
    if failures:
        print("未通过验证 NOT VERIFIED:")
        for failure in failures:
            print(f"FAIL {failure}")
        return 1
    print("全部通过验证：文件与清单一致，账本证明成立。VERIFIED: every file matches, every proof holds.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
