"""Case fixtures: an agency under a chosen profile with the people a case needs, and a driver that
records whatever approvals a stage's profile asks for and moves the case on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from liuhen.cases import services
from liuhen.cases.models import Case, CaseSource
from liuhen.cases.requirements import approvals_needed
from liuhen.cases.rules import APPROVAL_ROLES
from liuhen.org.rules import Role


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    # Every test creates seven people: hash their passwords with a fast hasher here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Staff:
    agency: Any
    officer: Any
    officer2: Any
    department_head: Any
    agency_head: Any
    legal_reviewer: Any
    outsider: Any  # an officer of the same agency who does not handle the case

    def for_kind(self, kind: str) -> Any:
        roles = APPROVAL_ROLES[kind]
        for person in (self.officer, self.department_head, self.legal_reviewer, self.agency_head):
            if person.role_codes & roles:
                return person
        raise AssertionError(kind)

    def lead(self, kind: str = "complaint", **kw: Any) -> CaseSource:
        args = {
            "actor": self.officer,
            "kind": kind,
            "received_at": timezone.now() - dt.timedelta(hours=2),
            "summary": "群众投诉某网吧接纳未成年人",
            "party_name": "某网吧",
            "reporter_name": "张某" if kind in ("complaint", "report") else "",
            "referring_body": "市文化市场综合执法支队" if kind in ("referred", "assigned") else "",
        }
        args.update(kw)
        return services.case_source_register(**args)

    def open(self, enforcement_type: str, **kw: Any) -> Case:
        if enforcement_type == "penalty" and "source" not in kw and kw.get("procedure", "ordinary") == "ordinary":
            kw["source"] = self.lead()
        kw.setdefault("title", f"测试{enforcement_type}")
        kw.setdefault("party_name", "某网吧")
        kw.setdefault("handlers", [self.officer, self.officer2])
        return services.case_open(actor=self.officer, enforcement_type=enforcement_type, **kw)


def make_staff(make_agency, make_user, code: str, profile_id: str) -> Staff:
    agency = make_agency(code, profile_id)
    return Staff(
        agency=agency,
        officer=make_user(agency, Role.OFFICER),
        officer2=make_user(agency, Role.OFFICER),
        department_head=make_user(agency, Role.DEPARTMENT_HEAD),
        agency_head=make_user(agency, Role.AGENCY_HEAD),
        legal_reviewer=make_user(agency, Role.LEGAL_REVIEWER),
        outsider=make_user(agency, Role.OFFICER),
    )


@pytest.fixture
def staff_for(make_agency, make_user):
    def _make(profile_id: str, code: str | None = None) -> Staff:
        return make_staff(make_agency, make_user, code or profile_id[:20], profile_id)

    return _make


def approve_stage(staff: Staff, case: Case, stage_id: str, *, special: bool = False) -> list[str]:
    """Record, in order, every approval the stage needs (as approved); returns the kinds recorded."""
    case.refresh_from_db()
    profile = services.profile_of(case)
    stage = profile.stage(case.enforcement_type, stage_id)
    kinds = approvals_needed(case, profile, stage, special=special)
    for kind in kinds:
        services.approval_record(
            actor=staff.for_kind(kind),
            case=case,
            kind=kind,
            decision="approved",
            opinion="同意",
            suggestions="无",
            participants=["王局长", "李副局长", "赵科长"],
            minutes="讨论记录：事实清楚，证据充分。",
            conclusion="同意作出处理",
            stage_id=stage_id,
        )
    return kinds


def file_case(staff: Staff, case: Case) -> None:
    profile = services.profile_of(case)
    form = profile.document_types[profile.filing.form]
    values = {f.id: f"{f.label}内容" for f in form.fields}
    services.filing_form_submit(actor=staff.officer, case=case, values=values)
    et = profile.enforcement_types[case.enforcement_type]
    approve_stage(staff, case, et.filing_stage)


def drive_to_close(staff: Staff, case: Case) -> Case:
    """Carry the case through every general stage to closure."""
    profile = services.profile_of(case)
    et = profile.enforcement_types[case.enforcement_type]
    case.refresh_from_db()
    if et.filing_stage and case.filed_at is None:
        file_case(staff, case)
    for stage in et.stages:
        case.refresh_from_db()
        assert case.stage == stage.id
        if stage.id != et.filing_stage:
            approve_stage(staff, case, stage.id)
        if stage is et.stages[-1]:
            return services.case_close(actor=staff.officer, case=case)
        services.case_advance(actor=staff.officer, case=case, expected_stage=stage.id)
    raise AssertionError("unreachable")
