"""The archive's permission policies: case files and discs are seen by whoever sees their case (one rule,
the cases app's), another agency's objects are not found, and the rows the archive keeps are never
deleted through the ORM."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from liuhen.archive.casefiles.assembly import case_file_open
from liuhen.archive.casefiles.queue import archive_queue
from liuhen.archive.casefiles.tests.test_casefiles import _closed_case
from liuhen.archive.models import CaseFile, DiscMedium, EvidenceDisc
from liuhen.archive.policies import case_file_policy, evidence_disc_policy
from liuhen.archive.retention.errors import RecordNotExpired
from liuhen.cases.policies import case_policy
from liuhen.core.errors import NotFound
from liuhen.core.permissions import policy_for
from liuhen.ledger.models import Event
from liuhen.org.rules import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")


def test_case_files__are_seen_by_whoever_sees_their_case(staff_for, make_user, tmp_path):
    staff = staff_for("dongxihu-culture", code="seen")
    department = staff.agency.departments.get()
    in_department = _closed_case(staff, tmp_path / "a", av_stage=None, department=department)
    no_department = _closed_case(staff, tmp_path / "b", av_stage=None, title="未分科室的检查")
    keeper = make_user(staff.agency, Role.RECORDS_KEEPER)
    supervisor = make_user(staff.agency, Role.SUPERVISOR)
    head_of_department = make_user(staff.agency, Role.DEPARTMENT_HEAD)
    head_of_department.department = department
    head_of_department.save(update_fields=["department"])
    assert staff.department_head.department_id is None  # a department head with no department
    people = [
        staff.officer,
        staff.outsider,
        staff.department_head,
        head_of_department,
        staff.agency_head,
        staff.legal_reviewer,
        keeper,
        supervisor,
    ]
    for user in people:
        seen = set(case_policy.visible(user)) & {in_department, no_department}
        assert {cf.case for cf in case_file_policy.visible(user)} == seen, user.role_codes
        for cf in CaseFile.objects.filter(case__in=[in_department, no_department]):
            assert case_file_policy.user_can(user, "view", cf) == (cf.case in seen), (user.role_codes, cf.case)
    # The department head with no department sees every case of the agency, so every case file too
    # (the archive's own rule used to show him only the case files of cases with no department).
    head = staff.department_head
    assert {row.case_file.case for row in archive_queue(head)["due"]} == {in_department, no_department}
    cf = CaseFile.objects.get(case=in_department)
    client = Client()
    client.force_login(head)
    assert client.get(f"/archive/{cf.pk}/").status_code == 200
    assert client.get(f"/api/archive/case-files/{cf.pk}").status_code == 200
    # the head of the department sees his department's case, not the other one
    assert {c.case for c in case_file_policy.visible(head_of_department)} == {in_department}


def test_policies__another_agencys_case_file_is_not_found_and_the_administrators_are_refused(staff_for, make_user):
    home, other = staff_for("dongxihu-culture", code="home"), staff_for("dongxihu-culture", code="away")
    case = home.open("inspection")
    cf = case_file_open(case=case)
    with pytest.raises(NotFound) as missing:
        case_file_policy.get(other.agency_head, cf.pk)
    assert missing.value.code == "case_file_not_found"
    admin = make_user(home.agency, Role.SYSTEM_ADMIN)
    refused = case_file_policy.refusal(admin, "view", cf)
    assert refused is not None and refused.status == 403 and refused.code == "admin_business_forbidden"
    assert policy_for("case_file") is case_file_policy and policy_for("evidence_disc") is evidence_disc_policy


def test_case_file_and_disc__orm_deletion_refused_and_logged(staff_for, make_user):
    staff = staff_for("dongxihu-culture", code="keep")
    keeper = make_user(staff.agency, Role.RECORDS_KEEPER)
    case = staff.open("inspection")
    cf = case_file_open(case=case)
    disc = EvidenceDisc.objects.create(
        agency=staff.agency,
        case=case,
        maker="赵档案",
        extractor="王执法",
        extracted_at=timezone.now(),
        medium=DiscMedium.CD,
        requested_by=keeper,
        requested_at=timezone.now(),
    )
    for attempt in (
        cf.delete,
        CaseFile.objects.filter(pk=cf.pk).delete,
        disc.delete,
        EvidenceDisc.objects.all().delete,
    ):
        with pytest.raises(RecordNotExpired) as refused:
            attempt()
        assert refused.value.code == "retention_delete_refused"
    logged = Event.objects.filter(action="disposal.early_refused").order_by("seq")
    assert [e.object_type for e in logged] == ["archive.CaseFile"] * 2 + ["archive.EvidenceDisc"] * 2
    assert CaseFile.objects.filter(pk=cf.pk).exists() and EvidenceDisc.objects.filter(pk=disc.pk).exists()
