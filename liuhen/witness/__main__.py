"""``liuhen-witness`` / ``python -m liuhen.witness``: co-sign a Liuhen ledger's checkpoints.

    liuhen-witness keygen --name sfj.example.gov.cn/witness --key /etc/liuhen-witness/key
    liuhen-witness vkey --key /etc/liuhen-witness/key
    liuhen-witness cosign --server https://liuhen.example --key /etc/liuhen-witness/key \\
        --state /var/lib/liuhen-witness/state.json [--log-vkey 'origin+keyid+base64'] [--watch 600]

Exit status of ``cosign``: 0 co-signed; 1 refused (fork, shrunken tree, bad proof, checkpoint not
signed by the pinned log key: the reason is printed and the state file is unchanged); 2 a local
problem (arguments, key or state file); 3 the server could not be reached or refused the cosignature.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from liuhen.witness import core


def _print_failure(exc: core.Refused | core.Failed) -> None:
    head = ("拒绝见证：", "REFUSED: ") if isinstance(exc, core.Refused) else ("未能见证：", "FAILED: ")
    print(f"{head[0]}{exc.zh}\n{head[1]}{exc.en}", file=sys.stderr)
    evidence = getattr(exc, "evidence", {}).get("evidence file")
    if evidence:
        print(f"证据已保存 evidence kept in: {evidence}", file=sys.stderr)


def _cosign(args: argparse.Namespace) -> int:
    log_vkey = args.log_vkey
    if args.log_vkey_file:
        log_vkey = Path(args.log_vkey_file).read_text("utf-8").strip()
    try:
        outcome = core.cosign(
            server_url=args.server,
            key_path=Path(args.key),
            state_path=Path(args.state),
            log_vkey=log_vkey,
            cafile=args.cafile,
        )
    except core.Refused as exc:
        _print_failure(exc)
        return 1
    except core.Failed as exc:
        _print_failure(exc)
        return exc.exit_code
    if outcome.pinned_now:
        state = core.load_state(Path(args.state))
        assert state is not None
        print(
            f"首次使用：已固定日志公钥 {state.log_vkey}\n  指纹 {core.fingerprint(state.log_vkey)}\n"
            "  请与执法机关公布的公钥（审计页面“部署公钥”）核对。\n"
            f"First use: pinned the log key above (fingerprint {core.fingerprint(state.log_vkey)});"
            " check it against the key the agency published."
        )
    grew = f"（上次 {outcome.previous_size}）" if outcome.previous_size else ""
    print(
        f"已见证：树大小 {outcome.size}{grew}，一致性已核对；{outcome.witnessing or '服务器已收到见证签名'}\n"
        f"COSIGNED: tree size {outcome.size}"
        + (f" (was {outcome.previous_size}), consistency verified" if outcome.previous_size else "")
        + ("" if outcome.new else "; the server already had this cosignature")
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="liuhen-witness", description="留痕账本见证程序 Liuhen checkpoint witness")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("keygen", help="生成见证方密钥 generate the witness key")
    p.add_argument("--name", required=True, help="见证方名称，如 sfj.example.gov.cn/witness（不含空格和“+”）")
    p.add_argument("--key", required=True, help="私钥文件（新建，权限 0600）")
    p = sub.add_parser("vkey", help="显示见证方公钥 print the witness vkey")
    p.add_argument("--key", required=True, help="私钥文件")
    p = sub.add_parser("cosign", help="核对并见证最新检查点 check and co-sign the latest checkpoint")
    p.add_argument("--server", required=True, help="留痕服务器地址，如 https://liuhen.example")
    p.add_argument("--key", required=True, help="私钥文件")
    p.add_argument("--state", required=True, help="状态文件（上次见证的检查点与固定的日志公钥）")
    p.add_argument("--log-vkey", help="日志公钥（首次使用时固定；不给则使用服务器提供的并固定）")
    p.add_argument("--log-vkey-file", help="从文件读取日志公钥")
    p.add_argument("--cafile", help="HTTPS 服务器证书的根证书文件（内网证书时）")
    p.add_argument("--watch", type=float, default=0, help="每隔 N 秒重复（默认只运行一次）")
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            vkey = core.keygen(Path(args.key), args.name)
            print(
                f"已生成见证方密钥：{args.key}（请妥善保管，勿外传）\n见证方公钥（交给执法机关配置 LIUHEN_WITNESSES）：\n"
                f"{vkey}\nKey written to {args.key}; give the vkey above to the agency."
            )
            return 0
        if args.command == "vkey":
            print(core.vkey_of(Path(args.key)))
            return 0
    except core.Failed as exc:
        _print_failure(exc)
        return exc.exit_code
    if args.watch <= 0:
        return _cosign(args)
    while True:  # the service loop: a refusal is reported every time, and never overwrites the state
        _cosign(args)
        sys.stdout.flush()
        time.sleep(args.watch)


if __name__ == "__main__":
    sys.exit(main())
