"""Text records end to end: draft, sign or refuse with a witness, finalise to a sealed PDF, correct as a
new version, attach paper; the case guard counts only finalised forms; verify finds edits beneath."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from liuhen.cases import services as case_services
from liuhen.cases.errors import CaseForbidden
from liuhen.cases.requirements import stage_requirements
from liuhen.documents import services
from liuhen.documents.models import DocumentStatus, DocumentVersion
from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.testing.attacker import attacker
from liuhen.testing.cases import file_case, serve_document
from liuhen.testing.images import signature_png


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


def _interview(staff, case, **values):
    doc = services.document_create(actor=staff.officer, case=case, doc_type="interview_record")
    base = {
        **doc.draft_values,
        "start_time": "2026-11-23 09:00",
        "end_time": "2026-11-23 09:40",
        "place": "某网吧前台",
        "certificates_shown": "已出示执法证件",
        "recorder": "执法员2",
        "interviewee": "李某，网吧负责人，身份证号……",
        "questions_answers": "问：你是否知道未成年人不得进入网吧？\n答：知道。",
    }
    base.update(values)
    return services.document_draft_save(actor=staff.officer, document=doc, values=base)


def _read(sha: str) -> bytes:
    with get_store().open(sha) as fh:
        return fh.read()


@pytest.mark.clause("doc-officer-credentials-in-transcript", "doc-inquiry-transcript")
def test_draft_prefills_officers_and_finalise_names_what_is_missing(staff, case):
    doc = _interview(staff, case, questions_answers="")
    assert doc.draft_values["officer_count"] == "2" and doc.draft_values["certificate_nos"].count("、") == 1
    with pytest.raises(services.DocumentInvalid) as exc:
        services.document_finalise(actor=staff.officer, document=doc)
    problems = exc.value.detail["problems"]
    assert "须填写“询问内容（问答）”" in problems
    assert any("被询问人" in p for p in problems)  # the interviewee has neither signed nor refused
    doc = services.document_draft_save(
        actor=staff.officer,
        document=doc,
        values={**doc.draft_values, "questions_answers": "问答", "certificate_nos": "T1"},
    )
    with pytest.raises(services.DocumentInvalid) as exc:
        services.document_finalise(actor=staff.officer, document=doc)
    assert any("证件号" in p for p in exc.value.detail["problems"])
    doc.refresh_from_db()
    assert doc.status == DocumentStatus.DRAFT and not doc.versions.exists()


@pytest.mark.clause("doc-signatures", "doc-refusal-record")
def test_signature_must_be_an_image_and_a_refusal_needs_reason_and_witness(staff, case):
    doc = _interview(staff, case)
    with pytest.raises(services.DocumentInvalid) as exc:
        services.signature_capture(
            actor=staff.officer, document=doc, role="interviewee", signer_name="李某", image=b"GIF89a..."
        )
    assert exc.value.code == "signature_not_an_image"
    with pytest.raises(services.DocumentInvalid) as exc:
        services.signature_capture(
            actor=staff.officer, document=doc, role="party", signer_name="李某", image=signature_png()
        )
    assert exc.value.code == "signer_role_invalid"
    with pytest.raises(services.DocumentInvalid) as exc:
        services.signature_capture(
            actor=staff.officer,
            document=doc,
            role="interviewee",
            signer_name="李某",
            refused=True,
            refusal_reason="不认可",
        )
    assert exc.value.code == "refusal_witness_required"
    sig = services.signature_capture(
        actor=staff.officer,
        document=doc,
        role="interviewee",
        signer_name="李某",
        refused=True,
        refusal_reason="对记录内容有异议",
        witness_name="王某（社区工作人员）",
        witness_image=signature_png(seed=3),
    )
    assert sig.refused and sig.witness_image_sha256
    version = services.document_finalise(actor=staff.officer, document=doc)
    assert version.signature_ids == [sig.pk]


@pytest.mark.clause("doc-electronic-signature", "integ-no-tamper-original", "doc-standard-templates")
def test_finalise_stores_a_sealed_pdf_and_the_data_and_nothing_changes_after(staff, case):
    from liuhen.documents.pdf.seal import verify_seal

    doc = _interview(staff, case)
    services.signature_capture(
        actor=staff.officer, document=doc, role="interviewee", signer_name="李某", image=signature_png(seed=2)
    )
    version = services.document_finalise(actor=staff.officer, document=doc)
    pdf = _read(version.pdf_sha256)
    status = verify_seal(pdf)
    assert status.signed and status.intact, status.message
    data = json.loads(_read(version.data_sha256))
    assert data["values"]["questions_answers"].startswith("问：") and data["version"] == 1
    event = Event.objects.filter(action="document.finalised").last()
    assert json.loads(event.payload)["pdf_sha256"] == version.pdf_sha256

    doc.refresh_from_db()
    with pytest.raises(services.DocumentRefused) as exc:
        services.document_draft_save(actor=staff.officer, document=doc, values=doc.draft_values)
    assert exc.value.code == "document_final"
    with pytest.raises(Exception) as exc:
        DocumentVersion.objects.filter(pk=version.pk).update(values={})
    assert getattr(exc.value, "code", "") == "record_immutable"

    # correction: a new version with its reason; the first stays
    services.document_correct(actor=staff.officer, document=doc, reason="被询问人姓名笔误")
    doc.refresh_from_db()
    services.document_draft_save(
        actor=staff.officer, document=doc, values={**doc.draft_values, "interviewee": "李某某，网吧负责人"}
    )
    services.signature_capture(
        actor=staff.officer, document=doc, role="interviewee", signer_name="李某某", image=signature_png(seed=4)
    )
    v2 = services.document_finalise(actor=staff.officer, document=doc)
    assert v2.version == 2 and v2.reason == "被询问人姓名笔误"
    assert list(doc.versions.values_list("version", flat=True)) == [1, 2]
    assert DocumentVersion.objects.get(pk=version.pk).values["interviewee"].startswith("李某，")
    assert verify_records() == []

    with attacker(), connection.cursor() as cursor:
        cursor.execute("UPDATE documents_documentversion SET pdf_sha256 = %s WHERE id = %s", ["0" * 64, version.pk])
    found = {(f.code, f.item) for f in verify_records()}
    assert ("record_row_edited", f"record:documents.DocumentVersion:{version.pk}") in found


@pytest.mark.clause("integ-no-tamper-original")
def test_finalised_values_edited_in_the_database_are_refused_and_named_by_verify(staff, case):
    from django.db import IntegrityError, transaction

    doc = _interview(staff, case)
    services.signature_capture(
        actor=staff.officer, document=doc, role="interviewee", signer_name="李某", image=signature_png(seed=2)
    )
    version = services.document_finalise(actor=staff.officer, document=doc)
    assert verify_records() == []
    forged = json.dumps({**version.values, "interviewee": "王某，替身"}, ensure_ascii=False)
    sql = 'UPDATE documents_documentversion SET "values" = %s WHERE id = %s'
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [forged, version.pk])
    with attacker(), connection.cursor() as cursor:
        cursor.execute(sql, [forged, version.pk])
    found = {(f.code, f.item, tuple(f.detail.get("columns", ()))) for f in verify_records()}
    item = f"record:documents.DocumentVersion:{version.pk}"
    assert ("record_row_edited", item, ("values",)) in found  # against the seal in its ledger event
    assert ("record_data_mismatch", item, ("values",)) in found  # against its data blob


def test_only_handlers_draft_and_finalise(staff, case):
    with pytest.raises(CaseForbidden):
        services.document_create(actor=staff.outsider, case=case, doc_type="interview_record")
    doc = _interview(staff, case)
    with pytest.raises(CaseForbidden):
        services.document_finalise(actor=staff.outsider, document=doc)
    with pytest.raises(services.DocumentInvalid) as exc:
        services.document_create(actor=staff.officer, case=case, doc_type="no_such_form")
    assert exc.value.code == "document_type_unknown"


def test_paper_record_is_attached_finalised_and_immutable(staff, case):
    fake_pdf = b"%PDF-1.4\n% scanned field record\n%%EOF\n"
    profile = case_services.profile_of(case)
    form = profile.document_types["site_inspection_record"]
    values = {f.id: f"{f.label}（纸质）" for f in form.fields}
    doc = services.paper_document_attach(
        actor=staff.officer, case=case, doc_type="site_inspection_record", values=values, scan=fake_pdf
    )
    assert doc.status == DocumentStatus.FINAL and doc.kind == "paper"
    version = doc.current_version
    assert _read(version.scan_sha256) == fake_pdf
    with pytest.raises(services.DocumentInvalid) as exc:
        services.paper_document_attach(
            actor=staff.officer, case=case, doc_type="site_inspection_record", values=values, scan=b"hello"
        )
    assert exc.value.code == "scan_not_supported"


@pytest.mark.clause("flow-recording-plan-per-type", "doc-text-primary")
def test_case_guard_counts_only_finalised_forms(staff):
    inspection = staff.open("inspection")
    profile = case_services.profile_of(inspection)

    def status() -> str:
        reqs = {r.code: r for r in stage_requirements(inspection, profile, "interview", visit=None)}
        return f"{reqs['document:interview_record'].status}:{reqs['document:interview_record'].label}"

    assert status() == "missing:询问（调查）笔录未制作"
    doc = _interview(staff, inspection)
    assert status() == "missing:询问（调查）笔录未定稿（草稿）"
    services.signature_capture(
        actor=staff.officer, document=doc, role="interviewee", signer_name="李某", image=signature_png()
    )
    services.document_finalise(actor=staff.officer, document=doc)
    assert status() == "met:询问（调查）笔录已定稿"


def test_paper_versions_are_checked_by_verify_like_finalised_ones(staff, case):
    profile = case_services.profile_of(case)
    form = profile.document_types["site_inspection_record"]
    doc = services.paper_document_attach(
        actor=staff.officer,
        case=case,
        doc_type="site_inspection_record",
        values={f.id: "纸质" for f in form.fields},
        scan=b"%PDF-1.4\n%%EOF\n",
    )
    assert verify_records() == []
    version = doc.current_version
    with attacker(), connection.cursor() as cursor:
        cursor.execute("UPDATE documents_documentversion SET scan_sha256 = %s WHERE id = %s", ["1" * 64, version.pk])
        cursor.execute("UPDATE documents_documentversion SET data_sha256 = %s WHERE id = %s", ["1" * 64, version.pk])
    found = {(f.code, f.item) for f in verify_records()}
    assert ("record_row_edited", f"record:documents.DocumentVersion:{version.pk}") in found


@pytest.mark.clause("doc-standard-templates", "doc-signatures", "doc-refusal-record", "doc-electronic-signature")
def test_every_form_of_the_catalogue_is_produced_signed_and_sealed_for_a_penalty_case(staff, case):
    """Each of the agency's forms: drafted from the catalogue, signed by each signer (the party refuses,
    with a witness), finalised to a sealed PDF whose text names the form."""
    import shutil
    import subprocess

    from liuhen.documents.pdf.seal import verify_seal

    catalogue = case_services.profile_of(case).document_types
    assert len(catalogue) >= 20
    needed = {x for form in catalogue.values() for x in form.needs_served}
    made = {}
    for n, (code, form) in enumerate(sorted(catalogue.items(), key=lambda item: (item[0] not in needed, item[0]))):
        for other in form.needs_served:  # served before this form may be finalised (doc-rights-notice)
            serve_document(staff, case, made[other])
        doc = made[code] = services.document_create(actor=staff.officer, case=case, doc_type=code)
        values = {f.id: doc.draft_values.get(f.id) or f"{f.label}（第{n}号）" for f in form.fields}
        services.document_draft_save(actor=staff.officer, document=doc, values=values)
        for role in form.signers:
            if role in services.IMPLICIT_SIGNERS:
                continue
            if role == "party":
                services.signature_capture(
                    actor=staff.officer,
                    document=doc,
                    role=role,
                    signer_name="李某",
                    refused=True,
                    refusal_reason="不认可",
                    witness_name="王某",
                    witness_image=signature_png(seed=n + 50),
                )
            else:
                services.signature_capture(
                    actor=staff.officer, document=doc, role=role, signer_name="张某", image=signature_png(seed=n)
                )
        version = services.document_finalise(actor=staff.officer, document=doc)
        doc.refresh_from_db()
        pdf = _read(version.pdf_sha256)
        assert verify_seal(pdf).intact, code
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
            assert form.name.replace("（", "").replace("）", "")[:4] in text.replace(" ", "").replace("（", "").replace(
                "）", ""
            ), code
    assert verify_records() == []
