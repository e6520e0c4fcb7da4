"""Evidence discs wired to a case: request by the records keeper, build in the worker, verified only after
the read-back, the image read with pycdlib and checked by its own verify_disc.py under the system Python,
a flipped byte caught by ``disc_verify``; refusals; ledger and timeline traces."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pycdlib
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from liuhen.archive.bagit import disc_image as disc_lib
from liuhen.archive.bagit.errors import DiscSpecInvalid, DiscTooLarge
from liuhen.archive.discs import build, errors, requests, selection, selectors
from liuhen.archive.models import DiscStatus, EvidenceDisc
from liuhen.cases.models import TimelineEntry
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.ledger.verification import verify_ledger
from liuhen.media.ingest import originals as media
from liuhen.media.ingest.processing import av_record_probe
from liuhen.media.tests import mediafiles
from liuhen.org.rules import Role
from liuhen.testing.cases import complete_documents

pytestmark = pytest.mark.django_db
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or "/usr/bin/python3"


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")


@pytest.fixture
def staff(staff_for):
    return staff_for("national-baseline", code="disc-a")


@pytest.fixture
def keeper(staff, make_user):
    return make_user(staff.agency, Role.RECORDS_KEEPER)


@pytest.fixture
def case(staff):
    return staff.open("inspection")


def ingest(staff, case, path: Path, content_type: str = "video/mp4"):
    with open(path, "rb") as fh:
        rec = media.av_record_ingest(
            actor=staff.officer,
            stream=fh,
            filename=path.name,
            content_type=content_type,
            target=media.Target(case=case, stage_id=case.stage),
        )
    av_record_probe(record_id=rec.pk)
    return rec


@pytest.fixture
def video(staff, case, tmp_path):
    return ingest(staff, case, mediafiles.make_mp4(tmp_path / "现场检查录像.mp4", seconds=2))


def run_tasks() -> None:
    """What the worker does with the queued disc builds (the real db_worker closes the test's connection)."""
    from django_tasks_db.models import DBTaskResult

    for row in DBTaskResult.objects.filter(task_path__startswith="liuhen.archive.discs.build.disc_build_task"):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()


def request(keeper, case, refs, *, medium="cd", **kw):
    args = {
        "actor": keeper,
        "case": case,
        "record_refs": refs,
        "maker": "赵档案",
        "extractor": "张执法",
        "extracted_at": timezone.now() - dt.timedelta(hours=1),
        "medium": medium,
    }
    args.update(kw)
    return requests.disc_request(**args)


def extract(iso_path: Path, target: Path) -> Path:
    iso = pycdlib.PyCdlib()
    iso.open(str(iso_path))
    try:
        for dirname, _, files in iso.walk(rr_path="/"):
            (target / dirname.lstrip("/")).mkdir(parents=True, exist_ok=True)
            for name in files:
                path = f"{dirname.rstrip('/')}/{name}"
                with open(target / path.lstrip("/"), "wb") as out:
                    iso.get_file_from_iso_fp(out, rr_path=path)
    finally:
        iso.close()
    return target


def verify_with_system_python(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SYSTEM_PYTHON, "-I", str(root / "verify_disc.py"), str(root)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        timeout=300,
        check=False,
    )


@pytest.fixture
def built(keeper, case, video, staff, django_capture_on_commit_callbacks):
    complete_documents(staff, case, case.stage, deliver=False)
    refs = [c.ref for c in selection.disc_candidates(case)]
    with django_capture_on_commit_callbacks(execute=True):
        disc = request(keeper, case, refs)
    assert disc.status == DiscStatus.QUEUED
    run_tasks()
    disc.refresh_from_db()
    return disc


@pytest.mark.clause("arch-av-evidence-disc", "integ-audit-trail-traceability")
def test_disc_request__built_in_the_worker_verified_and_traced(built, case, video, tmp_path):
    disc = built
    assert disc.status == DiscStatus.VERIFIED, disc.error
    assert disc.progress == 100 and disc.files_done == disc.files_total >= 1
    assert disc.bytes_done == disc.bytes_total >= video.size
    path = build.image_path(disc)
    assert path.is_file() and path.stat().st_size == disc.image_size
    assert disc.image_sha256 == build.sha256_file(path)
    assert disc.verification["ok"] and disc.digests["data/现场检查录像.mp4"] == video.blob_id
    # read back with pycdlib and checked by the disc's own verifier, with the system Python alone
    root = extract(path, tmp_path / "disc")
    done = verify_with_system_python(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERIFIED" in done.stdout and "-> data/现场检查录像.mp4" in done.stdout
    index = (root / "liuhen-disc.json").read_text(encoding="utf-8")
    assert '"maker": "赵档案"' in index and '"extractor": "张执法"' in index
    # the statement is a blob, the same bytes as on the disc, and offered to the case file
    statements = selectors.disc_statements(case)
    assert [s.sha256 for s in statements] == [disc.statement_sha256]
    assert (root / "data/光盘文字说明.pdf").read_bytes()[:5] == b"%PDF-"
    # ledger and timeline
    actions = list(TimelineEntry.objects.filter(case=case, ref_type="evidence_disc").values_list("action", flat=True))
    assert actions == ["disc.requested", "disc.built"]
    built_event = Event.objects.get(action="disc.built")
    assert disc.image_sha256 in built_event.payload and video.blob_id in built_event.payload
    assert verify_ledger() == [] and verify_records() == []


@pytest.mark.clause("arch-av-evidence-disc")
def test_disc_verify__one_flipped_byte_in_the_stored_image_is_detected_and_the_disc_withdrawn(built, keeper, tmp_path):
    disc = built
    path = build.image_path(disc)
    iso = pycdlib.PyCdlib()
    iso.open(str(path))
    record = iso.get_record(rr_path="/data/现场检查录像.mp4")
    offset = record.extent_location() * disc_lib.BLOCK + record.get_data_length() // 2
    iso.close()
    call_command("disc_verify", str(disc.pk))  # the good image passes
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(CommandError):
        call_command("disc_verify", str(disc.pk))
    disc.refresh_from_db()
    assert disc.status == DiscStatus.FAILED and not disc.verification["ok"]
    assert any("现场检查录像.mp4" in p for p in disc.verification["problems"])
    with pytest.raises(errors.DiscNotReady):
        selectors.disc_image_open(actor=keeper, disc=disc)
    done = verify_with_system_python(extract(path, tmp_path / "broken"))
    assert done.returncode == 1 and "FAIL data/现场检查录像.mp4" in done.stdout
    assert Event.objects.filter(action="disc.reverified").count() == 2
    assert verify_records() == []


@pytest.mark.clause("arch-av-evidence-disc")
def test_disc_request__too_large_for_the_medium_is_refused_with_the_disc_count(
    keeper, case, video, monkeypatch, django_capture_on_commit_callbacks
):
    # a fake CD a little smaller than the disc's fixed part (4 MiB) plus the video: no 700 MB file needed
    monkeypatch.setitem(disc_lib.MEDIA, "cd", ("CD", 4_250_000))
    plan = selection.disc_plan_for(selection.disc_candidates(case), "cd")
    assert not plan.fits and plan.discs == 2 and plan.fitting_medium == "dvd"
    before = Event.objects.count()
    with pytest.raises(DiscTooLarge) as exc:
        request(keeper, case, [f"av_record:{video.pk}"], medium="cd")
    assert exc.value.code == "disc_too_large"
    assert "超出一张 CD 光盘" in exc.value.message and exc.value.detail["discs"] >= 2
    assert exc.value.detail["fitting_medium"] == "dvd" and "DVD 光盘可以容纳" in exc.value.message
    assert not EvidenceDisc.objects.exists() and Event.objects.count() == before


@pytest.mark.clause("arch-av-evidence-disc")
def test_disc_request__refused_for_another_agencys_keeper_an_officer_and_a_record_of_another_case(
    keeper,
    staff,
    case,
    video,
    staff_for,
    make_user,
    tmp_path,
):
    other = staff_for("national-baseline", code="disc-b")
    other_keeper = make_user(other.agency, Role.RECORDS_KEEPER)
    with pytest.raises(errors.DiscNotAllowed) as exc:
        request(other_keeper, case, [f"av_record:{video.pk}"])
    assert exc.value.code == "disc_other_agency"
    with pytest.raises(errors.DiscNotAllowed) as exc:
        request(staff.officer, case, [f"av_record:{video.pk}"])
    assert exc.value.code == "disc_not_records_keeper"
    second = staff.open("inspection", title="另一案件")
    elsewhere = ingest(staff, second, mediafiles.make_mp4(tmp_path / "另一案.mp4", seconds=1))
    with pytest.raises(errors.DiscRecordRefused) as exc:
        request(keeper, case, [f"av_record:{video.pk}", f"av_record:{elsewhere.pk}"])
    assert exc.value.code == "disc_record_not_in_case" and f"av_record:{elsewhere.pk}" in exc.value.message
    with pytest.raises(DiscSpecInvalid) as exc:
        request(keeper, case, [f"av_record:{video.pk}"], extractor=" ")
    assert exc.value.code == "disc_statement_incomplete"
    assert not EvidenceDisc.objects.exists()


def test_disc_image_open__only_the_agencys_records_keeper_and_every_download_traced(built, staff, keeper):
    disc = built
    with pytest.raises(errors.DiscNotAllowed):
        selectors.disc_image_open(actor=staff.officer, disc=disc)
    selectors.disc_image_open(actor=keeper, disc=disc, byte_range="bytes=0-99")
    selectors.disc_image_open(actor=keeper, disc=disc)
    assert Event.objects.filter(action="disc.downloaded", object_id=str(disc.pk)).count() == 2


# ---------------------------------------------------------------- pages and API


@pytest.mark.clause("arch-av-evidence-disc")
def test_disc_pages__builder_plan_progress_and_ranged_download(
    client, keeper, staff, case, video, django_capture_on_commit_callbacks
):
    client.force_login(keeper)
    page = client.get(f"/discs/case/{case.pk}/new")
    assert page.status_code == 200 and "现场检查录像.mp4" in page.content.decode()
    plan = client.post(f"/discs/case/{case.pk}/plan", {"records": [f"av_record:{video.pk}"], "medium": "cd"})
    assert plan.status_code == 200 and 'data-testid="disc-plan-files">1<' in plan.content.decode()
    form = {
        "records": [f"av_record:{video.pk}"],
        "maker": "赵档案",
        "extractor": "张执法",
        "extracted_at": "2026-03-01T10:00",
        "medium": "cd",
    }
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/discs/case/{case.pk}/new", form)
    assert done.status_code == 302
    disc = EvidenceDisc.objects.get()
    progress = client.get(f"/discs/{disc.pk}/progress").content.decode()
    assert 'hx-trigger="every 1s"' in progress  # queued: the card keeps polling
    run_tasks()
    detail = client.get(f"/discs/{disc.pk}/").content.decode()
    assert 'data-status="verified"' in detail and "hx-trigger" not in detail and f"/discs/{disc.pk}/image" in detail
    part = client.get(f"/discs/{disc.pk}/image", HTTP_RANGE="bytes=0-2047")
    assert part.status_code == 206 and len(b"".join(part.streaming_content)) == 2048
    disc.refresh_from_db()
    assert part["Content-Range"] == f"bytes 0-2047/{disc.image_size}"
    assert client.get(f"/discs/{disc.pk}/statement").status_code == 200
    assert Event.objects.filter(action="disc.downloaded").count() == 1
    assert Event.objects.filter(action="disc.statement_downloaded").count() == 1
    client.force_login(staff.officer)
    assert client.get(f"/discs/{disc.pk}/image").status_code == 403
    assert client.post(f"/discs/case/{case.pk}/new", form).status_code == 422
    assert 'data-testid="case-disc-new"' not in client.get(f"/cases/{case.pk}/").content.decode()


@pytest.mark.clause("arch-av-evidence-disc")
def test_disc_api__refusals_with_stable_codes_and_a_queued_disc(
    client, keeper, staff, case, video, monkeypatch, django_capture_on_commit_callbacks
):
    body = {
        "case_id": case.pk,
        "records": [{"type": "av_record", "id": video.pk}],
        "maker": "赵档案",
        "extractor": "张执法",
        "extracted_at": "2026-03-01T10:00:00+08:00",
        "medium": "cd",
    }
    client.force_login(staff.officer)
    refused = client.post("/api/discs/", body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "disc_not_records_keeper"
    client.force_login(keeper)
    monkeypatch.setitem(disc_lib.MEDIA, "cd", ("CD", 4_250_000))
    big = client.post("/api/discs/", body, content_type="application/json")
    assert big.status_code == 422 and big.json()["code"] == "disc_too_large"
    assert big.json()["detail"]["discs"] == 2 and big.json()["detail"]["fitting_medium"] == "dvd"
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post("/api/discs/", body | {"medium": "dvd"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["status"] == "queued"
    run_tasks()
    got = client.get(f"/api/discs/{made.json()['id']}").json()
    assert got["status"] == "verified" and got["progress"] == 100 and got["verification"]["ok"]
    assert client.get(f"/api/discs/{got['id']}/image", HTTP_RANGE="bytes=-10").status_code == 206
