"""Shared test helpers for cases (a pytest plugin: ``staff_for`` is a fixture everywhere): an agency under a chosen profile with the people a case needs, and a driver that
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
from liuhen.org.rules import Role
from liuhen.policy.loader import get_profile


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
        """Someone who may record approvals of ``kind`` (the roles the agency's profile names for it)."""
        roles = set(get_profile(self.agency.profile_id).approvals[kind].roles)
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
        et = get_profile(self.agency.profile_id).enforcement_types.get(enforcement_type)
        if et is not None and et.requires_lead and "source" not in kw and kw.get("procedure", "ordinary") == "ordinary":
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


def complete_documents(staff: Staff, case: Case, stage_id: str, *, deliver: bool = True) -> list[str]:
    """Draft, sign and finalise every form the stage requires (the filing form is the cases app's own);
    what a form needs served first (the rights notice before the decision) is made and served with it;
    in a delivery stage also serve what must be served (unless ``deliver`` is False)."""
    from liuhen.documents.models import Document

    case.refresh_from_db()
    profile = services.profile_of(case)
    stage = profile.stage(case.enforcement_type, stage_id)
    filing_form = profile.filing.form if profile.filing else None
    made = []
    for n, code in enumerate(stage.documents):
        if code == filing_form or Document.objects.filter(case=case, doc_type=code, version_count__gt=0).exists():
            continue
        for other in profile.document_types[code].needs_served:
            serve_document(staff, case, make_document(staff, case, other, stage_id, seed=n + 20))
        make_document(staff, case, code, stage_id, seed=n)
        made.append(code)
    if deliver:
        deliver_served(staff, case, stage_id)
    return made


def make_document(staff: Staff, case: Case, code: str, stage_id: str, *, seed: int = 0, **create: Any) -> Any:
    """The case's finalised form of type ``code`` (made, filled, signed and finalised if there is none)."""
    from liuhen.documents import services as docs
    from liuhen.documents.models import Document
    from liuhen.testing.images import signature_png

    existing = Document.objects.filter(case=case, doc_type=code, version_count__gt=0).first()
    if existing is not None and not create:
        return existing
    doc = services.profile_of(case).document_types[code]
    draft = docs.document_create(actor=staff.officer, case=case, doc_type=code, stage_id=stage_id, **create)
    values = {f.id: draft.draft_values.get(f.id) or f"{f.label}（测试）" for f in doc.fields}
    docs.document_draft_save(actor=staff.officer, document=draft, values=values)
    for role in doc.signers:
        if role not in docs.IMPLICIT_SIGNERS:
            docs.signature_capture(
                actor=staff.officer, document=draft, role=role, signer_name="某某", image=signature_png(seed=seed)
            )
    docs.document_finalise(actor=staff.officer, document=draft)
    draft.refresh_from_db()
    return draft


def serve_document(staff: Staff, case: Case, document: Any) -> Any:
    """Serve the document's current version on the party directly, the signed receipt scanned
    (nothing new if it was already served)."""
    from liuhen.documents import delivery
    from liuhen.documents.rights import served_by
    from liuhen.testing.images import signature_png

    done = served_by(document)
    if done is not None:
        return done
    return delivery.delivery_record(
        actor=staff.officer,
        version=document.versions.get(version=document.version_count),
        method="direct",
        recipient=case.party_name or "当事人",
        delivered_at=timezone.now(),
        address="当事人经营场所",
        proofs=[delivery.ProofFile("receipt_scan", signature_png(seed=7), "送达回证.png")],
    )


def deliver_served(staff: Staff, case: Case, stage_id: str) -> list[Any]:
    """In a delivery stage, serve each finalised 决定书/通知书/告知书 not yet delivered: a direct
    delivery to the party with the signed receipt scanned."""
    from liuhen.documents import delivery
    from liuhen.testing.images import signature_png

    profile = services.profile_of(case)
    stage = profile.stage(case.enforcement_type, stage_id)
    if stage is None or not delivery.is_delivery_stage(stage):
        return []
    done = []
    for req in delivery.delivery_requirements(case, profile):
        if req.status != "missing":
            continue
        number = req.code.removeprefix("delivery:")
        version = next(v for v in delivery.served_versions(case) if v.document.number == number)
        done.append(
            delivery.delivery_record(
                actor=staff.officer,
                version=version,
                method="direct",
                recipient=case.party_name or "当事人",
                delivered_at=timezone.now(),
                address="当事人经营场所",
                proofs=[delivery.ProofFile("receipt_scan", signature_png(seed=7), "送达回证.png")],
            )
        )
    return done


def cover_av(staff: Staff, case: Case, stage_id: str) -> Any:
    """Where the stage needs AV (mandatory in the profile) and has none, record the agency head's
    approval of a written explanation (the media guard's way out that needs no media file); tests of
    the AV rules themselves link generated recordings instead (liuhen/media/tests)."""
    from liuhen.media.continuity.guards import av_exemption_approve, stage_av_state

    case.refresh_from_db()
    profile = services.profile_of(case)
    stage = profile.stage(case.enforcement_type, stage_id)
    state = stage_av_state(case, profile, stage)
    if state.level != "mandatory" or state.covered:
        return None
    return av_exemption_approve(
        actor=staff.agency_head, case=case, stage_id=stage_id, reason="测试：现场未配备执法记录仪，书面说明附卷"
    )


def approve_stage(staff: Staff, case: Case, stage_id: str, *, special: bool = False, av: bool = True) -> list[str]:
    """Make the stage's required forms, cover its mandatory AV (unless ``av`` is False), then record,
    in order, every approval the stage needs (as approved); returns the approval kinds recorded."""
    complete_documents(staff, case, stage_id)
    if av:
        cover_av(staff, case, stage_id)
    case.refresh_from_db()
    profile = services.profile_of(case)
    stage = profile.stage(case.enforcement_type, stage_id)
    if not special and stage_id == profile.enforcement_types[case.enforcement_type].filing_stage:
        return []  # the filing approvals come with the filing form (file_case)
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
    """Submit the filing form with every field and record the profile's filing approvals in order."""
    profile = services.profile_of(case)
    form = profile.document_types[profile.filing.form]
    values = {f.id: f"{f.label}内容" for f in form.fields}
    services.filing_form_submit(actor=staff.officer, case=case, values=values)
    for kind in profile.filing_chain():
        services.approval_record(
            actor=staff.for_kind(kind), case=case, kind=kind, decision="approved", opinion="同意立案", suggestions="无"
        )


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
        approve_stage(staff, case, stage.id)
        if stage is et.stages[-1]:
            return services.case_close(actor=staff.officer, case=case)
        services.case_advance(actor=staff.officer, case=case, expected_stage=stage.id)
    raise AssertionError("unreachable")
