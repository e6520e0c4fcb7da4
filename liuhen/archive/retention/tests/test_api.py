"""The retention API: a record's term and history, lengthening, holds, and early disposal refused and logged.

Clauses integ-no-destroy-within-retention, store-av-retention-min.
"""

from __future__ import annotations

import pytest
from django.test import Client

from liuhen.ledger.models import Event
from liuhen.media.ingest import originals as media
from liuhen.org.rules import Role
from liuhen.org.services import api_token_issue


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


def _client(user) -> Client:
    token = api_token_issue(actor=None, user=user, name="测试")[1]
    return Client(headers={"authorization": f"Bearer {token}"})


@pytest.mark.clause("integ-no-destroy-within-retention", "store-av-retention-min")
@pytest.mark.django_db
def test_api_shows_the_term_and_refuses_early_disposal_with_a_logged_refusal(staff_for, make_user):
    staff = staff_for("naiman-culture")
    keeper = make_user(staff.agency, Role.RECORDS_KEEPER)
    rec = media.av_record_ingest(actor=staff.officer, stream=b"api clip", filename="a.mp4")
    api = _client(keeper)
    got = api.get(f"/api/retention/records/av_record/{rec.pk}")
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["current"][0]["retention_class"] == "av_stored_min" and body["disposable"] is False
    assert body["refusal"] == "retention_not_expired"
    refused = api.post(
        "/api/retention/disposal/batches",
        {"reason": "提前销毁", "records": [["av_record", str(rec.pk)]]},
        content_type="application/json",
    )
    assert refused.status_code == 409 and refused.json()["code"] == "retention_not_expired"
    assert Event.objects.filter(action="disposal.early_refused", payload__contains='"via":"api"').exists()


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_api_lengthens_and_holds(staff_for, make_user):
    staff = staff_for("changzhi-ethnic-religious")
    supervisor = make_user(staff.agency, Role.SUPERVISOR)
    rec = media.av_record_ingest(actor=staff.officer, stream=b"api clip 2", filename="b.mp4")
    out = _client(staff.officer).post(
        f"/api/retention/records/av_record/{rec.pk}/extend",
        {"event": "obstruction", "reason": "当事人阻碍执法"},
        content_type="application/json",
    )
    assert out.status_code == 200, out.content
    assert out.json()["current"][0]["permanent"] is True and len(out.json()["history"]) == 2
    shorter = _client(staff.officer).post(
        f"/api/retention/records/av_record/{rec.pk}/extend",
        {"event": "other", "reason": "定期", "until": "2030-01-01"},
        content_type="application/json",
    )
    assert shorter.status_code == 409 and shorter.json()["code"] == "retention_would_shorten"
    hold = _client(supervisor).post(
        "/api/retention/holds",
        {"reason": "上访", "object_type": "av_record", "object_id": str(rec.pk)},
        content_type="application/json",
    )
    assert hold.status_code == 201, hold.content
    lifted = _client(staff.agency_head).post(
        f"/api/retention/holds/{hold.json()['id']}/release", {"reason": "已办结"}, content_type="application/json"
    )
    assert lifted.status_code == 200 and lifted.json()["released"] is True
