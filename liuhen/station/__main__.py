"""``liuhen-station`` / ``python -m liuhen.station``: import docked cameras' files into Liuhen.

    python -m liuhen.station --server https://liuhen.example --token lh_<id>_<secret> \\
        --state-dir /var/lib/liuhen-station --station 一号采集站 /media/dock1 /media/dock2

or ``--config station.json`` with the same keys (``folders`` as paths or ``{"path", "serial"}``).
The token may also come from ``LIUHEN_STATION_TOKEN``. ``--watch N`` rescans every N seconds;
otherwise one pass, exit status 0 when every file is verified on the server.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from liuhen.station.core import Config, Folder, Station


def _config(argv: list[str] | None) -> tuple[Config, float]:
    parser = argparse.ArgumentParser(prog="liuhen-station", description="留痕采集站：导入执法记录仪文件并核验")
    parser.add_argument("folders", nargs="*", help="每台接入设备一个文件夹；可写作 路径=设备编号")
    parser.add_argument("--config", type=Path, help="JSON 配置文件")
    parser.add_argument("--server", help="服务器地址，如 https://liuhen.example")
    parser.add_argument("--token", help="接口令牌（也可用环境变量 LIUHEN_STATION_TOKEN）")
    parser.add_argument("--state-dir", type=Path, help="本地状态与日志目录")
    parser.add_argument("--station", help="采集站名称")
    parser.add_argument("--chunk-size", type=int, help="每次上传的字节数（默认 8 MiB）")
    parser.add_argument("--throttle", type=float, help="限速，字节/秒（默认不限）")
    parser.add_argument("--watch", type=float, default=0, help="每隔 N 秒重新扫描（默认只扫描一次）")
    args = parser.parse_args(argv)
    conf: dict = json.loads(args.config.read_text("utf-8")) if args.config else {}
    folders = []
    for item in conf.get("folders", []):
        folders.append(
            Folder(Path(item)) if isinstance(item, str) else Folder(Path(item["path"]), item.get("serial", ""))
        )
    for item in args.folders:
        path, _, serial = item.partition("=")
        folders.append(Folder(Path(path), serial))
    server = args.server or conf.get("server")
    token = args.token or conf.get("token") or os.environ.get("LIUHEN_STATION_TOKEN")
    state_dir = args.state_dir or (Path(conf["state_dir"]) if conf.get("state_dir") else None)
    if not server or not token or not state_dir or not folders:
        parser.error("需要 --server、--token、--state-dir 和至少一个文件夹")
    return Config(
        server=server,
        token=token,
        state_dir=state_dir,
        folders=folders,
        station=args.station or conf.get("station", ""),
        chunk_size=args.chunk_size or int(conf.get("chunk_size", 8 * 1024 * 1024)),
        throttle=args.throttle or float(conf.get("throttle", 0)),
    ), args.watch


def main(argv: list[str] | None = None) -> int:
    config, watch = _config(argv)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    handlers: list[logging.Handler] = [logging.FileHandler(config.state_dir / "station.log", encoding="utf-8")]
    handlers.append(logging.StreamHandler(sys.stdout))
    for handler in handlers:
        handler.setFormatter(fmt)
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    station = Station(config)
    while True:
        result = station.run_once()
        logging.getLogger("liuhen.station").info(
            "本轮：已核验 %d 个，失败 %d 个", len(result.verified), len(result.failed)
        )
        if not watch:
            return 0 if not result.failed else 1
        time.sleep(watch)


if __name__ == "__main__":
    sys.exit(main())
