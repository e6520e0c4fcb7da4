"""Rights and responses: no decision letter before the rights notice is served; every statement or
defence is reviewed, with whether it was adopted and why, before the decision (clauses
doc-rights-notice, doc-defense-review). What is needed is the agency's data: 东西湖 needs the 事先告知书
and the 权利告知书 served, 西岗 only the 事先告知书, 兴隆台 nothing before its decision letter."""

from __future__ import annotations

import pytest
from django.urls import reverse

from liuhen.cases import services as case_services
from liuhen.cases.requirements import stage_requirements
from liuhen.documents import services
from liuhen.documents.models import Document, DocumentVersion
from liuhen.documents.services import DocumentInvalid, DocumentRefused
from liuhen.ledger.records import verify_records
from liuhen.testing.cases import approve_stage, file_case, make_document, serve_document
from liuhen.testing.images import signature_png

PNG_SCAN = signature_png(seed=3)


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


def _penalty_case(staff):
    case = staff.open("penalty")
    file_case(staff, case)
    case.refresh_from_db()
    return case


def _draft(staff, case, code: str, **create):
    """A draft of ``code`` with every field filled and every signer signed (not finalised)."""
    form = case_services.profile_of(case).document_types[code]
    draft = services.document_create(actor=staff.officer, case=case, doc_type=code, **create)
    values = {f.id: draft.draft_values.get(f.id) or f"{f.label}（测试）" for f in form.fields}
    services.document_draft_save(actor=staff.officer, document=draft, values=values)
    for role in form.signers:
        if role not in services.IMPLICIT_SIGNERS:
            services.signature_capture(
                actor=staff.officer, document=draft, role=role, signer_name="某某", image=signature_png(seed=2)
            )
    return draft


@pytest.mark.clause("doc-rights-notice")
def test_decision_letter_waits_for_the_rights_notice_to_be_served(staff_for):
    staff = staff_for("dongxihu-culture")
    case = _penalty_case(staff)
    letter = _draft(staff, case, "decision_letter")

    with pytest.raises(DocumentRefused) as exc:
        services.document_finalise(actor=staff.officer, document=letter)
    assert exc.value.code == "prerequisite_missing"
    assert exc.value.detail["problems"] == [
        "作出行政执法决定书前须向当事人送达行政处罚事先告知书：尚未制作",
        "作出行政执法决定书前须向当事人送达权利告知书：尚未制作",
    ]

    prior = make_document(staff, case, "prior_notice", case.stage)
    serve_document(staff, case, prior)
    rights = make_document(staff, case, "rights_notice", case.stage)  # finalised, not yet served
    with pytest.raises(DocumentRefused) as exc:
        services.document_finalise(actor=staff.officer, document=letter)
    assert exc.value.detail["problems"] == [
        f"作出行政执法决定书前须向当事人送达权利告知书：{rights.number} 尚未送达（或送达证明不全）"
    ]
    assert not DocumentVersion.objects.filter(document=letter).exists()  # nothing stored by the refusals

    serve_document(staff, case, rights)
    version = services.document_finalise(actor=staff.officer, document=letter)
    assert version.version == 1
    assert verify_records() == []


@pytest.mark.clause("doc-rights-notice")
def test_what_must_be_served_first_is_each_agencys_own(staff_for):
    xigang = staff_for("xigang-culture", "xg")  # 事先告知书 only: its rights are in that notice
    case = _penalty_case(xigang)
    letter = _draft(xigang, case, "decision_letter")
    with pytest.raises(DocumentRefused) as exc:
        services.document_finalise(actor=xigang.officer, document=letter)
    assert exc.value.detail["problems"] == ["作出行政执法决定书前须向当事人送达行政处罚事先告知书：尚未制作"]
    serve_document(xigang, case, make_document(xigang, case, "prior_notice", case.stage))
    services.document_finalise(actor=xigang.officer, document=letter)

    xinglongtai = staff_for("xinglongtai-drc", "xlt")  # its seed names no rights notice before the decision
    case = _penalty_case(xinglongtai)
    assert services.document_finalise(actor=xinglongtai.officer, document=_draft(xinglongtai, case, "decision_letter"))


@pytest.mark.clause("doc-rights-notice")
def test_a_paper_decision_letter_is_refused_the_same_way(staff_for):
    staff = staff_for("dongxihu-culture")
    case = _penalty_case(staff)
    form = case_services.profile_of(case).document_types["decision_letter"]
    with pytest.raises(DocumentRefused) as exc:
        services.paper_document_attach(
            actor=staff.officer,
            case=case,
            doc_type="decision_letter",
            values={f.id: "内容" for f in form.fields},
            scan=PNG_SCAN,
        )
    assert exc.value.code == "prerequisite_missing"
    assert not Document.objects.filter(case=case, doc_type="decision_letter").exists()


@pytest.mark.clause("doc-rights-notice", "flow-recording-plan-per-type")
def test_the_decision_stage_guard_names_the_unserved_notice(staff_for):
    staff = staff_for("dongxihu-culture")
    case = _penalty_case(staff)
    for stage in ("intake", "filing", "investigation", "review"):
        case.refresh_from_db()
        approve_stage(staff, case, stage)
        case_services.case_advance(actor=staff.officer, case=case, expected_stage=stage)
    case.refresh_from_db()
    assert case.stage == "decision"
    profile = case_services.profile_of(case)
    reqs = {r.code: r for r in stage_requirements(case, profile, "decision", visit=None)}
    assert reqs["served:rights_notice"].blocking
    assert reqs["served:rights_notice"].label == "作出行政执法决定书前须向当事人送达权利告知书"

    serve_document(staff, case, make_document(staff, case, "rights_notice", "decision"))
    reqs = {r.code: r for r in stage_requirements(case, profile, "decision", visit=None)}
    assert reqs["served:rights_notice"].status == "met"
    assert reqs["served:rights_notice"].label.endswith("已直接送达（某网吧）")


@pytest.mark.clause("doc-defense-review")
def test_each_statement_is_reviewed_with_adoption_and_reasons_before_the_decision(staff_for):
    staff = staff_for("dongxihu-culture")
    case = _penalty_case(staff)
    for code in ("prior_notice", "rights_notice"):
        serve_document(staff, case, make_document(staff, case, code, case.stage))
    statement = make_document(staff, case, "statement_defence_record", case.stage)
    letter = _draft(staff, case, "decision_letter")

    with pytest.raises(DocumentRefused) as exc:
        services.document_finalise(actor=staff.officer, document=letter)
    assert exc.value.detail["problems"] == [
        f"陈述申辩笔录（{statement.number}）所提事实、理由和证据须复核："
        "尚无定稿的陈述申辩复核意见，须写明是否采纳及理由"
    ]

    # An opinion that does not name the statement does not answer it.
    make_document(staff, case, "reexamination_opinion", case.stage)
    with pytest.raises(DocumentRefused):
        services.document_finalise(actor=staff.officer, document=letter)

    review = _draft(staff, case, "reexamination_opinion", responds_to=statement)
    review.refresh_from_db()
    services.document_draft_save(
        actor=staff.officer,
        document=review,
        values={**review.draft_values, "adopted": "部分采纳", "why": "当事人提交的营业执照复印件属实，予以采纳"},
    )
    with pytest.raises(DocumentRefused):  # a draft answer is not yet an answer
        services.document_finalise(actor=staff.officer, document=letter)
    services.document_finalise(actor=staff.officer, document=review)
    assert services.document_finalise(actor=staff.officer, document=letter).version == 1
    assert list(statement.answers.all()) == [review]
    assert verify_records() == []


@pytest.mark.clause("doc-defense-review")
def test_an_answer_must_name_a_finalised_record_of_the_form_it_answers(staff_for):
    staff = staff_for("dongxihu-culture")
    case = _penalty_case(staff)
    draft_statement = _draft(staff, case, "statement_defence_record")
    with pytest.raises(DocumentInvalid) as exc:
        services.document_create(
            actor=staff.officer, case=case, doc_type="reexamination_opinion", responds_to=draft_statement
        )
    assert exc.value.code == "responds_to_invalid" and "尚未定稿" in exc.value.message

    statement = make_document(staff, case, "statement_defence_record", case.stage)
    with pytest.raises(DocumentInvalid) as exc:
        services.document_create(actor=staff.officer, case=case, doc_type="rectification_order", responds_to=statement)
    assert exc.value.message == "责令改正通知书不是对陈述申辩笔录的答复（本机关规定由陈述申辩复核意见答复）"

    other = staff.open("penalty")
    with pytest.raises(DocumentInvalid) as exc:
        services.document_create(
            actor=staff.officer, case=other, doc_type="reexamination_opinion", responds_to=statement
        )
    assert exc.value.message == "所针对的文书不属于本案"
    assert not Document.objects.filter(doc_type="reexamination_opinion").exists()


def test_api_answers_a_statement_and_shows_what_the_decision_still_needs(client, staff_for):
    staff = staff_for("dongxihu-culture")
    case = _penalty_case(staff)
    statement = make_document(staff, case, "statement_defence_record", case.stage)
    client.force_login(staff.officer)

    r = client.post(
        f"/api/documents/cases/{case.pk}",
        {"doc_type": "decision_letter"},
        content_type="application/json",
    )
    assert r.status_code == 201
    body = r.json()
    codes = {p["code"]: p["status"] for p in body["prerequisites"]}
    assert codes == {
        "served:prior_notice": "missing",
        "served:rights_notice": "missing",
        f"answered:{statement.number}": "missing",
    }
    assert client.post(f"/api/documents/{body['id']}/finalise").json()["code"] in (
        "document_incomplete",
        "prerequisite_missing",
    )

    r = client.post(
        f"/api/documents/cases/{case.pk}",
        {"doc_type": "reexamination_opinion", "responds_to_id": statement.pk},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["responds_to_id"] == statement.pk
    r = client.get(f"/api/documents/{statement.pk}").json()
    assert r["answered_by"] == "reexamination_opinion" and [a["doc_type"] for a in r["answers"]] == [
        "reexamination_opinion"
    ]

    r = client.post(
        f"/api/documents/cases/{case.pk}",
        {"doc_type": "reexamination_opinion", "responds_to_id": 999999},
        content_type="application/json",
    )
    assert r.status_code == 404 and r.json()["code"] == "document_not_found"


def test_statement_page_offers_the_review_and_the_review_page_names_the_statement(client, staff_for):
    staff = staff_for("dongxihu-culture")
    case = _penalty_case(staff)
    statement = make_document(staff, case, "statement_defence_record", case.stage)
    client.force_login(staff.officer)
    html = client.get(reverse("documents:detail", args=[statement.pk])).content.decode()
    assert "尚未复核" in html and "制作陈述申辩复核意见" in html

    r = client.post(
        reverse("documents:new", args=[case.pk]),
        {"doc_type": "reexamination_opinion", "responds_to": statement.pk, "stage": case.stage},
    )
    review = Document.objects.get(doc_type="reexamination_opinion")
    assert r.status_code == 302 and review.responds_to == statement
    html = client.get(reverse("documents:detail", args=[review.pk])).content.decode()
    assert "针对：" in html and statement.number in html
    html = client.get(reverse("documents:detail", args=[statement.pk])).content.decode()
    assert review.number in html
