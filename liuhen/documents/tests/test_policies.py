"""The document policy is what the services ask and what the pages offer: a case's reader who does not
handle it sees a draft but gets no editor, no signature pad and no 起草 buttons, and the service refuses
them with the same refusal; each state refuses what it must (a finalised record is not edited, a draft
is not corrected, nothing changes once the case is closed)."""

from __future__ import annotations

import pytest

from liuhen.cases.models import Case, CaseStatus
from liuhen.documents import services
from liuhen.documents.errors import DocumentNotFound
from liuhen.documents.models import DocumentStatus
from liuhen.documents.policies import document_policy
from liuhen.testing.cases import file_case


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


@pytest.fixture
def case(staff_for):
    staff = staff_for("dongxihu-culture")
    case = staff.open("penalty")
    file_case(staff, case)
    case.refresh_from_db()
    case.staff = staff
    return case


def test_a_reader_who_does_not_handle_the_case_sees_the_draft_but_is_offered_nothing(client, case):
    staff = case.staff
    doc = services.document_create(actor=staff.officer, case=case, doc_type="interview_record")
    assert document_policy.user_can(staff.legal_reviewer, "view", doc)
    for action in ("edit", "sign", "finalise"):
        assert document_policy.refusal(staff.legal_reviewer, action, doc).code == "case_not_handler", action
    assert not document_policy.user_can(staff.legal_reviewer, "create", case)
    client.force_login(staff.legal_reviewer)
    html = client.get(f"/documents/{doc.pk}/").content.decode()
    assert 'data-testid="draft-form"' not in html and 'data-testid="finalise"' not in html
    assert 'data-testid="edit-refusal"' in html and "只有本案承办人及其负责人可以办理此操作" in html
    assert 'data-testid="start-' not in client.get(f"/cases/{case.pk}/").content.decode()
    client.force_login(staff.officer)
    html = client.get(f"/documents/{doc.pk}/").content.decode()
    assert 'data-testid="draft-form"' in html and 'data-testid="edit-refusal"' not in html


def test_each_state_refuses_what_it_must_and_an_outsider_is_not_told_the_document_exists(case):
    staff = case.staff
    doc = services.document_create(actor=staff.officer, case=case, doc_type="interview_record")
    assert document_policy.refusal(staff.officer, "correct", doc).code == "document_not_final"
    doc.status = DocumentStatus.FINAL
    assert document_policy.refusal(staff.officer, "edit", doc).code == "document_final"
    assert document_policy.user_can(staff.officer, "correct", doc)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    doc.case.refresh_from_db()
    assert document_policy.refusal(staff.officer, "correct", doc).code == "case_ended"
    with pytest.raises(DocumentNotFound):
        document_policy.get(staff.outsider, doc.pk)
