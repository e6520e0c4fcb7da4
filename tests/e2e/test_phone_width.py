"""Officers use phones in the field (issue 13, item 6): at 390 px the pages they work on fit the screen
with no sideways scroll, the case list and the AV record lists are cards, and the filter form is
folded behind 筛选. Each page is opened as the user who works on it, ``scrollWidth`` is checked and a
full-page screenshot saved (test-output/screenshots/phone-*.png) for looking at.

Long unbroken words (a party's name with a registration number, a file name) are in the data on
purpose: they must wrap, not widen the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from liuhen.testing.cases import make_document, make_staff

PASSWORD = "Liuhen-test-2026!"
WIDTH = 390
LONG_PARTY = "大连市西岗区某某文化娱乐有限公司统一社会信用代码91210203MA0XXXXXXXXXXXXXXXXXXXX"
LONG_TITLE = "接纳未成年人进入营业性互联网上网服务营业场所ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@pytest.fixture(autouse=True)
def _data(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")


def _logout(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()


def _fits(page, screenshot, name: str) -> None:
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, f"phone-{name}")
    wide = page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > limit + 0.5 && e.getClientRects().length)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""",
        WIDTH,
    )
    assert width <= WIDTH, f"{name}: scrollWidth {width} > {WIDTH}; widest: {wide}"


def _is_cards(page, testid: str) -> None:
    table = page.get_by_test_id(testid)
    assert table.locator("thead").evaluate("e => getComputedStyle(e).display") == "none"
    row = table.locator("tbody tr").first
    assert row.evaluate("e => getComputedStyle(e).display") == "block"


def test_field_pages_fit_a_390_px_phone(page, login, screenshot, make_agency, make_user, tmp_path):
    from liuhen.devices import services as devices
    from liuhen.documents import services as docs
    from liuhen.media.tests.avhelpers import clip

    staff = make_staff(make_agency, make_user, "e2e-phone", "national-baseline")
    officer = staff.officer
    officer.username = "phone.officer"
    officer.save(update_fields=["username"])
    head = staff.department_head
    head.username = "phone.head"
    head.save(update_fields=["username"])

    case = staff.open("penalty", title=LONG_TITLE, party_name=LONG_PARTY)
    for n in range(3):
        staff.open("inspection", title=f"检查{n}{LONG_TITLE}", party_name=LONG_PARTY)
    staff.lead(summary=f"举报{LONG_TITLE}", party_name=LONG_PARTY)
    folder = tmp_path / "av"
    folder.mkdir()
    start = timezone.now() - dt.timedelta(hours=2)
    clip(staff, folder, "DSJ_20261202_093000_0001_A8E2E01LONGFILENAME.mp4", start=start, case=case, stage_id="intake")
    clip(staff, folder, "UNTAGGED_20261202_100000_0002_A8E2E01LONGFILENAME.mp4", start=start)
    final = make_document(staff, case, "interview_record", case.stage, seed=3)
    assert final.version_count == 1
    draft = docs.document_create(actor=officer, case=case, doc_type="site_inspection_record", stage_id=case.stage)
    device = devices.device_register(actor=head, serial="DSJ-A8-PHONE01", kind="body_camera", model="DSJ-A8")
    devices.device_assign(actor=head, device=device, holder=officer)

    page.set_viewport_size({"width": WIDTH, "height": 844})
    login(page, "phone.officer", PASSWORD)
    _fits(page, screenshot, "home-officer")

    page.goto("/cases/")
    _is_cards(page, "case-table")
    summary = page.locator("details.lh-filter > summary")
    assert summary.is_visible()
    assert not page.locator("[data-testid=case-filter] select, [data-testid=case-filter] input").first.is_visible()
    _fits(page, screenshot, "case-list")
    summary.click()
    assert page.locator("[data-testid=case-filter] select, [data-testid=case-filter] input").first.is_visible()
    _fits(page, screenshot, "case-list-filter-open")

    page.goto("/cases/leads/")
    _fits(page, screenshot, "lead-list")

    page.goto(f"/cases/{case.pk}/")
    _fits(page, screenshot, "case-detail-officer")

    page.goto(f"/media/case/{case.pk}/")
    assert page.locator("#av-files").is_visible()
    _is_cards(page, "av-record-list")
    _fits(page, screenshot, "case-media-upload")

    page.goto(f"/media/case/{case.pk}/timeline")
    _fits(page, screenshot, "case-media-timeline")

    page.goto(f"/documents/{draft.pk}/")
    _fits(page, screenshot, "document-draft-signing")
    page.goto(f"/documents/{final.pk}/")
    _fits(page, screenshot, "document-final")

    page.goto("/devices/")
    _fits(page, screenshot, "device-list")
    page.goto(f"/devices/{device.pk}/check/")
    assert page.get_by_test_id("check-submit").is_visible()
    _fits(page, screenshot, "device-preuse-check")

    try:
        todo = reverse("todo")
    except NoReverseMatch:
        todo = ""
    if todo:
        page.goto(todo)
        _fits(page, screenshot, "todo-officer")
    _logout(page)

    login(page, "phone.head", PASSWORD)
    # on a desktop the filter form is open and its 筛选 toggle hidden (details::details-content)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/cases/")
    assert page.locator("[data-testid=case-filter] select, [data-testid=case-filter] input").first.is_visible()
    assert not page.locator("details.lh-filter > summary").is_visible()
    assert page.get_by_test_id("case-table").locator("thead").evaluate("e => getComputedStyle(e).display") != "none"
    screenshot(page, "desktop-case-list")
    page.set_viewport_size({"width": WIDTH, "height": 844})
    page.goto("/media/untagged/")
    _is_cards(page, "untagged-table")
    _fits(page, screenshot, "untagged")
    page.goto(f"/cases/{case.pk}/")
    _fits(page, screenshot, "case-detail-head")
    if todo:
        page.goto(todo)
        _fits(page, screenshot, "todo-head")
