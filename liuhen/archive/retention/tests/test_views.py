"""Retention pages: the record's term and history; early disposal refused on the page and logged;
a batch proposed, approved and shown with its progress.

Clause integ-no-destroy-within-retention.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from liuhen.archive.retention import disposal, terms
from liuhen.ledger.models import Event
from liuhen.media.ingest import originals as media
from liuhen.org.rules import Role


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_page_shows_the_term_and_refuses_early_disposal_with_a_logged_refusal(staff_for, make_user):
    staff = staff_for("dongxihu-culture")
    keeper = make_user(staff.agency, Role.RECORDS_KEEPER)
    rec = media.av_record_ingest(actor=staff.officer, stream=b"page clip", filename="p.mp4")
    client = Client()
    client.force_login(keeper)
    page = client.get(f"/retention/records/av_record/{rec.pk}/")
    assert page.status_code == 200
    assert "音像记录最短保存期限" in page.content.decode()
    refused = client.post(f"/retention/records/av_record/{rec.pk}/", {"action": "dispose", "reason": "提前销毁"})
    assert refused.status_code == 409 and "保管期限未满" in refused.content.decode()
    assert Event.objects.filter(action="disposal.early_refused", payload__contains='"via":"page"').exists()
    assert client.get("/retention/disposal/").status_code == 200


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_batch_page__offers_approve_and_run_only_to_who_may_use_them(staff_for, make_user, monkeypatch):
    staff = staff_for("dongxihu-culture")  # its profile names the agency head to approve disposal
    keeper = make_user(staff.agency, Role.RECORDS_KEEPER)
    rec = media.av_record_ingest(actor=staff.officer, stream=b"old clip", filename="old.mp4")
    later = terms.today() + dt.timedelta(days=4000)
    monkeypatch.setattr(terms, "today", lambda: later)
    monkeypatch.setattr(disposal, "today", lambda: later)
    batch = disposal.disposal_propose(actor=keeper, reason="保存期满", records=[("av_record", str(rec.pk))])

    def buttons(user) -> set[str]:
        client = Client()
        client.force_login(user)
        page = client.get(f"/retention/disposal/{batch.pk}/")
        assert page.status_code == 200
        body = page.content.decode()
        return {b for b in ("batch-approve", "batch-decline", "batch-run") if f'data-testid="{b}"' in body}

    assert buttons(keeper) == set()  # the proposer never approves; nothing to run before approval
    assert buttons(staff.agency_head) == {"batch-approve", "batch-decline"}
    assert buttons(staff.legal_reviewer) == set()
    disposal.disposal_approve(actor=staff.agency_head, batch_id=batch.pk, opinion="同意")
    assert buttons(keeper) == {"batch-run"}
    assert buttons(staff.agency_head) == {"batch-run"}  # the approver may run what he approved
    assert buttons(staff.officer) == set()
    # and what is not offered is refused all the same
    client = Client()
    client.force_login(staff.officer)
    refused = client.post(f"/retention/disposal/{batch.pk}/", {"action": "run"})
    assert refused.status_code == 403 and "disposal_run_forbidden" in refused.content.decode()
