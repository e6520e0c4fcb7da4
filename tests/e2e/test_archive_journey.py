"""立卷归档 in the browser: the records keeper opens the archiving queue from the nav, opens a closed
penalty case's case file, presses 组卷 and sees 组卷中 while the worker builds the package (the test plays
the worker), the page reloads itself with the items by volume and the DA/T 70 report, all four
properties passed, then archives it and sees the archive number; the queue lists it as 已归档."""

from __future__ import annotations

import pytest

from liuhen.archive.casefiles.tests.test_casefiles import _closed_case
from liuhen.archive.casefiles.tests.test_views import run_assembly_tasks
from liuhen.archive.models import CaseFile, CaseFileStatus
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.org.rules import Role

PASSWORD = "Liuhen-test-2026!"


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")


@pytest.mark.clause("arch-case-file-complete", "time-archive-30d")
def test_records_keeper_assembles_and_archives_a_case_file(page, login, screenshot, staff_for, make_user, tmp_path):
    staff = staff_for("dongxihu-culture", code="e2e-arch")
    make_user(staff.agency, Role.RECORDS_KEEPER, username="keeper.arch")
    case = _closed_case(staff, tmp_path)
    cf = CaseFile.objects.get(case=case)

    login(page, "keeper.arch", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("link", name="立卷归档").click()
    due = page.get_by_test_id("queue-due")
    assert case.number in due.inner_text() and "个工作日" in due.inner_text()
    screenshot(page, "archive-queue")
    with page.expect_navigation():
        due.get_by_test_id("queue-open").first.click()
    assert page.get_by_test_id("case-file-state").inner_text() == "待立卷"
    assert "尚未组卷" in page.get_by_test_id("check-report-none").inner_text()

    with page.expect_navigation():
        page.get_by_test_id("case-file-assemble").click()
    page.get_by_test_id("case-file-pending").wait_for()
    screenshot(page, "archive-assembling")
    run_assembly_tasks()  # the worker
    page.locator("[data-testid=check-report][data-ok='1']").wait_for(timeout=30_000)  # htmx reloaded the page
    for prop in ("authenticity", "integrity", "usability", "security"):
        assert page.get_by_test_id(f"check-{prop}").get_attribute("data-ok") == "1"
    assert "真实性" in page.get_by_test_id("check-report").inner_text()
    assert page.get_by_test_id("case-file-item").count() >= 5
    assert "现场检查.mp4" in page.get_by_test_id("volume-main").inner_text() + page.content()
    cf.refresh_from_db()
    assert cf.status == CaseFileStatus.CHECKED
    screenshot(page, "archive-checked")

    with page.expect_navigation():
        page.get_by_test_id("case-file-archive").click()
    assert page.get_by_test_id("case-file-state").inner_text() == "已归档"
    cf.refresh_from_db()
    assert (
        cf.status == CaseFileStatus.ARCHIVED
        and cf.archive_number in page.get_by_test_id("case-file-number").inner_text()
    )
    assert page.get_by_test_id("case-file-assemble").count() == 0
    screenshot(page, "archive-archived")

    page.goto("/archive/")
    assert cf.archive_number in page.get_by_test_id("queue-done").inner_text()
    assert Event.objects.filter(action="case_file.archived").count() == 1
    assert verify_records() == []
