"""The documents' part of the case guards (clauses flow-recording-plan-per-type, doc-text-primary).

A stage's required forms (``Stage.documents`` in the profile) must each have a finalised version in
the case before the stage may be left; the filing approval form is the cases app's own record.
Forms listed as "if applicable" are shown but never block. A required form's own prerequisites (what
must be served or answered before it, ``liuhen.documents.rights``) are part of the same list. In a delivery stage (one that needs the
送达回证, or whose id names delivery) each finalised 决定书/通知书/告知书 of the case must also have a
delivery with its full proof (clauses doc-service-*; ``liuhen.documents.delivery``).
"""

from __future__ import annotations

from liuhen.cases.models import Case, StageVisit
from liuhen.cases.requirements import MET, MISSING, Requirement
from liuhen.documents.delivery import delivery_requirements, is_delivery_stage
from liuhen.documents.models import Document
from liuhen.documents.rights import prerequisites
from liuhen.policy.schema import Profile, Stage


def document_requirements(case: Case, profile: Profile, stage: Stage, visit: StageVisit | None) -> list[Requirement]:
    final = set(Document.objects.filter(case=case, version_count__gt=0).values_list("doc_type", flat=True))
    drafts = set(Document.objects.filter(case=case, version_count=0).values_list("doc_type", flat=True))
    filing_form = profile.filing.form if profile.filing else None
    out: list[Requirement] = []
    for code in stage.documents:
        doc = profile.document_types.get(code)
        name = doc.name if doc else code
        if code == filing_form and case.filing_forms.exists():
            out.append(Requirement(f"document:{code}", f"{name}已提交", MET))
        elif code in final:
            out.append(Requirement(f"document:{code}", f"{name}已定稿", MET))
        elif code in drafts:
            out.append(Requirement(f"document:{code}", f"{name}未定稿（草稿）", MISSING))
        else:
            out.append(Requirement(f"document:{code}", f"{name}未制作", MISSING))
        out += prerequisites(case, profile, code)  # served / answered before it (doc-rights-notice, doc-defense-review)
    if is_delivery_stage(stage):
        out += delivery_requirements(case, profile)
    return out
