"""An evidence disc in the browser: the records keeper opens a case with one small video, follows
刻制证据光盘 from the case page, ticks the video (the live total against a CD's capacity updates),
names maker, extractor and extraction time, submits, and sees the progress card turn into a verified
disc with its image download, the statement PDF and the read-back result (the build runs at once here;
elsewhere in the worker while the card polls)."""

from __future__ import annotations

import pytest

from liuhen.archive.models import DiscStatus, EvidenceDisc
from liuhen.cases import services as case_services
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.media.ingest import originals as media
from liuhen.media.ingest.processing import av_record_probe
from liuhen.media.tests import mediafiles

PASSWORD = "Liuhen-test-2026!"


@pytest.fixture(autouse=True)
def _data(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.clause("arch-av-evidence-disc")
def test_records_keeper_builds_a_disc_and_sees_it_verified(page, login, screenshot, make_agency, make_user, tmp_path):
    agency = make_agency("e2e-disc", "national-baseline")
    officer = make_user(agency, "officer", username="officer.disc")
    partner = make_user(agency, "officer", username="officer.disc2")
    make_user(agency, "records_keeper", username="keeper.disc")
    case = case_services.case_open(
        actor=officer,
        enforcement_type="inspection",
        title="网吧现场检查",
        party_name="某某网吧",
        handlers=[officer, partner],
    )
    clip = mediafiles.make_mp4(tmp_path / "现场检查录像.mp4", seconds=3)
    with open(clip, "rb") as fh:
        rec = media.av_record_ingest(
            actor=officer,
            stream=fh,
            filename=clip.name,
            content_type="video/mp4",
            target=media.Target(case=case, stage_id=case.stage),
        )
    av_record_probe(record_id=rec.pk)

    login(page, "keeper.disc", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    with page.expect_navigation():
        page.get_by_test_id("case-disc-new").click()
    plan = page.get_by_test_id("disc-plan")
    assert "已选 0 个文件" in plan.inner_text()
    page.get_by_test_id("disc-record").first.check()
    page.get_by_test_id("disc-medium-cd").check()
    page.wait_for_function("() => document.querySelector('[data-testid=disc-plan-files]').textContent.trim() === '1'")
    page.get_by_test_id("disc-extractor").fill("张执法")
    screenshot(page, "disc-builder")
    with page.expect_navigation():
        page.get_by_test_id("disc-submit").click()

    page.locator("[data-testid=disc-progress][data-status=verified]").wait_for(timeout=60_000)
    assert "回读校验通过" in page.get_by_test_id("disc-verified").inner_text()
    download = page.get_by_test_id("disc-download")
    disc = EvidenceDisc.objects.get()
    assert disc.status == DiscStatus.VERIFIED and download.get_attribute("href") == f"/discs/{disc.pk}/image"
    assert page.get_by_test_id("disc-image-sha256").inner_text() == disc.image_sha256
    screenshot(page, "disc-verified")
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename.endswith(".iso")
    assert Event.objects.filter(action="disc.downloaded", object_id=str(disc.pk)).count() == 1
    assert verify_records() == []
