"""An interview record in the browser: the officer enters the special stage 询问 of an inspection case,
starts the 询问（调查）笔录 from the case page, fills it (autosaved), the interviewee signs on the
touch pad (drawn with the mouse), the officer finalises, and the version shows its electronic seal as
intact; the finalised PDF is rendered to PNG for a look."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from liuhen.cases import services as case_services
from liuhen.documents.models import Document, DocumentStatus, Signature
from tests.e2e.conftest import SCREENSHOT_DIR

PASSWORD = "Liuhen-test-2026!"


@pytest.fixture(autouse=True)
def _data(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


def _draw(page, canvas, strokes) -> None:
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in strokes:
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * y0)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y, steps=6)
        page.mouse.up()


def test_officer_drafts_signs_and_finalises_an_interview_record(page, login, screenshot, make_agency, make_user):
    agency = make_agency("e2e-docs", "dongxihu-culture")
    officer = make_user(agency, "officer", username="officer.one")
    partner = make_user(agency, "officer", username="officer.two")
    case = case_services.case_open(
        actor=officer,
        enforcement_type="inspection",
        title="网吧日常检查",
        party_name="某某网吧",
        handlers=[officer, partner],
    )

    # 1. on the case page, enter the special stage 询问
    login(page, "officer.one", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    page.locator("[data-testid='action-special_enter-interview'] summary").click()
    page.get_by_test_id("action-special_enter-interview").locator("textarea, input[type=text]").first.fill(
        "现场发现未成年人上网，需询问网吧负责人"
    )
    with page.expect_navigation():
        page.get_by_test_id("submit-special_enter-interview").click()
    assert "已进入特别程序环节" in page.content()
    screenshot(page, "documents-case-page")

    # 2. start the interview record from the 文书 section
    with page.expect_navigation():
        page.get_by_test_id("start-interview_record").click()
    assert page.get_by_test_id("document-name").inner_text() == "询问（调查）笔录"
    assert page.get_by_label("执法人员姓名").input_value() == f"{officer.officer.name}、{partner.officer.name}"

    # 3. fill it; the draft saves itself after a pause in typing
    page.get_by_label("询问开始时间").fill("2026-11-23 09:00")
    page.get_by_label("询问结束时间").fill("2026-11-23 09:40")
    page.get_by_label("询问地点").fill("某某网吧前台")
    page.get_by_label("出示执法证件情况").fill("已向被询问人出示执法证件")
    page.get_by_label("记录人").fill(partner.officer.name)
    page.get_by_label("被询问人基本情况").fill("李某，男，某某网吧负责人")
    page.get_by_label("询问内容（问答）").fill(
        "问：我们是区文化市场综合执法大队的执法人员，现依法向你询问，你是否听清楚？\n答：听清楚了。\n"
        "问：今天上午现场检查时发现两名未成年人在你店内上网，你是否知情？\n答：知情，是前台没有核对身份证。"
    )
    page.get_by_test_id("autosave-ok").wait_for()
    assert "缺少被询问人的签名或拒绝签名记录" in page.get_by_test_id("problems").inner_text()
    doc = Document.objects.get(case=case, doc_type="interview_record")
    assert doc.draft_values["place"] == "某某网吧前台"
    screenshot(page, "documents-draft")

    # 4. the interviewee signs on the pad
    signer = page.get_by_test_id("signer-interviewee")
    signer.get_by_label("被询问人姓名").fill("李某")
    _draw(
        page,
        page.get_by_test_id("pad-interviewee"),
        [
            [(0.10, 0.60), (0.18, 0.30), (0.24, 0.70), (0.30, 0.35), (0.36, 0.65)],
            [(0.45, 0.30), (0.45, 0.75), (0.58, 0.75)],
            [(0.65, 0.55), (0.72, 0.25), (0.80, 0.70), (0.88, 0.40)],
        ],
    )
    screenshot(page, "documents-signature-pad")
    with page.expect_navigation():
        page.get_by_test_id("sign-submit-interviewee").click()
    assert "已采集被询问人签名" in page.content()
    assert "李某 已签名" in page.get_by_test_id("signed-interviewee").inner_text()
    sig = Signature.objects.get(document=doc)
    assert sig.image_sha256 and not sig.refused
    assert page.get_by_test_id("no-problems").is_visible()

    # 5. finalise: version 1 with an intact seal
    with page.expect_navigation():
        page.get_by_test_id("finalise").click()
    assert "已定稿并加盖电子印章" in page.content()
    assert page.get_by_test_id("document-status").inner_text() == "已定稿"
    assert "电子印章有效，文件未被改动" in page.get_by_test_id("seal-1").inner_text()
    assert "李某 已签名" in page.get_by_test_id("signed-interviewee").inner_text()
    assert page.get_by_test_id("draft-form").count() == 0  # nothing left to edit
    screenshot(page, "documents-finalised")
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.FINAL and doc.version_count == 1

    # 6. the PDF as served, rendered to PNG for a look
    response = page.request.get(f"/documents/{doc.pk}/versions/1/pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = SCREENSHOT_DIR / "documents-interview-record.pdf"
    pdf.write_bytes(response.body())
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(SCREENSHOT_DIR / "documents-pdf")],
            check=True,
        )

    # 7. the case page lists it as finalised
    page.goto(f"/cases/{case.pk}/")
    row = page.get_by_test_id("document-row").filter(has_text="询问（调查）笔录")
    assert "已定稿" in row.inner_text() and "第 1 版" in row.inner_text()
    screenshot(page, "documents-case-page-after")
