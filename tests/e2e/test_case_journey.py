"""A penalty case from a complaint, in the browser: the officer registers the lead, opens the case and
fills the filing form; the agency head approves; the officer sees the case filed and every step in
the timeline with its ledger number."""

from __future__ import annotations

import re

from liuhen.cases.models import Case

PASSWORD = "Liuhen-test-2026!"


def _logout(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()


def test_officer_files_a_penalty_case_from_a_complaint(page, login, screenshot, make_agency, make_user):
    agency = make_agency("e2e-cases", "dongxihu-culture")
    make_user(agency, "officer", username="officer.one")
    partner = make_user(agency, "officer", username="officer.two")
    make_user(agency, "agency_head", username="head.one")

    # 1. the officer registers a complaint
    login(page, "officer.one", PASSWORD)
    page.get_by_role("link", name="案件", exact=True).click()
    page.get_by_test_id("lead-new-link").click()
    page.select_option("#id_kind", label="投诉")
    page.fill("#id_summary", "群众投诉某网吧接纳未成年人上网")
    page.fill("#id_party_name", "某某网吧")
    page.fill("#id_reporter_name", "张某")
    page.fill("#id_reporter_contact", "138****0000")
    screenshot(page, "cases-lead-new")
    with page.expect_navigation():
        page.get_by_role("button", name="登记").click()
    assert "已登记案源" in page.content()
    assert page.get_by_test_id("lead-status").inner_text() == "已登记待处理"

    # 2. opens a penalty case from it with a second handler
    page.fill("#id_title", "接纳未成年人进入营业场所")
    page.get_by_label(f"{partner.officer.name}（{partner.officer.certificate_no}）").check()
    screenshot(page, "cases-lead-detail")
    with page.expect_navigation():
        page.get_by_test_id("lead-open-submit").click()
    assert "已启动案件" in page.content()
    assert page.get_by_test_id("case-status").inner_text() == "待立案审批"

    # 3. fills the filing form: a missing required field first, then complete
    page.locator("[data-testid='action-filing_form-filing'] summary").click()
    form = page.get_by_test_id("action-filing_form-filing")
    form.get_by_label("承办人意见").fill("经初步核查，线索属实，建议立案调查")
    with page.expect_navigation():
        page.get_by_test_id("submit-filing_form-filing").click()
    assert "立案审批表缺少必填栏目" in page.content()
    assert form.get_by_label("承办人意见").input_value() == "经初步核查，线索属实，建议立案调查"
    form.get_by_label("承办机构意见").fill("同意立案")
    form.get_by_label("行政机关负责人意见").fill("拟同意，报局长审批")
    screenshot(page, "cases-filing-form")
    with page.expect_navigation():
        page.get_by_test_id("submit-filing_form-filing").click()
    assert "已提交立案审批表" in page.content()
    case = Case.objects.get(agency=agency)
    _logout(page)

    # 4. the agency head approves
    login(page, "head.one", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    page.locator("[data-testid='action-approve-filing-agency_head'] summary").click()
    page.get_by_test_id("action-approve-filing-agency_head").get_by_label("意见").fill("同意立案")
    screenshot(page, "cases-head-approval")
    with page.expect_navigation():
        page.get_by_test_id("submit-approve-filing-agency_head").click()
    assert "已记录审批" in page.content()
    _logout(page)

    # 5. the officer sees the case filed and the steps in the timeline
    login(page, "officer.one", PASSWORD)
    screenshot(page, "cases-home")
    page.goto("/cases/")
    screenshot(page, "cases-list")
    page.get_by_role("link", name=case.number).click()
    assert page.get_by_test_id("case-status").inner_text() == "办理中"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d", page.get_by_test_id("case-filed-at").inner_text())
    timeline = page.get_by_test_id("timeline").inner_text()
    for label in ("启动案件", "提交立案审批表", "记录审批", "立案"):
        assert label in timeline
    assert "机关负责人审批（立案）：同意" in timeline
    case.refresh_from_db()
    for entry in case.timeline.all():
        assert f"#{entry.event_seq}" in timeline
    screenshot(page, "cases-detail-filed")


def test_department_head_sees_the_late_items_of_his_department(page, login, screenshot, make_agency, make_user):
    import datetime as dt

    from django.utils import timezone

    from liuhen.cases import services
    from liuhen.cases.models import CaseDeadline

    agency = make_agency("e2e-late", "national-baseline")
    officer = make_user(agency, "officer", username="late.officer")
    partner = make_user(agency, "officer")
    make_user(agency, "department_head", username="late.head")
    lead = services.case_source_register(
        actor=officer, kind="own_inspection", received_at=timezone.now(), summary="检查发现无证经营"
    )
    case = services.case_open(
        actor=officer, enforcement_type="penalty", title="无证经营", source=lead, handlers=[officer, partner]
    )
    CaseDeadline.objects.create(
        case=case,
        code="test_late",
        label="测试期限",
        value=1,
        unit="working_days",
        stop_event="case_closed",
        started_on=timezone.localdate() - dt.timedelta(days=10),
        due_on=timezone.localdate() - dt.timedelta(days=3),
    )

    login(page, "late.head", PASSWORD)
    late = page.get_by_test_id("home-late")
    assert "1" in late.inner_text() and "本科室" in late.inner_text()
    assert case.number in page.get_by_test_id("home-deadlines").inner_text()
    screenshot(page, "cases-home-late")
    with page.expect_navigation():
        late.get_by_role("link").click()
    assert case.number in page.get_by_test_id("case-table").inner_text()
    screenshot(page, "cases-list-late")
