"""Scanning docked cameras' folders and importing each new file (clause store-dedicated-storage).

For every file: hash it locally (SHA-256), create a tus upload (its URL is saved in the state file
before the first byte is sent, so a station killed at any point resumes the same upload), send the
bytes, then ask the server which record the upload became and compare the stored digest with the
local one. Only a match marks the file safe to clear from the camera; the station never deletes.

The device is identified by a sidecar in the folder (``DEVICE.txt`` / ``serial.txt``: either just
the serial, or ``serial=...`` and ``time=<ISO 8601>`` lines written by the dock when the camera is
connected), else by the folder's name. ``time=`` is the camera's clock read at docking; the sidecar's
modification time is the station's clock at that moment, and the difference goes to the server as a
docking report. (A recording's own timestamps cannot serve: it may have ended hours before docking.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import mimetypes
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from liuhen.station.state import State

log = logging.getLogger("liuhen.station")

SIDECARS = ("DEVICE.txt", "device.txt", "serial.txt", "SERIAL.txt")
SKIP_NAMES = {*SIDECARS, "Thumbs.db", ".DS_Store"}
HASH_CHUNK = 4 * 1024 * 1024


@dataclass
class Folder:
    path: Path
    serial: str = ""  # from the configuration; else the sidecar or the folder name


@dataclass
class Config:
    server: str
    token: str
    state_dir: Path
    folders: list[Folder]
    station: str = ""
    chunk_size: int = 8 * 1024 * 1024
    throttle: float = 0.0  # bytes per second; 0 = as fast as possible
    verify_timeout: float = 120.0


@dataclass
class Result:
    verified: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_sidecar(folder: Path) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """(serial, device time, station time when written) from the folder's sidecar, if any."""
    for name in SIDECARS:
        path = folder / name
        if not path.is_file():
            continue
        text = path.read_text("utf-8", errors="replace").strip()
        values: dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip().lower()] = value.strip()
        serial = values.get("serial") or (text.splitlines()[0].strip() if text and not values else "")
        device_time = None
        if values.get("time"):
            try:
                device_time = dt.datetime.fromisoformat(values["time"].replace("Z", "+00:00"))
            except ValueError:
                log.warning("%s: 无法识别的设备时间 %r", path, values["time"])
            if device_time is not None and device_time.tzinfo is None:
                device_time = device_time.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
        station_time = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        return serial, device_time, station_time
    return "", None, None


def media_files(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in SKIP_NAMES and not path.name.startswith("."):
            yield path


class Station:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.state = State(config.state_dir / "state.json")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {config.token}"
        self.base = config.server.rstrip("/")

    # ------------------------------------------------------------------ run

    def run_once(self) -> Result:
        result = Result()
        for folder in self.config.folders:
            side_serial, device_time, station_time = read_sidecar(folder.path)
            serial = folder.serial or side_serial or folder.path.name
            if device_time is not None and station_time is not None:
                self._report_docking(serial, device_time, station_time)
            for path in media_files(folder.path):
                try:
                    if self.import_file(path, serial):
                        result.verified.append(str(path))
                    else:
                        result.failed.append(str(path))
                except (requests.RequestException, TusCommunicationError, TusUploadFailed, OSError) as exc:
                    log.error("%s: 导入失败，下次继续：%s", path, exc)
                    result.failed.append(str(path))
        return result

    # ------------------------------------------------------------------ one file

    def _key(self, path: Path) -> str:
        return str(path.resolve())

    def import_file(self, path: Path, serial: str) -> bool:
        """Upload ``path`` (resuming) and verify it; True once the server holds exactly these bytes."""
        stat = path.stat()
        entry = self.state.file(self._key(path))
        if entry.get("size") != stat.st_size or entry.get("mtime_ns") != stat.st_mtime_ns:
            if entry.get("status") == "verified":
                log.warning("%s: 已核验过的文件被改动，重新导入", path)
            entry.clear()
            entry.update(size=stat.st_size, mtime_ns=stat.st_mtime_ns, serial=serial, status="new")
        if entry.get("status") == "verified":
            return True
        if not entry.get("sha256"):
            entry["sha256"] = sha256_of(path)
            self.state.save()
        uploader = self._uploader(path, entry, serial)
        self._send(path, uploader, entry)
        return self._verify(path, entry)

    def _uploader(self, path: Path, entry: dict[str, Any], serial: str) -> Any:
        client = tus_client.TusClient(
            f"{self.base}/api/uploads/", headers={"Authorization": f"Bearer {self.config.token}"}
        )
        kwargs: dict[str, Any] = {"file_path": str(path), "chunk_size": self._chunk()}
        if entry.get("upload_url"):
            try:
                return client.uploader(url=entry["upload_url"], **kwargs)
            except TusCommunicationError as exc:  # expired or terminated: start again
                log.warning("%s: 原上传任务不可续传（%s），重新开始", path, exc.status_code)
                entry.pop("upload_url", None)
        metadata = {
            "filename": path.name,
            "filetype": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            "source": "station",
            "device_serial": serial,
        }
        if self.config.station:
            metadata["station"] = self.config.station
        uploader = client.uploader(metadata=metadata, **kwargs)
        uploader.set_url(uploader.create_url())
        uploader.offset = 0
        entry.update(upload_url=uploader.url, status="uploading")
        self.state.save()  # before the first byte: a restart resumes this upload, never starts a second
        return uploader

    def _chunk(self) -> int:
        if self.config.throttle:
            return max(16 * 1024, min(self.config.chunk_size, int(self.config.throttle / 4) or 16 * 1024))
        return self.config.chunk_size

    def _send(self, path: Path, uploader: Any, entry: dict[str, Any]) -> None:
        size = uploader.get_file_size()
        started, start_offset, last_report = time.monotonic(), uploader.offset, 0.0
        if uploader.offset:
            log.info("%s: 从 %d 字节处续传", path.name, uploader.offset)
        while uploader.offset < size:
            uploader.upload_chunk()
            sent = uploader.offset - start_offset
            if self.config.throttle:
                due = started + sent / self.config.throttle
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
            now = time.monotonic()
            if now - last_report >= 1 or uploader.offset >= size:
                last_report = now
                pct = 100 * uploader.offset / size if size else 100
                log.info("%s: %.0f%%（%d/%d 字节）", path.name, pct, uploader.offset, size)
        entry["status"] = "sent"
        self.state.save()

    def _verify(self, path: Path, entry: dict[str, Any]) -> bool:
        upload_id = entry["upload_url"].rstrip("/").rsplit("/", 1)[1]
        deadline = time.monotonic() + self.config.verify_timeout
        nudged = False
        while True:
            response = self.http.get(f"{self.base}/api/media/by-upload/{upload_id}", timeout=30)
            response.raise_for_status()
            body = response.json()
            record = body.get("record")
            if record is not None:
                break
            if body.get("status") != "active" or time.monotonic() > deadline:
                log.error("%s: 服务器未生成音像记录（状态 %s）", path.name, body.get("status"))
                return False
            if not nudged and body.get("offset") == body.get("length"):
                time.sleep(1)
                self._nudge(entry["upload_url"], body["length"])  # a finish that failed is tried again
                nudged = True
            time.sleep(0.5)
        if record["sha256"] != entry["sha256"] or record["size"] != entry["size"]:
            entry.update(status="mismatch", server_sha256=record["sha256"])
            self.state.save()
            log.error("%s: 服务器保存的摘要 %s 与本地 %s 不符，不可清除", path.name, record["sha256"], entry["sha256"])
            return False
        entry.update(
            status="verified",
            record_id=record["id"],
            flags=record.get("flags", []),
            verified_at=dt.datetime.now(dt.UTC).isoformat(),
            safe_to_clear=True,
        )
        self.state.save()
        with open(self.config.state_dir / "safe-to-clear.txt", "a", encoding="utf-8") as fh:
            fh.write(f"{entry['verified_at']}\t{entry['sha256']}\t{self._key(path)}\n")
        note = f"（标记：{'、'.join(entry['flags'])}）" if entry["flags"] else ""
        log.info(
            "%s: 已核验（SHA-256 %s…，记录 #%s），可从设备清除%s", path.name, entry["sha256"][:16], record["id"], note
        )
        return True

    def _nudge(self, url: str, length: int) -> None:
        headers = {
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": str(length),
            "Content-Type": "application/offset+octet-stream",
        }
        try:
            self.http.patch(url, data=b"", headers=headers, timeout=600)
        except requests.RequestException as exc:
            log.warning("补发完成请求失败：%s", exc)

    # ------------------------------------------------------------------ docking

    def _report_docking(self, serial: str, device_time: dt.datetime, station_time: dt.datetime) -> None:
        key = f"{serial}|{device_time.isoformat()}"
        if self.state.data["docking"].get(key):
            return
        body = {
            "device_serial": serial,
            "device_time": device_time.isoformat(),
            "station_time": station_time.isoformat(),
            "station": self.config.station,
            "time_source": "sidecar",
        }
        response = self.http.post(f"{self.base}/api/media/docking-reports", json=body, timeout=30)
        if response.status_code != 201:
            log.error("设备 %s 对时记录提交失败：%s %s", serial, response.status_code, response.text[:200])
            return
        drift = response.json()["drift_seconds"]
        self.state.data["docking"][key] = {"drift_seconds": drift, "reported_at": dt.datetime.now(dt.UTC).isoformat()}
        self.state.save()
        log.info("设备 %s 接入：设备时钟与采集站相差 %+.1f 秒", serial, drift)
