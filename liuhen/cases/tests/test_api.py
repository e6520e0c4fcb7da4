"""The cases API: a penalty case from a complaint to closure over HTTP, refusals with stable codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liuhen.cases import services
from liuhen.cases.models import Case
from liuhen.ledger.records import verify_records
from liuhen.ledger.verification import verify_ledger
from liuhen.testing.cases import approve_stage


def _post(client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


@pytest.mark.clause("src-case-source-register", "src-filing-approval", "flow-whole-process-scope")
def test_penalty_case_over_the_api_from_complaint_to_closure(client, staff_for):
    staff = staff_for("dongxihu-culture")
    client.force_login(staff.officer)
    received = (timezone.now() - dt.timedelta(days=1)).isoformat()
    r = _post(
        client,
        "/api/cases/leads/",
        {"kind": "complaint", "received_at": received, "summary": "投诉", "reporter_name": "张某"},
    )
    assert r.status_code == 201, r.content
    lead = r.json()
    assert lead["status"] == "registered" and "reporter_name" not in lead
    r = _post(
        client,
        "/api/cases/",
        {
            "enforcement_type": "penalty",
            "title": "接纳未成年人",
            "source_id": lead["id"],
            "handler_ids": [staff.officer.pk, staff.officer2.pk],
        },
    )
    assert r.status_code == 201, r.content
    case = r.json()
    assert case["status"] == "pending_filing" and case["started_at"].startswith(received[:10])
    assert any(a["code"] == "filing_form" for a in case["actions"])

    r = _post(client, f"/api/cases/{case['id']}/filing-form", {"values": {"source": "投诉"}})
    assert r.status_code == 422 and r.json()["code"] == "filing_field_missing"
    values = {k: "内容" for k in ("source", "party_info", "handler_opinion", "department_opinion", "head_opinion")}
    assert _post(client, f"/api/cases/{case['id']}/filing-form", {"values": values}).status_code == 201
    r = _post(
        client, f"/api/cases/{case['id']}/approvals", {"kind": "agency_head", "decision": "approved", "opinion": "同意"}
    )
    assert r.status_code == 403 and r.json()["code"] == "approval_outside_authority"

    client.force_login(staff.agency_head)
    r = _post(
        client,
        f"/api/cases/{case['id']}/approvals",
        {"kind": "agency_head", "decision": "approved", "opinion": "同意立案"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["certificate_no"] == staff.agency_head.officer.certificate_no

    client.force_login(staff.officer)
    detail = client.get(f"/api/cases/{case['id']}").json()
    assert detail["status"] == "open" and detail["filed_at"]
    assert {d["code"] for d in detail["deadlines"]} >= {"penalty_decision"}
    obj = Case.objects.get(pk=case["id"])
    stages = [s.id for s in services.profile_of(obj).enforcement_types["penalty"].stages]
    for stage in stages[:-1]:
        if stage != "filing":
            approve_stage(staff, obj, stage)
        r = _post(client, f"/api/cases/{case['id']}/advance", {"expected_stage": stage})
        assert r.status_code == 200, r.content
    r = _post(client, f"/api/cases/{case['id']}/advance", {"expected_stage": stages[-1]})
    assert r.status_code == 409 and r.json()["code"] == "last_stage"
    r = _post(client, f"/api/cases/{case['id']}/close", {"expected_stage": stages[-1]})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    timeline = client.get(f"/api/cases/{case['id']}/timeline").json()
    assert timeline[0]["action"] == "case.opened" and timeline[-1]["action"] == "case.closed"
    assert all(isinstance(t["event_seq"], int) for t in timeline)
    assert verify_ledger() == [] and verify_records() == []


def test_refusals_carry_codes_and_change_nothing(client, staff_for):
    staff = staff_for("national-baseline")
    client.force_login(staff.officer)
    future = (timezone.now() + dt.timedelta(days=3)).isoformat()
    r = _post(
        client, "/api/cases/leads/", {"kind": "complaint", "received_at": future, "summary": "x", "reporter_name": "张"}
    )
    assert r.status_code == 422 and r.json()["code"] == "date_in_future"
    r = _post(
        client, "/api/cases/leads/", {"kind": "rumour", "received_at": timezone.now().isoformat(), "summary": "x"}
    )
    assert r.json()["code"] == "source_kind_unknown"
    r = _post(
        client, "/api/cases/", {"enforcement_type": "inspection", "title": "检查", "handler_ids": [staff.officer.pk]}
    )
    assert r.status_code == 422 and r.json()["code"] == "handlers_too_few"
    r = _post(
        client,
        "/api/cases/",
        {"enforcement_type": "inspection", "title": "检查", "handler_ids": [staff.officer.pk, 999999]},
    )
    assert r.json()["code"] == "handler_invalid"
    r = _post(
        client,
        "/api/cases/",
        {"enforcement_type": "inspection", "title": "检查", "handler_ids": [staff.officer.pk, staff.officer2.pk]},
    )
    case_id = r.json()["id"]
    stage = r.json()["stage"]
    r = _post(client, f"/api/cases/{case_id}/advance", {"expected_stage": "not-this-one"})
    assert r.status_code == 409 and r.json()["code"] == "case_stage_changed"
    r = _post(client, f"/api/cases/{case_id}/special-stages", {"stage_id": "hearing", "reason": "x"})
    assert r.json()["code"] in ("special_stage_unknown", "special_stage_not_allowed_here")
    assert client.get(f"/api/cases/{case_id}").json()["stage"] == stage
    assert client.get("/api/cases/", {"due": "late"}).json() == []
    other = staff_for("dongxihu-culture", code="other-agency")
    client.force_login(other.agency_head)
    r = client.get(f"/api/cases/{case_id}")
    assert r.status_code == 404 and r.json()["code"] == "case_not_found"
