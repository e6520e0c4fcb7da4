"""The filing approval form (立案审批表, clauses src-filing-approval, src-filing-form-content): submitted with
every field the profile requires, corrected only as a new revision, approved by the profile's chain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.errors import CaseInvalid, TransitionRefused
from liuhen.cases.models import Case, FilingForm, Procedure
from liuhen.cases.policies import case_policy
from liuhen.cases.profiles import profile_of
from liuhen.cases.requirements import latest_filing_form
from liuhen.cases.services.common import bump, case_lock
from liuhen.cases.services.timeline import trace
from liuhen.policy.schema import APPROVAL_KINDS


def filing_form_submit(*, actor: Any, case: Case, values: Mapping[str, Any]) -> FilingForm:
    """Submit (or correct, as a new revision) the filing approval form with every field the profile requires."""
    case_policy.require(actor, "handle", case)
    profile = profile_of(case)
    et = profile.enforcement_types[case.enforcement_type]
    if not et.filing_stage or case.procedure != Procedure.ORDINARY:
        raise TransitionRefused("本案不需要立案审批", code="filing_not_required")
    if case.filed_at is not None:
        raise TransitionRefused("本案已立案，不能再提交立案审批表", code="case_already_filed")
    form_code = profile.filing.form if profile.filing else "filing_approval_form"
    doc = profile.document_types.get(form_code)
    labels = {f.id: f.label for f in doc.fields} if doc else {}
    required = profile.filing.required_fields if profile.filing else []
    clean = {k: (str(v).strip() if v is not None else "") for k, v in values.items() if k in labels or k in required}
    unknown = sorted(set(values) - set(clean))
    if unknown:
        raise CaseInvalid(f"立案审批表没有这些栏目：{'、'.join(unknown)}", code="filing_field_unknown", fields=unknown)
    missing = [f for f in required if not clean.get(f)]
    if missing:
        names = "、".join(labels.get(f, f) for f in missing)
        raise CaseInvalid(f"立案审批表缺少必填栏目：{names}", code="filing_field_missing", fields=missing)
    with transaction.atomic():
        case = case_lock(case)
        if case.filed_at is not None:
            raise TransitionRefused("本案已立案，不能再提交立案审批表", code="case_already_filed")
        last = latest_filing_form(case)
        form = FilingForm.objects.create(
            case=case,
            revision=(last.revision + 1) if last else 1,
            form_type=form_code,
            values=clean,
            submitted_by=actor,
            submitted_at=timezone.now(),
        )
        trace(
            case,
            actor=actor,
            action="case.filing_form_submitted",
            stage_id=et.filing_stage,
            obj=("filing_form", form.pk),
            at=form.submitted_at,
            summary=f"提交{doc.name if doc else '立案审批表'}（第 {form.revision} 版），"
            f"报{'、'.join(APPROVAL_KINDS[k] for k in profile.filing_chain())}",
            payload={"revision": form.revision, "values": clean},
        )
        bump(case)
    return form
