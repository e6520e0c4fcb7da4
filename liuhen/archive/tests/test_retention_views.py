"""Retention pages: the record's term and history; early disposal refused on the page and logged;
a batch proposed, approved and shown with its progress.

Clause integ-no-destroy-within-retention.
"""

from __future__ import annotations

import pytest
from django.test import Client

from liuhen.ledger.models import Event
from liuhen.media import services as media
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
