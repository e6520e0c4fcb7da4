"""The lead and case policies: one rule for who sees a case (the queryset and the single-case answer
agree for every role), 404 outside what the user may know of, 403 with a code otherwise, and who records
an approval read from the case's profile."""

from __future__ import annotations

import pytest

from liuhen.cases.errors import CaseForbidden, CaseNotFound, SourceNotFound
from liuhen.cases.models import Case
from liuhen.cases.policies import case_policy, lead_policy
from liuhen.cases.profiles import profile_of
from liuhen.core.permissions import register_grant, unregister_grant
from liuhen.org.errors import BusinessDataForbidden
from liuhen.org.rules import Role
from liuhen.policy.schema import ApprovalRule


@pytest.fixture
def world(staff_for, make_user):
    staff = staff_for("national-baseline")
    case = staff.open("inspection")
    people = {
        "officer": staff.officer,
        "outsider": staff.outsider,
        "department_head": staff.department_head,
        "headless_department_head": make_user(staff.agency, Role.DEPARTMENT_HEAD),
        "agency_head": staff.agency_head,
        "legal_reviewer": staff.legal_reviewer,
        "records_keeper": make_user(staff.agency, Role.RECORDS_KEEPER),
        "supervisor": make_user(staff.agency, Role.SUPERVISOR),
        "system_admin": make_user(staff.agency, Role.SYSTEM_ADMIN),
    }
    # The case belongs to the department its department head heads; the other head has no department.
    department = staff.agency.departments.first()
    staff.department_head.department = department
    staff.department_head.save()
    Case.objects.filter(pk=case.pk).update(department=department)
    case.refresh_from_db()
    return staff, case, people


def test_case_visibility__the_queryset_and_the_single_case_agree_for_every_role(world):
    _staff, case, people = world
    for name, user in people.items():
        assert (case in case_policy.visible(user)) == case_policy.sees(user, case), name
    seen = {name for name, user in people.items() if case_policy.sees(user, case)}
    assert seen == {
        "officer",
        "department_head",
        "headless_department_head",
        "agency_head",
        "legal_reviewer",
        "records_keeper",
        "supervisor",
    }


def test_case_get__404_unseen_or_elsewhere_403_for_a_role_that_never_sees_cases(world, staff_for):
    _staff, case, people = world
    with pytest.raises(CaseNotFound):
        case_policy.get(people["outsider"], case.pk)
    with pytest.raises(BusinessDataForbidden) as exc:
        case_policy.get(people["system_admin"], case.pk)
    assert exc.value.status == 403 and exc.value.code == "admin_business_forbidden"
    other = staff_for("dongxihu-culture", code="elsewhere")
    with pytest.raises(CaseNotFound):
        case_policy.get(other.agency_head, case.pk)
    assert case_policy.get(people["supervisor"], case.pk) == case


def test_case_handle__handlers_and_their_heads_only(world):
    _staff, case, people = world
    allowed = {name for name, user in people.items() if case_policy.user_can(user, "handle", case)}
    assert allowed == {"officer", "department_head", "agency_head"}
    refused = case_policy.refusal(people["legal_reviewer"], "handle", case)
    assert isinstance(refused, CaseForbidden) and refused.code == "case_not_handler"
    assert case_policy.refusal(people["supervisor"], "handle", case).code == "case_forbidden"


def test_case_approve__the_roles_are_the_profile_s(world, monkeypatch):
    _staff, case, people = world
    assert case_policy.user_can(people["legal_reviewer"], "approve:legal_review", case)
    assert not case_policy.user_can(people["department_head"], "approve:legal_review", case)
    profile = profile_of(case)
    changed = profile.model_copy(
        update={"approvals": {**profile.approvals, "legal_review": ApprovalRule(roles=["department_head"])}}
    )
    monkeypatch.setattr("liuhen.cases.policies.profile_of", lambda c: changed)
    assert case_policy.user_can(people["department_head"], "approve:legal_review", case)
    refused = case_policy.refusal(people["legal_reviewer"], "approve:legal_review", case)
    assert refused.code == "approval_outside_authority"


def test_lead__case_workers_see_it_and_the_identity_heads_decide_not_to_file(world, staff_for):
    staff, _case, people = world
    lead = staff.lead()
    for name in ("officer", "outsider", "legal_reviewer", "records_keeper"):
        assert lead_policy.user_can(people[name], "view_identity", lead), name
    assert lead_policy.refusal(people["supervisor"], "view", lead).status == 403
    assert lead_policy.refusal(people["system_admin"], "view", lead).code == "admin_business_forbidden"
    assert lead_policy.refusal(people["officer"], "not_file", lead).code == "not_filing_needs_head"
    assert lead_policy.user_can(people["department_head"], "not_file", lead)
    other = staff_for("dongxihu-culture", code="elsewhere")
    with pytest.raises(SourceNotFound):
        lead_policy.get(other.officer, lead.pk)


def test_a_registered_grant_allows_what_the_rule_refused_for_that_case_only(world):
    staff, case, people = world
    other_case = staff.open("inspection", handlers=[staff.officer2, staff.department_head])

    def grant(user, kind, action, obj):
        return kind == "case" and action == "view" and obj == case and user == people["outsider"]

    register_grant(grant)
    try:
        assert case_policy.user_can(people["outsider"], "view", case)
        assert not case_policy.user_can(people["outsider"], "view", other_case)
    finally:
        unregister_grant(grant)
    assert not case_policy.user_can(people["outsider"], "view", case)
