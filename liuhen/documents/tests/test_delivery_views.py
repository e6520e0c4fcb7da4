"""Delivery pages: the method's own fields and uploads, a refusal naming what is missing, the badges,
no electronic form for a decision letter, proofs served with a trace, the case's delivery summary."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from liuhen.documents.models import Delivery
from liuhen.documents.tests.test_delivery import PDF, final
from liuhen.ledger.models import Event
from liuhen.testing.cases import file_case


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


@pytest.fixture
def staff(staff_for):
    return staff_for("dongxihu-culture")


@pytest.fixture
def case(staff):
    case = staff.open("penalty")
    file_case(staff, case)
    return case


def _when() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _html(response) -> str:
    return response.content.decode()


@pytest.mark.clause("doc-service-direct")
def test_record_a_direct_delivery_in_the_page(client, staff, case):
    notice = final(staff, case, "rectification_order")
    doc = notice.document
    client.force_login(staff.officer)
    listing = reverse("documents:delivery_list", args=[doc.pk, 1])
    html = _html(client.get(listing))
    assert "尚未记录送达" in html and "留置送达" in html and "电子送达" in html

    url = reverse("documents:delivery_new", args=[doc.pk, 1]) + "?method=direct"
    html = _html(client.get(url))
    assert 'name="proof_receipt_scan"' in html and 'name="signer_relation"' in html
    assert 'name="refusal_reason"' not in html and 'name="mail_number"' not in html

    form = {"method": "direct", "recipient": "某网吧", "delivered_at": _when(), "address": "某网吧前台"}
    html = _html(client.post(url, form))
    assert "签收的送达回证（回执）扫描件或系统内已定稿的送达回证" in html
    assert not Delivery.objects.exists()

    upload = SimpleUploadedFile("回证.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {**form, "proof_receipt_scan": upload})
    assert response.status_code == 302 and response["Location"] == listing
    row = Delivery.objects.get()
    assert row.complete and row.proof_files[0]["name"] == "回证.pdf"
    html = _html(client.get(listing))
    assert "送达证明齐全" in html

    proof = client.get(reverse("documents:delivery_proof", args=[row.pk, row.proof_files[0]["sha256"]]))
    assert proof.status_code == 200 and proof.content == PDF
    assert Event.objects.filter(action="document.delivery_proof_viewed", object_id=str(row.pk)).exists()

    summary = _html(client.get(reverse("documents:delivery_case", args=[case.pk])))
    assert "责令改正通知书" in summary and "已送达" in summary


@pytest.mark.clause("doc-service-mail")
def test_posted_without_return_receipt_shows_as_not_counting(client, staff, case):
    notice = final(staff, case, "rectification_order")
    client.force_login(staff.officer)
    url = reverse("documents:delivery_new", args=[notice.document.pk, 1]) + "?method=postal"
    html = _html(client.get(url))
    assert 'name="carrier"' in html and 'name="proof_return_receipt"' in html and 'name="signer_name"' not in html
    response = client.post(
        url,
        {
            "method": "postal",
            "recipient": "某网吧",
            "delivered_at": _when(),
            "address": "某市某路 1 号",
            "carrier": "ems",
            "mail_number": "EA1",
            "proof_postage_record": SimpleUploadedFile("凭证.pdf", PDF),
        },
    )
    assert response.status_code == 302
    html = _html(client.get(response["Location"]))
    assert "不计为已送达" in html and "尚未取得邮件回执" in html


@pytest.mark.clause("doc-service-electronic")
def test_no_electronic_form_for_a_decision_letter(client, staff, case):
    letter = final(staff, case, "decision_letter")
    client.force_login(staff.officer)
    html = _html(client.get(reverse("documents:delivery_list", args=[letter.document.pk, 1])))
    assert "?method=electronic" not in html
    url = reverse("documents:delivery_new", args=[letter.document.pk, 1]) + "?method=electronic"
    html = _html(client.get(url))
    assert "不得以传真、电子邮件等电子方式送达" in html and "delivery-form" not in html
    html = _html(
        client.post(
            url,
            {"method": "electronic", "recipient": "某网吧", "delivered_at": _when(), "channel": "email"},
        )
    )
    assert not Delivery.objects.filter(version=letter).exists()


def test_another_agency_cannot_see_deliveries(client, staff, staff_for, case):
    notice = final(staff, case, "rectification_order")
    other = staff_for("dongxihu-culture", code="other-agency")
    client.force_login(other.officer)
    assert client.get(reverse("documents:delivery_list", args=[notice.document.pk, 1])).status_code == 404
    assert client.get(reverse("documents:delivery_case", args=[case.pk])).status_code == 404
