"""The documents API: draft, finalise refused with what is missing, sign (a non-image refused), finalise
to a sealed PDF, seal status, an edit after finalising refused, a correction as version 2, paper scans,
and another agency's document answering 404 — each refusal with its stable code."""

from __future__ import annotations

import base64
import json

import pytest

from liuhen.documents.models import Document, DocumentStatus, Signature
from liuhen.ledger.models import Event
from liuhen.testing.cases import file_case
from liuhen.testing.images import signature_png

INTERVIEW = {
    "start_time": "2026-11-23 09:00",
    "end_time": "2026-11-23 09:40",
    "place": "某网吧前台",
    "certificates_shown": "已出示执法证件",
    "recorder": "执法员2",
    "interviewee": "李某，网吧负责人",
    "questions_answers": "问：你是否知道未成年人不得进入网吧？\n答：知道。",
}


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


def _put(client, url: str, body: dict):
    return client.put(url, body, content_type="application/json")


def _png64(seed: int = 1) -> str:
    return base64.b64encode(signature_png(seed=seed)).decode()


def test_interview_record_over_the_api__draft_sign_finalise_pdf_seal_correct(client, staff, case):
    client.force_login(staff.officer)
    r = _post(client, f"/api/documents/cases/{case.pk}", {"doc_type": "interview_record", "stage_id": "investigation"})
    assert r.status_code == 201, r.content
    doc = r.json()
    assert doc["status"] == "draft" and doc["draft_values"]["officer_count"] == "2"
    assert "interviewee" in doc["signer_roles"] and {f["id"] for f in doc["fields"]} >= {"questions_answers", "place"}
    url = f"/api/documents/{doc['id']}"

    r = _put(client, f"{url}/draft", {"values": {**doc["draft_values"], **INTERVIEW, "questions_answers": ""}})
    assert r.status_code == 200 and "须填写“询问内容（问答）”" in r.json()["problems"]
    r = _post(client, f"{url}/finalise", {})
    assert r.status_code == 422 and r.json()["code"] == "document_incomplete"
    problems = r.json()["detail"]["problems"]
    assert "须填写“询问内容（问答）”" in problems and "缺少被询问人的签名或拒绝签名记录" in problems

    r = _put(client, f"{url}/draft", {"values": {**doc["draft_values"], **INTERVIEW}})
    assert r.status_code == 200
    r = _post(
        client,
        f"{url}/signatures",
        {"role": "interviewee", "signer_name": "李某", "image_base64": base64.b64encode(b"not an image").decode()},
    )
    assert r.status_code == 422 and r.json()["code"] == "signature_not_an_image"
    assert "签名须为 PNG 图像" in r.json()["message"]
    r = _post(client, f"{url}/signatures", {"role": "interviewee", "signer_name": "李某", "image_base64": "%%%"})
    assert r.status_code == 422 and r.json()["code"] == "base64_invalid"
    assert not Signature.objects.filter(document_id=doc["id"]).exists()
    r = _post(
        client,
        f"{url}/signatures",
        {"role": "interviewee", "signer_name": "李某", "image_base64": "data:image/png;base64," + _png64()},
    )
    assert r.status_code == 201 and r.json()["image_sha256"]

    r = _post(client, f"{url}/finalise", {})
    assert r.status_code == 201, r.content
    assert r.json()["version"] == 1 and r.json()["sealed"]
    r = client.get(f"{url}/versions/1/pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    assert Event.objects.filter(action="document.downloaded").count() == 1
    r = client.get(f"{url}/versions/1/seal")
    assert r.status_code == 200 and r.json()["state"] == "valid"
    assert r.json()["message"] == "电子印章有效，文件未被改动"

    r = _put(client, f"{url}/draft", {"values": {**INTERVIEW, "place": "别处"}})
    assert r.status_code == 409 and r.json()["code"] == "document_final"
    assert Document.objects.get(pk=doc["id"]).draft_values["place"] == "某网吧前台"

    r = _post(client, f"{url}/correct", {"reason": ""})
    assert r.status_code == 422 and r.json()["code"] == "correction_reason_required"
    r = _post(client, f"{url}/correct", {"reason": "地点记录有误"})
    assert r.status_code == 200 and r.json()["status"] == "correcting"
    values = {**r.json()["draft_values"], "place": "某网吧二楼"}
    assert _put(client, f"{url}/draft", {"values": values}).status_code == 200
    r = _post(
        client,
        f"{url}/refusals",
        {
            "role": "interviewee",
            "signer_name": "李某",
            "refusal_reason": "不认可更正",
            "witness_name": "王某",
            "witness_image_base64": _png64(2),
        },
    )
    assert r.status_code == 201 and r.json()["refused"] and r.json()["for_version"] == 2
    r = _post(client, f"{url}/finalise", {})
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["reason"] == "地点记录有误"
    r = client.get(url)
    body = r.json()
    assert [v["version"] for v in body["versions"]] == [1, 2] and body["status"] == "final"
    assert body["versions"][0]["values"]["place"] == "某网吧前台"
    r = client.get(f"/api/documents/cases/{case.pk}")
    assert r.status_code == 200 and any(d["id"] == doc["id"] and d["version_count"] == 2 for d in r.json())


def test_unknown_type_and_field__refused_with_codes(client, staff, case):
    client.force_login(staff.officer)
    r = _post(client, f"/api/documents/cases/{case.pk}", {"doc_type": "no_such_form"})
    assert r.status_code == 422 and r.json()["code"] == "document_type_unknown"
    r = _post(client, f"/api/documents/cases/{case.pk}", {"doc_type": "interview_record", "values": {"bogus": "x"}})
    assert r.status_code == 422 and r.json()["code"] == "document_field_unknown"
    assert not Document.objects.filter(case=case, doc_type="interview_record").exists()


def test_paper_attach__multipart(client, staff, case):
    client.force_login(staff.officer)
    values = {"items": "电脑 3 台", "time": "2026-11-23", "place": "网吧"}
    r = client.post(
        f"/api/documents/cases/{case.pk}/paper",
        {"doc_type": "seizure_list", "values": json.dumps(values), "scan": _file(b"plain text", "a.txt")},
    )
    assert r.status_code == 422 and r.json()["code"] == "scan_not_supported"
    r = client.post(
        f"/api/documents/cases/{case.pk}/paper",
        {"doc_type": "seizure_list", "values": json.dumps(values), "scan": _file(b"%PDF-1.4 scan", "a.pdf")},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "paper" and body["status"] == DocumentStatus.FINAL and body["versions"][0]["scan_sha256"]
    r = client.get(f"/api/documents/{body['id']}/versions/1/seal")
    assert r.json()["state"] == "none"
    r = _post(client, f"/api/documents/{body['id']}/correct", {"reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "paper_not_correctable"


def _file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_other_agency__404(client, staff, staff_for, case):
    client.force_login(staff.officer)
    doc = _post(client, f"/api/documents/cases/{case.pk}", {"doc_type": "interview_record"}).json()
    other = staff_for("dongxihu-culture", code="other-agency")
    client.force_login(other.agency_head)
    for r in (
        client.get(f"/api/documents/{doc['id']}"),
        _put(client, f"/api/documents/{doc['id']}/draft", {"values": {"place": "x"}}),
        _post(client, f"/api/documents/{doc['id']}/finalise", {}),
        client.get(f"/api/documents/cases/{case.pk}"),
    ):
        assert r.status_code == 404, r.content
    assert client.get(f"/api/documents/{doc['id']}").json()["code"] == "document_not_found"
    assert "place" not in Document.objects.get(pk=doc["id"]).draft_values
