"""The continuity API at /api/av/: capture metadata with precise errors, sessions with gaps and
notes, a record's drift and deadline, the stage AV state and a head's exemption."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from liuhen.ledger.records import verify_records
from liuhen.media.tests.avhelpers import clip

T0 = dt.datetime(2026, 3, 2, 2, 0, 0, tzinfo=dt.UTC)


def _post(client, url, body, token):
    return client.post(
        url, json.dumps(body, default=str), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def _get(client, url, token):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.clause("av-basic-metadata", "av-interruption")
def test_av_api__capture_session_gap_note_and_exemption(client, staff_for, token_for, media_dir):
    staff = staff_for("dongxihu-culture")
    token, head = token_for(staff.officer), token_for(staff.department_head)
    case = staff.open("inspection")
    a = clip(staff, media_dir, "a.mp4", start=T0)
    b = clip(staff, media_dir, "b.mp4", start=T0 + dt.timedelta(seconds=30))

    bad = _post(
        client,
        f"/api/av/records/{a.pk}/capture",
        {"recorded_start": T0.isoformat(), "recorded_end": (T0 - dt.timedelta(hours=1)).isoformat()},
        token,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "av_times_inverted"
    over = _post(client, f"/api/av/records/{a.pk}/capture", {"opening_statement": {"offset": 99}}, token)
    assert over.status_code == 422 and over.json()["code"] == "av_offset_beyond_duration"
    ok = _post(
        client,
        f"/api/av/records/{a.pk}/capture",
        {
            "case_id": case.pk,
            "stage_id": case.stage,
            "place_address": "某路 1 号",
            "camera_mount": "chest",
            "officers": [{"name": "张三", "certificate_no": "A1"}],
            "opening_statement": {"offset": 0.2},
        },
        token,
    )
    assert ok.status_code == 201 and ok.json()["case_id"] == case.pk
    link = _post(client, f"/api/av/records/{b.pk}/link", {"case_id": case.pk, "stage_id": case.stage}, token)
    assert link.status_code == 201

    rec = _get(client, f"/api/av/records/{a.pk}", token).json()
    assert rec["case_id"] == case.pk and rec["time_source"] == "probe" and rec["deadline"]["basis"] == "recording"
    assert rec["attestations"][0]["given"] is True

    s = _post(
        client,
        "/api/av/sessions",
        {"title": "现场检查", "case_id": case.pk, "stage_id": case.stage, "record_ids": [a.pk, b.pk]},
        token,
    )
    assert s.status_code == 201 and s.json()["unexplained"] == 1 and s.json()["tolerance_seconds"] == 3
    sid = s.json()["id"]
    stages = {x["stage_id"]: x for x in _get(client, f"/api/av/cases/{case.pk}/stages", token).json()}
    assert stages[case.stage]["unexplained_gaps"] == 1
    note = _post(
        client,
        f"/api/av/sessions/{sid}/interruptions",
        {"before_id": a.pk, "after_id": b.pk, "cause": "weather", "resume_offset": 0.5},
        token,
    )
    assert note.status_code == 201 and note.json()["cause_label"] == "天气原因"
    assert _get(client, f"/api/av/sessions/{sid}", token).json()["unexplained"] == 0

    refused = _post(
        client, f"/api/av/cases/{case.pk}/exemptions", {"stage_id": case.stage, "reason": "设备故障"}, token
    )
    assert refused.status_code == 403 and refused.json()["code"] == "av_exemption_not_head"
    approved = _post(
        client,
        f"/api/av/cases/{case.pk}/exemptions",
        {"stage_id": case.stage, "reason": "设备故障未能录制", "explained_by_id": staff.officer.pk},
        head,
    )
    assert approved.status_code == 201 and approved.json()["approver_role"] == "department_head"
    assert _get(client, "/api/av/late-uploads", head).status_code == 200
    away = _post(
        client, "/api/av/away", {"kind": "remote", "started_on": "2026-03-01", "returned_on": "2026-02-01"}, token
    )
    assert away.status_code == 422 and away.json()["code"] == "av_away_dates_inverted"
    assert verify_records() == []
