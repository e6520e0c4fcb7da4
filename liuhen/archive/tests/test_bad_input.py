"""Bad input on the archive pages and services is refused with a code, never a 500:
ids that arrive as text are parsed once (``liuhen.core.inputs.parse_id``; ``str.isdigit()`` also takes
``²``, and ``int("abc")`` raises)."""

from __future__ import annotations

import pytest
from django.test import Client

from liuhen.archive.discs.errors import DiscRecordRefused
from liuhen.archive.discs.selection import resolve_selection
from liuhen.media.ingest import originals as media
from liuhen.org.rules import Role

HUGE = "1234567890123456789012345"


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ref", ["document_version:²", f"document_version:{HUGE}", "document_version:-1", "av_record:x"]
)
def test_disc_selection__a_reference_that_is_no_id_is_refused_with_a_code(staff_for, ref):
    staff = staff_for("dongxihu-culture")
    case = staff.open("inspection")
    with pytest.raises(DiscRecordRefused) as refused:
        resolve_selection(case, [ref])
    assert ref in refused.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("hold", ["abc", "²", HUGE, ""])
def test_retention_page__releasing_a_hold_that_is_no_id_is_404_in_chinese(staff_for, make_user, hold):
    staff = staff_for("dongxihu-culture")
    supervisor = make_user(staff.agency, Role.SUPERVISOR)
    rec = media.av_record_ingest(actor=staff.officer, stream=b"clip", filename="p.mp4")
    browser = Client(raise_request_exception=False)
    browser.force_login(supervisor)
    response = browser.post(
        f"/retention/records/av_record/{rec.pk}/", {"action": "release", "hold": hold, "reason": "投诉已处理"}
    )
    assert response.status_code == 404 and "冻结不存在" in response.content.decode()
