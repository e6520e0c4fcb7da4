"""Rights and responses in the browser (doc-rights-notice, doc-defense-review): the decision letter's
page says what must be served and reviewed first and refuses to finalise; from the statement's page
the officer starts the review opinion, which names the statement it answers."""

from __future__ import annotations

import pytest

from liuhen.documents.models import Document
from liuhen.testing.cases import file_case, make_document, make_staff, serve_document

PASSWORD = "Liuhen-test-2026!"


@pytest.fixture(autouse=True)
def _data(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


@pytest.mark.clause("doc-rights-notice", "doc-defense-review")
def test_decision_waits_for_served_notices_and_a_reviewed_statement(page, login, screenshot, make_agency, make_user):
    staff = make_staff(make_agency, make_user, "e2e-rights", "dongxihu-culture")
    case = staff.open("penalty")
    file_case(staff, case)
    case.refresh_from_db()
    serve_document(staff, case, make_document(staff, case, "prior_notice", case.stage))
    statement = make_document(staff, case, "statement_defence_record", case.stage)

    login(page, staff.officer.username, PASSWORD)
    # the decision letter: what it still needs is listed, and finalising is refused with the reasons
    page.goto(f"/documents/case/{case.pk}/new?doc_type=decision_letter")
    with page.expect_navigation():
        page.get_by_test_id("start-confirm").click()
    needs = page.get_by_test_id("prerequisites").inner_text()
    assert "✓ 行政处罚事先告知书" in needs and "已直接送达" in needs
    assert "✗ 作出行政执法决定书前须向当事人送达权利告知书" in needs
    assert f"陈述申辩笔录（{statement.number}）所提事实、理由和证据须复核" in needs
    screenshot(page, "rights-decision-waits")
    with page.expect_navigation():
        page.get_by_test_id("finalise").click()
    assert "尚不能定稿" in page.content()
    letter = Document.objects.get(case=case, doc_type="decision_letter")
    assert letter.version_count == 0

    # the statement: not yet reviewed; start the review opinion from here
    page.goto(f"/documents/{statement.pk}/")
    assert "尚未复核" in page.get_by_test_id("answers").inner_text()
    screenshot(page, "rights-statement-unreviewed")
    with page.expect_navigation():
        page.get_by_test_id("answer-start").click()
    assert page.get_by_test_id("document-name").inner_text() == "陈述申辩复核意见"
    assert statement.number in page.get_by_test_id("responds-to").inner_text()
    review = Document.objects.get(case=case, doc_type="reexamination_opinion")
    assert review.responds_to_id == statement.pk
    page.get_by_label("是否采纳").fill("不予采纳")
    page.get_by_label("采纳或不采纳的理由").fill("当事人称未成年人持成年人身份证，但监控显示未核验证件，理由不成立。")
    screenshot(page, "rights-review-draft")
