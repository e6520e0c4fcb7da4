"""The busiest pages ask the database a bounded number of questions: case detail, the case list and the
lead list. The case is a worked one (filed, documents signed and served, recordings in two stages, a
long timeline) and the lists hold many rows, so a query per document, per recording, per timeline
entry or per row (an N+1) breaks the bound. Issue 13, item 7 (fast pages)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from liuhen.testing.cases import make_document, serve_document

pytestmark = pytest.mark.django_db

# Measured on the worked case below (81, 13 and 9 on SQLite, 2026-12-02): the bounds leave a little room
# for a new section, not for a query per recording or per row. The case page still asks two queries per
# document (``Document.current_version`` and the documents section's stage name, which loads the pinned
# profile again): a per-document N+1 to remove in liuhen/documents (views.case_section), after which the
# bound can drop by 2 per document.
CASE_DETAIL_MAX = 85
CASE_LIST_MAX = 16
LEAD_LIST_MAX = 12
DOCUMENTS = ("interview_record", "site_inspection_record", "sampling_voucher", "evidence_preservation_list")
RECORDINGS = 8


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")


def _recordings(staff, case, stage_id: str, folder, count: int, start: dt.datetime) -> None:
    from liuhen.media.tests.avhelpers import clip

    for n in range(count):
        clip(
            staff,
            folder,
            f"{stage_id}-{n}.mp4",
            start=start + dt.timedelta(minutes=3 * n),
            seconds=1,
            serial="CAM-QC-1",
            case=case,
            stage_id=stage_id,
        )


@pytest.fixture
def worked(staff_for, tmp_path):
    """A penalty case with three finalised documents (one served on the party), five recordings linked
    to it and the timeline these leave; plus 12 more cases and 12 leads of the same agency so that the
    lists have rows."""
    staff = staff_for("national-baseline", code="qc-agency")
    case = staff.open("penalty", title="接纳未成年人进入营业场所")
    for n, code in enumerate(DOCUMENTS):
        document = make_document(staff, case, code, case.stage, seed=n)
        if n == 0:
            serve_document(staff, case, document)
    folder = tmp_path / "av"
    folder.mkdir()
    _recordings(staff, case, case.stage, folder, RECORDINGS, timezone.now() - dt.timedelta(hours=3))
    for n in range(12):
        staff.open("inspection" if n % 2 else "penalty", title=f"列表案件{n}", party_name=f"当事人{n}")
    for n in range(12):
        staff.lead(summary=f"案源{n}", party_name=f"当事人{n}")
    case.refresh_from_db()
    return staff, case


def test_busy_pages_ask_a_bounded_number_of_queries(worked, client, django_assert_max_num_queries):
    from liuhen.media.models import MediaRecord

    staff, case = worked
    # what an N+1 would multiply
    assert case.documents.filter(version_count__gt=0).count() == len(DOCUMENTS)
    assert MediaRecord.objects.filter(case=case).count() == RECORDINGS
    assert case.timeline.count() >= 10
    client.force_login(staff.officer)
    pages = [
        (reverse("cases:detail", args=[case.pk]), CASE_DETAIL_MAX, case.number),
        (reverse("cases:list"), CASE_LIST_MAX, "列表案件11"),
        (reverse("cases:lead_list"), LEAD_LIST_MAX, "案源11"),
    ]
    for url, bound, shown in pages:
        client.get(url)  # warm: the profile registry, the session
        with django_assert_max_num_queries(bound):
            response = client.get(url)
        assert response.status_code == 200, url
        assert shown in response.content.decode(), url
