"""立卷归档 pages and API: the queue scoped by agency and role, the case file with its items and the
DA/T 70 report, 组卷 queued in the worker (组卷中 polled until done), 归档 by the records keeper only,
refusals shown in Chinese, item downloads in the ledger; ``manage.py archive_check``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from liuhen.archive.casefiles import assembly
from liuhen.archive.casefiles.assembly import ASSEMBLE_TASK_PATH
from liuhen.archive.casefiles.queue import archive_queue
from liuhen.archive.casefiles.tests.test_casefiles import START, _closed_case
from liuhen.archive.models import CaseFile, CaseFileStatus
from liuhen.ledger.models import Event
from liuhen.media.tests.avhelpers import clip
from liuhen.org.rules import Role
from liuhen.testing.cases import drive_to_close

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_assembly_tasks() -> None:
    """What the worker does with queued assemblies (the real db_worker closes the test's connection)."""
    from django_tasks_db.models import DBTaskResult

    for row in DBTaskResult.objects.filter(task_path=ASSEMBLE_TASK_PATH, status="READY"):
        value = row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.status, row.return_value, row.finished_at = "SUCCESSFUL", value, dt.datetime.now(dt.UTC)
        row.save()


@pytest.fixture
def world(staff_for, make_user, tmp_path):
    staff = staff_for("dongxihu-culture", code="views")
    keeper = make_user(staff.agency, Role.RECORDS_KEEPER)
    case = _closed_case(staff, tmp_path)
    return staff, keeper, case, CaseFile.objects.get(case=case)


@pytest.mark.clause("time-archive-30d")
def test_queue__scoped_to_the_agency_and_role(world, staff_for, make_user, tmp_path):
    staff, keeper, case, cf = world
    other = staff_for("dongxihu-culture", code="views-other")
    other_case = _closed_case(other, tmp_path / "o", av_stage=None)
    other_cf = CaseFile.objects.get(case=other_case)

    page = client_for(keeper).get("/archive/")
    body = page.content.decode()
    assert page.status_code == 200 and case.number in body and other_case.number not in body
    assert "剩余" in body and "个工作日" in body
    assert [r.case_file for r in archive_queue(keeper)["due"]] == [cf]
    assert archive_queue(keeper, today=cf.due_on + dt.timedelta(days=3))["overdue"][0].days == 3
    # the agency head sees it too; the officer of another department's case does not
    assert case.number in client_for(staff.agency_head).get("/archive/").content.decode()
    assert case.number not in client_for(other.officer).get("/archive/").content.decode()
    # the nav item: keeper and heads, not officers
    assert "立卷归档" in client_for(keeper).get("/").content.decode()
    assert 'href="/archive/"' not in client_for(staff.officer).get("/").content.decode()
    # another agency's case file: 404, on the page and by the case's id
    assert client_for(keeper).get(f"/archive/{other_cf.pk}/").status_code == 404
    assert client_for(keeper).get(f"/archive/case/{other_case.pk}/").status_code == 404
    assert client_for(keeper).post(f"/archive/{other_cf.pk}/assemble").status_code == 404


@pytest.mark.clause("arch-case-file-complete", "time-archive-30d")
def test_case_file_page__assemble_shows_report_then_keeper_archives(
    world, settings, django_capture_on_commit_callbacks
):
    staff, keeper, case, cf = world
    settings.TASKS = IMMEDIATE
    keeper_client = client_for(keeper)
    assert keeper_client.get(f"/archive/case/{case.pk}/").url == f"/archive/{cf.pk}/"
    page = keeper_client.get(f"/archive/{cf.pk}/").content.decode()
    assert "尚未组卷" in page and 'data-testid="case-file-assemble"' in page
    assert 'data-testid="case-file-archive"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = keeper_client.post(f"/archive/{cf.pk}/assemble")
    assert response.status_code == 302
    page = keeper_client.get(f"/archive/{cf.pk}/").content.decode()
    for label in ("真实性", "完整性", "可用性", "安全性", "正卷"):
        assert label in page
    assert page.count('data-ok="1"') == 5  # the report and each of the four properties
    assert "现场检查.mp4" in page and "立案审批表" in page
    cf.refresh_from_db()
    assert cf.status == CaseFileStatus.CHECKED and cf.archive_number in page

    # the officer (a handler) may re-assemble but not archive
    officer_client = client_for(staff.officer)
    officer_page = officer_client.get(f"/archive/{cf.pk}/").content.decode()
    assert 'data-testid="case-file-archive"' not in officer_page and "等待档案管理员归档" in officer_page
    refused = officer_client.post(f"/archive/{cf.pk}/archive", follow=True).content.decode()
    assert "不能归档：只有档案管理员可以检查归档" in refused
    cf.refresh_from_db()
    assert cf.status == CaseFileStatus.CHECKED

    # one item downloaded from the package, recorded
    item = assembly.current_items(cf)[0]
    download = keeper_client.get(f"/archive/{cf.pk}/items/{item.pk}")
    assert download.status_code == 200 and download["X-Content-SHA256"] == item.sha256
    assert b"".join(download.streaming_content)
    assert Event.objects.filter(action="case_file.downloaded", payload__contains=f'"item_id":{item.pk}').exists()

    archived = keeper_client.post(f"/archive/{cf.pk}/archive", follow=True).content.decode()
    cf.refresh_from_db()
    assert cf.status == CaseFileStatus.ARCHIVED and f"已归档，档案号 {cf.archive_number}" in archived
    assert 'data-testid="case-file-assemble"' not in archived
    assert "已归档" in keeper_client.get("/archive/").content.decode()


def test_case_file_page__refusal_shown_in_chinese_and_logged(staff_for, make_user, tmp_path):
    staff = staff_for("dongxihu-culture", code="views-unlinked")
    keeper = make_user(staff.agency, Role.RECORDS_KEEPER)
    case = staff.open("penalty")
    clip(staff, tmp_path, "未关联.mp4", start=START, case=case, stage_id="")
    case = drive_to_close(staff, case)
    cf = CaseFile.objects.get(case=case)
    page = client_for(keeper).post(f"/archive/{cf.pk}/assemble", follow=True).content.decode()
    assert "不能组卷：" in page and "未关联到执法环节" in page
    assert Event.objects.filter(action="case_file.assembly_refused").exists()
    cf.refresh_from_db()
    assert cf.status == CaseFileStatus.ASSEMBLING and cf.assembly == 0


def test_case_file_page__assembly_queued_polled_until_done(world, django_capture_on_commit_callbacks):
    _staff, keeper, _case, cf = world
    keeper_client = client_for(keeper)
    with django_capture_on_commit_callbacks(execute=True):
        keeper_client.post(f"/archive/{cf.pk}/assemble")
    page = keeper_client.get(f"/archive/{cf.pk}/").content.decode()
    assert "组卷中" in page and f'hx-get="/archive/{cf.pk}/status"' in page
    assert 'data-testid="case-file-assemble"' not in page  # no second request while one is queued
    poll = keeper_client.get(f"/archive/{cf.pk}/status", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "组卷中" in poll.content.decode()
    run_assembly_tasks()
    done = keeper_client.get(f"/archive/{cf.pk}/status", headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    cf.refresh_from_db()
    assert cf.status == CaseFileStatus.CHECKED


def test_home__shows_case_files_due(world):
    _staff, keeper, case, cf = world
    CaseFile.objects.filter(pk=cf.pk).update(due_on=dt.date.today() - dt.timedelta(days=2))
    home = client_for(keeper).get("/").content.decode()
    assert "待归档案件" in home and case.number in home and "已逾期" in home
    assert f'href="/archive/{cf.pk}/"' in home


# ---------------------------------------------------------------- API


@pytest.mark.clause("arch-case-file-complete")
def test_api__queue_case_file_assemble_archive(world, settings, django_capture_on_commit_callbacks):
    staff, keeper, case, cf = world
    settings.TASKS = IMMEDIATE
    api = client_for(keeper)
    queue = api.get("/api/archive/queue").json()
    assert [r["case_file_id"] for r in queue["due"]] == [cf.pk]
    assert queue["due"][0]["case_number"] == case.number and queue["due"][0]["days_left"] is not None

    officer = client_for(staff.officer)
    refused = officer.post(f"/api/archive/case-files/{cf.pk}/archive")
    assert refused.status_code == 403 and refused.json()["code"] == "case_file_not_records_keeper"
    not_yet = api.post(f"/api/archive/case-files/{cf.pk}/archive")
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "case_file_not_assembled"

    with django_capture_on_commit_callbacks(execute=True):
        queued = api.post(f"/api/archive/case-files/{cf.pk}/assemble")
    assert queued.status_code == 202
    body = api.get(f"/api/archive/case-files/{cf.pk}").json()
    assert body["status"] == "checked" and body["pending"] is False
    assert body["report"]["ok"] is True and set(body["report"]["properties"]) == {
        "authenticity",
        "integrity",
        "usability",
        "security",
    }
    assert body["items"][0]["seq"] == 1 and len(body["items"][0]["sha256"]) == 64

    archived = api.post(f"/api/archive/case-files/{cf.pk}/archive")
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    again = api.post(f"/api/archive/case-files/{cf.pk}/assemble")
    assert again.status_code == 409 and again.json() == {
        "code": "case_file_archived",
        "message": "案卷已归档，不能重新组卷",
    }


def test_api__other_agency_gets_404(world, staff_for, make_user):
    _staff, _keeper, _case, cf = world
    other = staff_for("dongxihu-culture", code="api-other")
    stranger = client_for(make_user(other.agency, Role.RECORDS_KEEPER))
    response = stranger.get(f"/api/archive/case-files/{cf.pk}")
    assert response.status_code == 404 and response.json()["code"] == "case_file_not_found"
    assert stranger.get("/api/archive/queue").json()["due"] == []


# ---------------------------------------------------------------- the command


@pytest.mark.clause("arch-case-file-complete")
def test_archive_check_command__exit_0_on_good_1_on_broken(world, capsys):
    _staff, keeper, case, cf = world
    with pytest.raises(CommandError, match="尚未组卷") as exc:
        call_command("archive_check", str(case.pk))
    assert exc.value.returncode == 1  # not assembled yet
    cf = assembly.case_file_assemble(actor=keeper, case=case)
    call_command("archive_check", str(case.pk))
    out = capsys.readouterr().out
    assert "结论：通过" in out and "真实性：通过" in out
    root = assembly.package_root(cf)
    pdf = next(p for p in root.rglob("*.pdf") if "决定书" in p.name)
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pdf.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="四性检测未通过") as exc:
        call_command("archive_check", str(case.pk), "--json")
    assert exc.value.returncode == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["properties"]["authenticity"]["ok"] is False
