"""The document pages: forms generated from the catalogue, autosave and explicit save, finalise refused
with what is missing, signatures (a non-image refused), finalise to a sealed PDF with its seal status,
no edit after finalising, a correction as version 2, paper scans, and another agency's document 404."""

from __future__ import annotations

import base64

import pytest

from liuhen.cases import services as case_services
from liuhen.documents import services
from liuhen.documents.models import Document, DocumentStatus, DocumentVersion, Signature
from liuhen.ledger.models import Event
from liuhen.testing.cases import approve_stage, file_case
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
    case.refresh_from_db()
    while case.stage != "investigation":
        approve_stage(staff, case, case.stage)
        case = case_services.case_advance(actor=staff.officer, case=case, expected_stage=case.stage)
    return case


def _html(response) -> str:
    return response.content.decode()


def _start(client, case, code: str, stage: str = "") -> Document:
    r = client.post(f"/documents/case/{case.pk}/new", {"doc_type": code, "stage": stage or case.stage})
    assert r.status_code == 302, _html(r)
    return Document.objects.get(pk=int(r["Location"].strip("/").split("/")[-1]))


def _filled(doc: Document, **extra: str) -> dict[str, str]:
    return {**doc.draft_values, **INTERVIEW, **extra}


def _sign(client, doc: Document, role: str = "interviewee", image: bytes | None = None):
    data_url = "data:image/png;base64," + base64.b64encode(image or signature_png()).decode()
    return client.post(
        f"/documents/{doc.pk}/sign/{role}", {f"sign-{role}-signer_name": "李某", f"sign-{role}-image_data": data_url}
    )


def test_case_page__lists_documents_and_offers_the_stage_forms(client, staff, case):
    client.force_login(staff.officer)
    html = _html(client.get(f"/cases/{case.pk}/"))
    assert 'data-testid="document-list"' in html and "案件来源登记表" in html
    assert 'data-testid="start-interview_record"' in html and "如适用" in html  # investigation stage
    assert "附加纸质文书扫描件" in html
    doc = _start(client, case, "interview_record")
    html = _html(client.get(f"/cases/{case.pk}/"))
    assert doc.number in html and "询问（调查）笔录" in html and "草稿" in html


def test_requirement_not_made__links_to_starting_the_form(client, staff):
    case = staff.open("inspection")
    client.force_login(staff.officer)
    html = _html(client.get(f"/cases/{case.pk}/"))
    assert f"/documents/case/{case.pk}/new?doc_type=site_inspection_record&amp;stage=site_inspection" in html
    r = client.get(f"/documents/case/{case.pk}/new", {"doc_type": "site_inspection_record", "stage": "site_inspection"})
    assert r.status_code == 200 and "起草现场检查（勘验）笔录" in _html(r)
    doc = _start(client, case, "site_inspection_record")
    html = _html(client.get(f"/cases/{case.pk}/"))
    assert f'href="/documents/{doc.pk}/"' in html and "未定稿（草稿）" in html


def test_document_page__form_is_generated_from_the_catalogue(client, staff, case):
    client.force_login(staff.officer)
    interview = _start(client, case, "interview_record")
    html = _html(client.get(f"/documents/{interview.pk}/"))
    assert 'name="questions_answers"' in html and "询问内容（问答）" in html
    assert '<textarea name="questions_answers"' in html and 'name="start_time"' in html
    assert 'title="必填"' in html and "被询问人签名" in html and "data-signature-pad" in html
    assert "signature-pad.js" in html and "<script>" not in html  # CSP: static scripts only
    seizure = _start(client, case, "seizure_decision")
    html = _html(client.get(f"/documents/{seizure.pk}/"))
    assert 'name="legal_basis"' in html and "权利和救济途径" in html and 'name="questions_answers"' not in html
    assert "当事人签名" in html
    assert Event.objects.filter(action="document.viewed", object_id=str(seizure.pk)).exists()


def test_draft_save__explicit_and_autosave(client, staff, case):
    client.force_login(staff.officer)
    doc = _start(client, case, "interview_record")
    r = client.post(f"/documents/{doc.pk}/save", _filled(doc))
    assert r.status_code == 302
    doc.refresh_from_db()
    assert doc.draft_values["place"] == "某网吧前台"
    r = client.post(f"/documents/{doc.pk}/save", _filled(doc, place="某网吧大厅"), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "已自动保存" in _html(r) and 'hx-swap-oob="true"' in _html(r)
    assert "缺少被询问人的签名" in _html(r)
    doc.refresh_from_db()
    assert doc.draft_values["place"] == "某网吧大厅"
    assert Event.objects.filter(action="document.draft_saved", object_id=str(doc.pk)).count() == 2


def test_finalise__refused_listing_what_is_missing(client, staff, case):
    client.force_login(staff.officer)
    doc = _start(client, case, "interview_record")
    client.post(f"/documents/{doc.pk}/save", _filled(doc, questions_answers=""))
    html = _html(client.get(f"/documents/{doc.pk}/"))
    assert "须填写“询问内容（问答）”" in html and "缺少被询问人的签名或拒绝签名记录" in html
    r = client.post(f"/documents/{doc.pk}/finalise")
    assert r.status_code == 422
    html = _html(r)
    assert "尚不能定稿" in html and "须填写“询问内容（问答）”" in html
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DRAFT and not DocumentVersion.objects.filter(document=doc).exists()


def test_signature__not_an_image_refused_with_chinese_message(client, staff, case):
    client.force_login(staff.officer)
    doc = _start(client, case, "interview_record")
    fake = "data:image/png;base64," + base64.b64encode(b"this is not a picture").decode()
    r = client.post(
        f"/documents/{doc.pk}/sign/interviewee",
        {"sign-interviewee-signer_name": "李某", "sign-interviewee-image_data": fake},
    )
    assert r.status_code == 422
    assert "签名须为 PNG 图像" in _html(r)
    assert 'value="李某"' in _html(r)  # the form keeps what was sent
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("sig.png", b"GIF89a....", content_type="image/png")
    r = client.post(
        f"/documents/{doc.pk}/sign/interviewee",
        {"sign-interviewee-signer_name": "李某", "sign-interviewee-image_file": upload},
    )
    assert r.status_code == 422 and "签名须为 PNG 图像" in _html(r)
    r = client.post(f"/documents/{doc.pk}/sign/interviewee", {"sign-interviewee-signer_name": "李某"})
    assert r.status_code == 422 and "请采集签名" in _html(r)
    assert not Signature.objects.filter(document=doc).exists()


def test_refusal__needs_reason_and_witness_signature(client, staff, case):
    client.force_login(staff.officer)
    doc = _start(client, case, "interview_record")
    r = client.post(
        f"/documents/{doc.pk}/refuse/interviewee",
        {
            "refuse-interviewee-signer_name": "李某",
            "refuse-interviewee-refusal_reason": "不认可记录",
            "refuse-interviewee-witness_name": "王某",
        },
    )
    assert r.status_code == 422 and "见证人在场并签名" in _html(r)
    assert not Signature.objects.filter(document=doc).exists()
    data_url = "data:image/png;base64," + base64.b64encode(signature_png(seed=3)).decode()
    r = client.post(
        f"/documents/{doc.pk}/refuse/interviewee",
        {
            "refuse-interviewee-signer_name": "李某",
            "refuse-interviewee-refusal_reason": "不认可记录",
            "refuse-interviewee-witness_name": "王某",
            "refuse-interviewee-witness_image_data": data_url,
        },
    )
    assert r.status_code == 302
    sig = Signature.objects.get(document=doc)
    assert sig.refused and sig.witness_name == "王某" and sig.witness_image_sha256


def test_finalise__pdf_served_with_seal_status_then_edit_refused_and_correction_is_version_2(client, staff, case):
    client.force_login(staff.officer)
    doc = _start(client, case, "interview_record")
    client.post(f"/documents/{doc.pk}/save", _filled(doc))
    assert _sign(client, doc).status_code == 302
    r = client.post(f"/documents/{doc.pk}/finalise")
    assert r.status_code == 302, _html(r)
    html = _html(client.get(f"/documents/{doc.pk}/"))
    assert "已定稿" in html and "第 1 版" in html and "电子印章有效，文件未被改动" in html
    assert 'data-testid="draft-form"' not in html  # nothing left to edit

    r = client.get(f"/documents/{doc.pk}/versions/1/pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("inline") and r.content.startswith(b"%PDF-")
    assert Event.objects.filter(action="document.downloaded").count() == 1

    before = dict(Document.objects.get(pk=doc.pk).draft_values)
    r = client.post(f"/documents/{doc.pk}/save", _filled(doc, place="改过的地点"))
    assert r.status_code == 422 and "文书已定稿，不能修改" in _html(r)
    r = client.post(f"/documents/{doc.pk}/save", _filled(doc, place="改过的地点"), HTTP_HX_REQUEST="true")
    assert "未保存：文书已定稿" in _html(r)
    assert Document.objects.get(pk=doc.pk).draft_values == before

    r = client.post(f"/documents/{doc.pk}/correct", {"reason": ""})
    assert r.status_code == 422 and "更正文书须写明理由" in _html(r)
    r = client.post(f"/documents/{doc.pk}/correct", {"reason": "询问地点记录有误"})
    assert r.status_code == 302
    client.post(f"/documents/{doc.pk}/save", _filled(doc, place="某网吧二楼"))
    assert _sign(client, doc, image=signature_png(seed=5)).status_code == 302
    assert client.post(f"/documents/{doc.pk}/finalise").status_code == 302
    doc.refresh_from_db()
    assert doc.version_count == 2 and doc.status == DocumentStatus.FINAL
    html = _html(client.get(f"/documents/{doc.pk}/"))
    assert 'data-testid="version-2"' in html and 'data-testid="version-1"' in html and "询问地点记录有误" in html
    assert client.get(f"/documents/{doc.pk}/versions/2/pdf").status_code == 200


def test_preview__draft_as_the_form_without_scripts(client, staff, case):
    client.force_login(staff.officer)
    doc = _start(client, case, "interview_record")
    client.post(f"/documents/{doc.pk}/save", _filled(doc))
    r = client.get(f"/documents/{doc.pk}/preview")
    assert r.status_code == 200 and "询问（调查）笔录" in _html(r) and "某网吧前台" in _html(r)
    assert "script-src" not in r["Content-Security-Policy"] and "default-src 'none'" in r["Content-Security-Policy"]


def test_paper_attach__fields_and_scan(client, staff, case):
    client.force_login(staff.officer)
    r = client.get(f"/documents/case/{case.pk}/paper", {"doc_type": "seizure_list"})
    assert r.status_code == 200 and 'name="items"' in _html(r) and 'name="scan"' in _html(r)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "doc_type": "seizure_list",
        "stage_id": case.stage,
        "items": "电脑 3 台",
        "time": "2026-11-23",
        "place": "网吧",
    }
    r = client.post(
        f"/documents/case/{case.pk}/paper",
        {**data, "items": "", "scan": SimpleUploadedFile("a.pdf", b"%PDF-1.4 scan", content_type="application/pdf")},
    )
    assert r.status_code == 422 and "请填写“物品（财产）名称、规格、数量”" in _html(r)
    r = client.post(f"/documents/case/{case.pk}/paper", {**data, "scan": SimpleUploadedFile("a.txt", b"hello")})
    assert r.status_code == 422 and "扫描件须为 PDF、PNG 或 JPEG 文件" in _html(r)
    assert not Document.objects.filter(case=case, kind="paper").exists()
    r = client.post(
        f"/documents/case/{case.pk}/paper",
        {**data, "scan": SimpleUploadedFile("a.png", signature_png(), content_type="image/png")},
    )
    assert r.status_code == 302
    doc = Document.objects.get(case=case, kind="paper")
    assert doc.kind == "paper" and doc.status == DocumentStatus.FINAL
    html = _html(client.get(f"/documents/{doc.pk}/"))
    assert "纸质文书扫描件，无电子印章" in html and "打开扫描件" in html
    r = client.get(f"/documents/{doc.pk}/versions/1/pdf")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"


def test_other_agency_and_non_handler__404(client, staff, staff_for, case):
    doc = services.document_create(actor=staff.officer, case=case, doc_type="interview_record")
    other = staff_for("dongxihu-culture", code="other-agency")
    for person in (other.officer, other.agency_head, staff.outsider):
        client.force_login(person)
        assert client.get(f"/documents/{doc.pk}/").status_code == 404
        assert client.post(f"/documents/{doc.pk}/save", {"place": "x"}).status_code == 404
        assert client.post(f"/documents/{doc.pk}/finalise").status_code == 404
        assert client.get(f"/documents/{doc.pk}/preview").status_code == 404
        assert client.get(f"/documents/case/{case.pk}/paper").status_code == 404
    doc.refresh_from_db()
    assert "place" not in doc.draft_values


def test_finalise__takes_what_was_typed_since_the_last_autosave(client, staff, case):
    client.force_login(staff.officer)
    doc = _start(client, case, "interview_record")
    client.post(f"/documents/{doc.pk}/save", _filled(doc, place="旧地点"))
    assert _sign(client, doc).status_code == 302
    html = _html(client.get(f"/documents/{doc.pk}/"))
    assert 'form="draft-form"' in html and 'id="draft-form"' in html  # the button submits the draft form
    r = client.post(f"/documents/{doc.pk}/finalise", _filled(doc, place="新地点（定稿前刚输入）"))
    assert r.status_code == 302, _html(r)
    assert DocumentVersion.objects.get(document=doc).values["place"] == "新地点（定稿前刚输入）"


def test_document_and_case_pages_link_to_delivery(client, staff, case):
    client.force_login(staff.officer)
    doc = _start(client, case, "interview_record")
    client.post(f"/documents/{doc.pk}/save", _filled(doc))
    _sign(client, doc)
    client.post(f"/documents/{doc.pk}/finalise")
    html = _html(client.get(f"/documents/{doc.pk}/"))
    link = f"/documents/{doc.pk}/versions/1/deliveries/"
    assert link in html and client.get(link).status_code == 200
    html = _html(client.get(f"/cases/{case.pk}/"))
    assert f"/documents/case/{case.pk}/deliveries/" in html and link in html
