"""How much AV a stage of a case needs: its level (mandatory / recommended / optional) and the mandatory
items of the profile's 音像记录事项清单 attached to it (clause av-matter-list).

A stage is mandatory when the profile says so (``Stage.av``) or a mandatory checklist item names
``<type>.<stage>`` and applies to the case (``applies_if``: a finalised document of the case says so).
Deliveries by method are checked per delivery (``guards.delivery_av_requirement``), not here.
"""

from __future__ import annotations

from liuhen.cases.models import Case
from liuhen.documents.models import Document
from liuhen.policy.schema import AvChecklistItem, DocumentCondition, Profile, Stage


def condition_met(case: Case, cond: DocumentCondition | None) -> bool:
    """An item's ``applies_if``: a finalised document of the case of that type whose field contains one
    of the words (强制执行方式 “代履行”). Before the document is final the item does not apply; the
    documents guard keeps the stage open until it is."""
    if cond is None:
        return True
    for doc in Document.objects.filter(case=case, doc_type=cond.document, version_count__gt=0):
        version = doc.versions.order_by("-version").first()
        value = str((getattr(version, "values", None) or {}).get(cond.field) or "")
        if any(word in value for word in cond.any_of):
            return True
    return False


def stage_items(profile: Profile, case: Case, stage: Stage) -> list[AvChecklistItem]:
    """Mandatory checklist items attached to the stage (deliveries by method are checked per delivery),
    those with ``applies_if`` only when the case's documents say they apply."""
    key = f"{case.enforcement_type}.{stage.id}"
    return [
        i
        for i in profile.av_checklist
        if i.level == "mandatory" and key in i.stages and not i.delivery_method and condition_met(case, i.applies_if)
    ]


def stage_level(profile: Profile, case: Case, stage: Stage) -> str:
    return "mandatory" if stage.av == "mandatory" or stage_items(profile, case, stage) else stage.av
