"""The collection station against a live server over loopback: import, verify, survive a kill."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from liuhen.ledger.records import verify_records
from liuhen.media.models import DockingReport, MediaRecord, Upload, UploadStatus
from liuhen.media.tests import mediafiles

pytestmark = pytest.mark.django_db(transaction=True)
REPO = Path(__file__).resolve().parents[3]


def _run(args: list[str], **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the station knows nothing of Django
    return subprocess.Popen(
        [sys.executable, "-m", "liuhen.station", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def docks(tmp_path):
    a, b = tmp_path / "dock1", tmp_path / "CAM-B-002"
    a.mkdir()
    b.mkdir()
    return a, b


def test_station__imports_two_folders_verifies_and_reports_drift(live_server, staff, token_for, docks, tmp_path):
    a, b = docks
    (a / "DEVICE.txt").write_text("serial=CAM-A-001\ntime=2026-03-01T10:00:42+08:00\n", "utf-8")
    sidecar_mtime = dt.datetime(2026, 3, 1, 2, 0, 0, tzinfo=dt.UTC).timestamp()  # 10:00:00 Beijing
    os.utime(a / "DEVICE.txt", (sidecar_mtime, sidecar_mtime))
    clip = mediafiles.make_mp4(a / "20260301_0955.mp4", seconds=1)
    (a / "sub").mkdir()
    note = mediafiles.make_m4a(a / "sub" / "note.m4a")
    photo = mediafiles.make_jpeg(b / "IMG_0001.jpg")
    state = tmp_path / "state"
    proc = _run(
        [
            "--server",
            live_server.url,
            "--token",
            token_for(staff.officer),
            "--state-dir",
            str(state),
            "--station",
            "一号采集站",
            str(a),
            str(b),
        ]
    )
    out = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 0, out
    records = {r.filename: r for r in MediaRecord.objects.all()}
    assert set(records) == {clip.name, note.name, photo.name}
    assert records[clip.name].blob_id == _sha(clip) and records[clip.name].device_serial == "CAM-A-001"
    assert records[photo.name].device_serial == "CAM-B-002"  # folder name when there is no sidecar
    assert {r.source for r in records.values()} == {"station"} and records[clip.name].station == "一号采集站"
    saved = json.loads((state / "state.json").read_text("utf-8"))
    assert all(f["status"] == "verified" and f["safe_to_clear"] for f in saved["files"].values())
    assert clip.exists() and note.exists() and photo.exists()  # never deletes
    assert len((state / "safe-to-clear.txt").read_text("utf-8").splitlines()) == 3
    assert "可从设备清除" in (state / "station.log").read_text("utf-8")
    report = DockingReport.objects.get()
    assert report.device_serial == "CAM-A-001" and report.drift_seconds == 42.0
    # A second pass finds nothing new and sends nothing.
    proc = _run(
        ["--server", live_server.url, "--token", token_for(staff.officer), "--state-dir", str(state), str(a), str(b)]
    )
    proc.communicate(timeout=60)
    assert proc.returncode == 0 and MediaRecord.objects.count() == 3 and Upload.objects.count() == 3
    assert DockingReport.objects.count() == 1
    assert verify_records() == []


def test_station__killed_mid_file_resumes_the_same_upload(live_server, staff, token_for, docks, tmp_path):
    a, _ = docks
    big = mediafiles.make_big(a / "long.mp4", 6 * 1024 * 1024 + 123, seed=7)
    state = tmp_path / "state"
    args = ["--server", live_server.url, "--token", token_for(staff.officer), "--state-dir", str(state)]
    proc = _run([*args, "--chunk-size", "262144", "--throttle", "1500000", str(a)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        upload = Upload.objects.first()
        if upload is not None and upload.offset >= 1024 * 1024:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the upload never started: " + proc.communicate()[0].decode())
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    upload = Upload.objects.get()
    assert 0 < upload.offset < big.stat().st_size and upload.status == UploadStatus.ACTIVE
    assert MediaRecord.objects.count() == 0

    proc = _run([*args, str(a)])
    out = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 0, out
    assert "续传" in out
    assert Upload.objects.count() == 1  # the same upload resumed, not a second one
    rec = MediaRecord.objects.get()
    assert rec.blob_id == _sha(big) and rec.size == big.stat().st_size
    assert verify_records() == []


def test_station__missing_arguments_exit_with_usage(tmp_path):
    proc = _run(["--state-dir", str(tmp_path)])
    out = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 2 and "--server" in out
