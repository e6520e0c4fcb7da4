"""Deliveries API: record with base64 proofs or multipart, refusals with their codes and what is
missing, the list of a version's deliveries, the case's served documents, a proof read with a trace."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

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


def _post(client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


@pytest.mark.clause("doc-service-lien", "doc-service-electronic")
def test_record_and_list_deliveries_over_the_api(client, staff, case):
    letter = final(staff, case, "decision_letter")
    url = f"/api/deliveries/documents/{letter.document_id}/versions/1"
    client.force_login(staff.officer)
    body = {
        "method": "left_at_premises",
        "recipient": "某网吧（经营者李某）",
        "delivered_at": timezone.now().isoformat(),
        "address": "某网吧前台",
        "refusal_reason": "拒绝签收",
        "refusal_date": timezone.localdate().isoformat(),
        "witnesses": [],
        "proofs": [{"kind": "receipt_scan", "name": "回证.pdf", "content_base64": base64.b64encode(PDF).decode()}],
    }
    r = _post(client, url, body)
    assert r.status_code == 422 and r.json()["code"] == "delivery_proof_missing"
    assert r.json()["detail"]["missing"] == ["见证人"]

    r = _post(client, url, {**body, "method": "electronic", "details": {"channel": "email"}})
    assert r.status_code == 409 and r.json()["code"] == "electronic_delivery_not_allowed"

    r = _post(client, url, {**body, "witnesses": ["赵某"]})
    assert r.status_code == 201, r.content
    made = r.json()
    assert made["complete"] and made["proofs"][0]["kind"] == "receipt_scan"

    r = client.get(url)
    assert r.status_code == 200 and [d["id"] for d in r.json()] == [made["id"]]
    r = client.get(f"/api/deliveries/cases/{case.pk}")
    assert r.json()[0]["requirement"]["status"] == "met"

    r = client.get(f"/api/deliveries/{made['id']}/proofs/{made['proofs'][0]['sha256']}")
    assert r.status_code == 200 and r.content == PDF
    assert Event.objects.filter(action="document.delivery_proof_viewed").count() == 1


@pytest.mark.clause("doc-service-mail")
def test_record_a_postal_delivery_multipart(client, staff, case):
    notice = final(staff, case, "rectification_order")
    client.force_login(staff.officer)
    data = {
        "method": "postal",
        "recipient": "某网吧",
        "delivered_at": timezone.now().isoformat(),
        "address": "某市某路 1 号",
        "details": {"carrier": "registered", "mail_number": "XA100"},
    }
    r = client.post(
        f"/api/deliveries/documents/{notice.document_id}/versions/1/multipart",
        {
            "data": json.dumps(data),
            "proof_postage_record": SimpleUploadedFile("凭证.pdf", PDF),
            "proof_return_receipt": SimpleUploadedFile("回执.pdf", PDF + b"\n"),
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["complete"] and {p["kind"] for p in r.json()["proofs"]} == {"postage_record", "return_receipt"}


def test_another_agency_gets_404(client, staff, staff_for, case):
    notice = final(staff, case, "rectification_order")
    other = staff_for("dongxihu-culture", code="other-agency")
    client.force_login(other.officer)
    r = client.get(f"/api/deliveries/documents/{notice.document_id}/versions/1")
    assert r.status_code == 404
