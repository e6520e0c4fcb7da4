"""The officer pages: list filters, leads, opening and filing, approvals refused outside authority,
the timeline, the home page's late flag, and another agency's case answering 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liuhen.cases import services
from liuhen.cases.models import Case, CaseDeadline, CaseSource, FilingForm, SourceStatus
from liuhen.ledger.models import Event
from liuhen.testing.cases import complete_documents, file_case

FILING_VALUES = {
    "source": "投诉",
    "party_info": "某网吧，经营者王某",
    "handler_opinion": "建议立案",
    "department_opinion": "同意",
    "head_opinion": "同意立案",
}


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _html(response) -> str:
    return response.content.decode()


@pytest.fixture
def staff(staff_for):
    return staff_for("dongxihu-culture")


# ---------------------------------------------------------------- list


def test_case_list__filters_by_type_status_due_and_text(client, staff):
    penalty = staff.open("penalty", title="接纳未成年人上网")
    file_case(staff, penalty)
    pending = staff.open("penalty", title="另一线索")
    inspection = staff.open("inspection", title="日常检查", party_name="某书店")
    assert CaseDeadline.objects.filter(case=penalty).update(due_on=timezone.localdate() - dt.timedelta(days=2))
    client.force_login(staff.officer)

    html = _html(client.get("/cases/"))
    assert penalty.number in html and inspection.number in html and pending.number in html
    assert "受案" in html and "现场检查" in html  # Chinese stage names from the pinned profile
    assert 'data-testid="badge-overdue"' in html

    html = _html(client.get("/cases/", {"enforcement_type": "inspection"}))
    assert inspection.number in html and penalty.number not in html
    html = _html(client.get("/cases/", {"status": "pending_filing"}))
    assert pending.number in html and penalty.number not in html and inspection.number not in html
    html = _html(client.get("/cases/", {"due": "late"}))
    assert penalty.number in html and inspection.number not in html
    html = _html(client.get("/cases/", {"q": "书店"}))
    assert inspection.number in html and penalty.number not in html
    html = _html(client.get("/cases/", {"handler": staff.outsider.pk}))
    assert 'data-testid="case-list-empty"' in html


def test_case_list__an_officer_who_handles_nothing_sees_nothing(client, staff):
    staff.open("inspection")
    client.force_login(staff.outsider)
    assert 'data-testid="case-list-empty"' in _html(client.get("/cases/"))


# ---------------------------------------------------------------- leads


def test_lead_new__bad_input_is_refused_in_chinese_and_nothing_is_stored(client, staff):
    client.force_login(staff.officer)
    received = _local(timezone.now() - dt.timedelta(hours=1))
    r = client.post("/cases/leads/new", {"kind": "complaint", "received_at": received, "summary": ""})
    assert r.status_code == 200 and "这个字段是必填项" in _html(r)
    # A complaint without the complainant: the service refuses, the form keeps what was typed.
    r = client.post("/cases/leads/new", {"kind": "complaint", "received_at": received, "summary": "网吧接纳未成年人"})
    html = _html(r)
    assert "请填写投诉人姓名或名称" in html and "网吧接纳未成年人" in html
    future = _local(timezone.now() + dt.timedelta(days=2))
    r = client.post(
        "/cases/leads/new", {"kind": "report", "received_at": future, "summary": "x", "reporter_name": "李某"}
    )
    assert "获取时间（" in _html(r) and "晚于现在，不能登记将来的时间" in _html(r)
    assert not CaseSource.objects.exists()

    r = client.post(
        "/cases/leads/new",
        {"kind": "complaint", "received_at": received, "summary": "网吧接纳未成年人", "reporter_name": "张某"},
    )
    source = CaseSource.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/leads/{source.pk}/"
    html = _html(client.get(r["Location"]))
    assert source.number in html and "启动案件" in html and "张某" in html


def test_lead__not_filing_is_for_heads_and_needs_the_notice(client, staff):
    source = staff.lead()
    client.force_login(staff.officer)
    assert 'data-testid="lead-not-file"' not in _html(client.get(f"/cases/leads/{source.pk}/"))
    r = client.post(f"/cases/leads/{source.pk}/not-file", {"reasons": "不属于违法行为"})
    assert "科室负责人或机关负责人" in _html(r)

    client.force_login(staff.department_head)
    r = client.post(f"/cases/leads/{source.pk}/not-file", {"reasons": "不属于违法行为"})
    assert "须同时记录对投诉人的告知" in _html(r) and "不属于违法行为" in _html(r)
    source.refresh_from_db()
    assert source.status == SourceStatus.REGISTERED
    r = client.post(
        f"/cases/leads/{source.pk}/not-file",
        {
            "reasons": "不属于违法行为",
            "recipient_kind": "complainant",
            "recipient_name": "张某",
            "method": "phone",
            "notified_at": _local(timezone.now()),
        },
    )
    assert r.status_code == 302
    source.refresh_from_db()
    assert source.status == SourceStatus.NOT_FILED
    html = _html(client.get(f"/cases/leads/{source.pk}/"))
    assert "不予立案" in html and "电话" in html


# ---------------------------------------------------------------- opening and filing


def test_open_from_lead_then_file_and_approve(client, staff):
    source = staff.lead()
    client.force_login(staff.officer)
    r = client.post(
        f"/cases/leads/{source.pk}/open",
        {"enforcement_type": "penalty", "title": "接纳未成年人", "handlers": [staff.officer.pk]},
    )
    assert "不得少于两人" in _html(r) and not Case.objects.exists()
    r = client.post(
        f"/cases/leads/{source.pk}/open",
        {"enforcement_type": "penalty", "title": "接纳未成年人", "handlers": [staff.officer.pk, staff.officer2.pk]},
    )
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
    html = _html(client.get(r["Location"]))
    assert "待立案审批" in html and "填写立案审批表" in html and "立案审批表未提交" in html
    assert "dongxihu-culture@" in html

    url = f"/cases/{case.pk}/act/filing_form-filing"
    r = client.post(url, {"filing_form-filing-source": "投诉", "filing_form-filing-cause": "接纳未成年人"})
    html = _html(r)
    assert r.status_code == 422 and "立案审批表缺少必填栏目" in html and "承办人意见" in html
    assert "接纳未成年人" in html  # the form keeps what was typed
    assert not FilingForm.objects.exists()
    r = client.post(url, {f"filing_form-filing-{k}": v for k, v in FILING_VALUES.items()})
    assert r.status_code == 302 and FilingForm.objects.count() == 1

    client.force_login(staff.agency_head)
    html = _html(client.get(f"/cases/{case.pk}/"))
    assert "机关负责人审批（立案）" in html
    r = client.post(
        f"/cases/{case.pk}/act/approve-filing-agency_head",
        {"approve-filing-agency_head-decision": "approved", "approve-filing-agency_head-opinion": "同意立案"},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.filed_at is not None and case.status == "open"


def test_approval__refused_for_a_role_without_authority(client, staff):
    case = staff.open("penalty")
    services.filing_form_submit(actor=staff.officer, case=case, values=FILING_VALUES)
    client.force_login(staff.officer)
    assert "机关负责人审批（立案）" not in _html(client.get(f"/cases/{case.pk}/"))
    r = client.post(
        f"/cases/{case.pk}/act/approve-filing-agency_head",
        {"approve-filing-agency_head-decision": "approved", "approve-filing-agency_head-opinion": "同意"},
    )
    html = _html(r)
    assert r.status_code == 422 and "超出审批权限" in html
    case.refresh_from_db()
    assert case.filed_at is None and not case.approvals.exists()


def test_new_inspection_without_a_lead(client, staff):
    client.force_login(staff.officer)
    html = _html(client.get("/cases/new"))
    assert "行政检查" in html
    r = client.post(
        "/cases/new",
        {
            "enforcement_type": "inspection",
            "title": "日常检查",
            "party_name": "某书店",
            "handlers": [staff.officer.pk, staff.officer2.pk],
        },
    )
    case = Case.objects.get()
    assert r.status_code == 302 and case.enforcement_type == "inspection" and case.source is None


# ---------------------------------------------------------------- case page


def test_case_page__timeline_requirements_and_the_view_is_recorded(client, staff):
    case = staff.open("penalty", title="接纳未成年人")
    file_case(staff, case)
    client.force_login(staff.officer)
    before = Event.objects.filter(action="case.viewed").count()
    html = _html(client.get(f"/cases/{case.pk}/"))
    assert Event.objects.filter(action="case.viewed", object_id=str(case.pk)).count() == before + 1
    for label in ("启动案件", "提交立案审批表", "记录审批", "立案"):
        assert label in html
    for entry in case.timeline.all():
        assert f"#{entry.event_seq}" in html
    assert 'data-testid="timeline-row"' in html and "受案" in html
    assert "未制作" in html  # the stage's required forms are named, not skipped
    assert 'data-testid="stage-current"' in html


def test_case_page__advance_refused_names_what_is_missing(client, staff):
    case = staff.open("inspection")
    client.force_login(staff.officer)
    r = client.post(f"/cases/{case.pk}/act/advance", {"advance-expected_stage": "delivery", "advance-note": ""})
    assert "案件已被他人推进到其他环节" in _html(r)
    r = client.post(f"/cases/{case.pk}/act/advance", {"advance-expected_stage": case.stage})
    assert "现场检查" in _html(r) and "未制作" in _html(r)  # the missing form is named
    complete_documents(staff, case, case.stage)  # documents pages: issue 5
    r = client.post(f"/cases/{case.pk}/act/advance", {"advance-expected_stage": case.stage})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.stage == "inspection_opinion"


def test_other_agency_case_is_not_found(client, staff, staff_for):
    case = staff.open("inspection")
    other = staff_for("national-baseline", code="other-agency")
    client.force_login(other.agency_head)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/act/advance", {}).status_code == 404
    assert client.get(f"/cases/leads/{case.source_id or staff.lead().pk}/").status_code == 404


def test_a_user_without_cases_work_is_refused(client, staff, make_user):
    admin = make_user(staff.agency, "system_admin")
    client.force_login(admin)
    assert client.get("/cases/").status_code == 403
    assert client.get("/cases/leads/new").status_code == 403


# ---------------------------------------------------------------- home


def test_home__late_deadlines_are_flagged_for_handler_and_heads(client, staff):
    case = staff.open("penalty", title="接纳未成年人")
    file_case(staff, case)
    CaseDeadline.objects.filter(case=case).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    for person in (staff.officer, staff.department_head, staff.agency_head):
        client.force_login(person)
        html = _html(client.get("/"))
        assert 'data-testid="home-late"' in html and case.number in html and "table-danger" in html
    assert ">案件<" in html  # navigation entry
    client.force_login(staff.outsider)
    html = _html(client.get("/"))
    assert 'data-testid="home-late"' not in html and case.number not in html


def _approve_via_page(client, staff, case, stage_id: str, kind: str) -> None:
    client.force_login(staff.for_kind(kind))
    key = f"approve-{stage_id}-{kind}"
    assert f'data-testid="action-{key}"' in _html(client.get(f"/cases/{case.pk}/"))
    r = client.post(
        f"/cases/{case.pk}/act/{key}",
        {
            f"{key}-decision": "approved",
            f"{key}-opinion": "同意",
            f"{key}-suggestions": "无",
            f"{key}-participants": "王局长\n李副局长\n赵科长",
            f"{key}-minutes": "事实清楚，证据充分",
            f"{key}-conclusion": "同意作出处理",
            f"{key}-extend_days": "30",
        },
    )
    assert r.status_code == 302, _html(r)


def test_a_case_is_carried_through_every_stage_on_its_page(client, staff_for):
    """national-baseline penalty: legal review, collective discussion and heads, each through its form;
    a special stage entered and left; closure; every page renders along the way."""
    from liuhen.cases.requirements import approvals_needed

    staff = staff_for("national-baseline")
    case = staff.open("penalty", title="接纳未成年人")
    file_case(staff, case)
    profile = services.profile_of(case)
    et = profile.enforcement_types["penalty"]
    special = et.special_stages[0]
    for stage in et.stages:
        case.refresh_from_db()
        if stage.id in special.enter_from and not case.visits.filter(special=True).exists():
            client.force_login(staff.officer)
            data = {f"special_enter-{special.id}-reason": "当事人申请"}
            if special.moves_deadlines:
                data[f"special_enter-{special.id}-requested_days"] = "30"
            r = client.post(f"/cases/{case.pk}/act/special_enter-{special.id}", data)
            assert r.status_code == 302, _html(r)
            complete_documents(staff, case, special.id)
            for kind in approvals_needed(case, profile, special, special=True):
                _approve_via_page(client, staff, case, special.id, kind)
            client.force_login(staff.officer)
            r = client.post(
                f"/cases/{case.pk}/act/special_leave-{special.id}", {f"special_leave-{special.id}-outcome": "已办结"}
            )
            assert r.status_code == 302, _html(r)
        complete_documents(staff, case, stage.id)
        if stage.id != et.filing_stage:
            for kind in approvals_needed(case, profile, stage, special=False):
                _approve_via_page(client, staff, case, stage.id, kind)
        client.force_login(staff.officer)
        code = "close" if stage is et.stages[-1] else "advance"
        r = client.post(f"/cases/{case.pk}/act/{code}", {f"{code}-expected_stage": stage.id})
        assert r.status_code == 302, _html(r)
    case.refresh_from_db()
    assert case.status == "closed"
    html = _html(client.get(f"/cases/{case.pk}/"))
    assert "案件已结案" in html and "结案" in html and "进入特别程序环节" in html
