"""An AV record in the browser: the officer opens the case's 音像记录 page, chooses a generated video
(real H.264 of random noise, so it does not compress: ~14 MB), the upload goes through tus in small
chunks on a throttled link, the page is reloaded mid-upload, the unfinished upload is listed, the same
file is chosen again and the upload resumes where the server says it stopped and completes; the
record is probed and its preview and thumbnail made (tasks run at once in this test), and the officer
sees it in the list with its thumbnail and plays it from the case's timeline."""

from __future__ import annotations

import hashlib
import os

import av
import pytest

from liuhen.cases import services as case_services
from liuhen.ledger.records import verify_records
from liuhen.media.models import MediaDerivative, MediaRecord, Upload, UploadStatus

PASSWORD = "Liuhen-test-2026!"
CHUNK = 256 * 1024


@pytest.fixture(autouse=True)
def _data(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")
    settings.LIUHEN_UPLOAD_CHUNK_BYTES = CHUNK  # many chunks, so the reload lands mid-upload
    # Probe and previews run inside the request that finishes the upload (the worker's job elsewhere).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _noise_video(path, *, seconds: int = 12, fps: int = 10, size=(320, 240)) -> str:
    with av.open(str(path), "w", format="mp4") as out:
        out.metadata["creation_time"] = "2026-03-01T02:00:00.000000Z"
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "10"})
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame(size[0], size[1], "yuv420p")
            for plane in frame.planes:
                plane.update(os.urandom(plane.buffer_size))
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return str(path)


def _throttle(page, bytes_per_second: int) -> object:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_second},
    )
    return cdp


def test_officer_uploads_a_video_reloads_mid_upload_resumes_and_plays_it(
    page, login, screenshot, make_agency, make_user, tmp_path
):
    agency = make_agency("e2e-media", "national-baseline")
    officer = make_user(agency, "officer", username="officer.av")
    partner = make_user(agency, "officer", username="officer.av2")
    case = case_services.case_open(
        actor=officer,
        enforcement_type="inspection",
        title="网吧现场检查",
        party_name="某某网吧",
        handlers=[officer, partner],
    )
    video = _noise_video(tmp_path / "现场检查-执法记录仪.mp4")
    size = os.path.getsize(video)
    assert size > 10 * 1024 * 1024

    # 1. from the case page to its 音像记录 page
    login(page, "officer.av", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    page.get_by_test_id("case-av-empty").wait_for()
    with page.expect_navigation():
        page.get_by_test_id("case-av-link").click()

    # 2. choose the file on a slow link; reload when part of it has arrived
    cdp = _throttle(page, 1_500_000)
    page.get_by_test_id("av-files").set_input_files(video)
    row = page.get_by_test_id("av-upload").first
    page.wait_for_function(
        "() => { const r = document.querySelector('[data-testid=av-upload]'); return r && +r.dataset.percent >= 15; }",
        timeout=30_000,
    )
    screenshot(page, "media-upload-progress")
    page.reload()
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.ACTIVE and 0 < upload.offset < size

    # 3. after the reload the page lists the unfinished upload; choosing the file again resumes it
    item = page.get_by_test_id("av-resumable-item")
    item.wait_for()
    assert "现场检查-执法记录仪.mp4" in item.inner_text() and "已上传" in item.inner_text()
    screenshot(page, "media-upload-after-reload")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.get_by_test_id("av-files").set_input_files(video)
    row = page.get_by_test_id("av-upload").first
    row.get_by_test_id("av-upload-record").wait_for(timeout=60_000)
    assert int(row.get_attribute("data-resumed-from")) > 0
    assert "续传" in row.inner_text() or row.get_attribute("data-state") == "done"
    assert Upload.objects.count() == 1  # resumed, not started over
    rec = MediaRecord.objects.get()
    with open(video, "rb") as fh:
        assert rec.blob_id == hashlib.sha256(fh.read()).hexdigest() and rec.size == size
    assert rec.case_id == case.pk and rec.stage_id == case.stage
    assert set(MediaDerivative.objects.filter(record=rec).values_list("kind", flat=True)) == {"preview", "thumbnail"}

    # 4. the list shows the record with its thumbnail
    thumb = page.get_by_test_id("av-thumb").first
    thumb.wait_for()
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=av-thumb]'); return i && i.complete && i.naturalWidth > 0; }"
    )
    screenshot(page, "media-upload-done")

    # 5. the timeline: one lane, one segment; clicking it plays the preview with the thumbnail as poster
    with page.expect_navigation():
        page.get_by_test_id("timeline-link").click()
    segment = page.get_by_test_id("timeline-segment")
    assert segment.count() == 1
    segment.click()
    player = page.get_by_test_id("timeline-video")
    assert player.get_attribute("poster").endswith(f"/media/records/{rec.pk}/thumbnail")
    page.wait_for_function("() => document.getElementById('tl-video').readyState >= 1", timeout=15_000)
    duration = page.evaluate("() => document.getElementById('tl-video').duration")
    assert duration == pytest.approx(12, abs=0.5)
    page.evaluate("() => { const v = document.getElementById('tl-video'); v.pause(); v.currentTime = 1.5; }")
    page.wait_for_function("() => document.getElementById('tl-video').readyState >= 2")
    screenshot(page, "media-timeline")

    # 6. the record page: preview, the original's digest, probe facts
    page.goto(f"/media/records/{rec.pk}/")
    assert page.get_by_test_id("record-sha256").inner_text() == rec.blob_id
    assert "h264" in page.get_by_test_id("record-probe").inner_text()
    screenshot(page, "media-record")

    # 7. two more cameras at the same scene: lanes per device, a gap, a multi-angle overlap
    from liuhen.media.ingest import originals as services
    from liuhen.media.tests import mediafiles

    target = services.Target(case=case, stage_id=case.stage)
    clips = [
        ("CAM-A", "2026-03-01T02:00:05Z", 20),
        ("CAM-A", "2026-03-01T02:01:10Z", 15),
        ("CAM-B", "2026-03-01T01:59:58Z", 50),
    ]
    for n, (serial, when, seconds) in enumerate(clips):
        path = mediafiles.make_mp4(tmp_path / f"cam-{n}.mp4", seconds=seconds, fps=2, creation_time=when, audio=False)
        with open(path, "rb") as fh:
            services.av_record_ingest(
                actor=officer,
                stream=fh,
                filename=path.name,
                content_type="video/mp4",
                target=target,
                device_serial=serial,
            )
    page.goto(f"/media/case/{case.pk}/timeline")
    assert page.get_by_test_id("timeline-lane").count() == 3
    assert page.get_by_test_id("timeline-gap").count() == 1
    assert page.get_by_test_id("timeline-overlap").count() >= 1
    page.get_by_test_id("timeline-segment").nth(1).click()
    page.wait_for_function("() => document.getElementById('tl-video').readyState >= 1", timeout=15_000)
    screenshot(page, "media-timeline-multi")
    assert verify_records() == []
