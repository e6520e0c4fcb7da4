"""Rights and responses: what must be served, and what must be answered, before a form is finalised.

Clauses doc-rights-notice and doc-defense-review. The profile says it per form, as data:

- ``needs_served``: forms (the 权利告知书, the 行政处罚事先告知书, ...) that must be finalised *and*
  served on the party with full proof before this form (the decision letter) may be finalised;
- ``answered_by``: each finalised record of this form (the 陈述申辩笔录) is answered by a finalised
  record of that form (the 陈述申辩复核意见, with whether it was adopted and why) that names it in
  ``Document.responds_to``;
- ``needs_answers``: before this form is finalised, every answerable record of the case is answered.

The same list is the documents' part of the case guard for the stage that needs the form, so the
case page shows it before anyone tries, and the refusal names each item.
"""

from __future__ import annotations

from liuhen.cases.models import Case
from liuhen.cases.requirements import MET, MISSING, Requirement
from liuhen.documents.delivery.selectors import effective
from liuhen.documents.models import Delivery, Document
from liuhen.policy.schema import Profile


def served_by(document: Document) -> Delivery | None:
    """The complete delivery of the document's current version, if it was served with full proof."""
    if document.version_count == 0:
        return None
    rows = list(
        Delivery.objects.filter(version__document=document, version__version=document.version_count).order_by(
            "recorded_at", "id"
        )
    )
    done = [d for d in effective(rows) if d.complete]
    return done[-1] if done else None


def _name(profile: Profile, code: str) -> str:
    doc = profile.document_types.get(code)
    return doc.name if doc else code


def answer_types(profile: Profile) -> dict[str, str]:
    """{answerable form: the form that answers it}."""
    return {code: doc.answered_by for code, doc in profile.document_types.items() if doc.answered_by}


def prerequisites(case: Case, profile: Profile, code: str) -> list[Requirement]:
    """What must be true before a form of type ``code`` is finalised in ``case`` (met or missing)."""
    doc = profile.document_types.get(code)
    if doc is None:
        return []
    out: list[Requirement] = []
    for other in doc.needs_served:
        name = _name(profile, other)
        key = f"served:{other}"
        made = list(Document.objects.filter(case=case, doc_type=other).order_by("created_at", "id"))
        final = [d for d in made if d.version_count > 0]
        if not final:
            state = "有草稿未定稿" if made else "尚未制作"
            out.append(Requirement(key, f"作出{doc.name}前须向当事人送达{name}", MISSING, state))
            continue
        served = [(d, delivery) for d in final if (delivery := served_by(d)) is not None]
        if served:
            d, delivery = served[-1]
            label = f"{name}（{d.number}）已{delivery.get_method_display()}（{delivery.recipient}）"
            out.append(Requirement(key, label, MET))
        else:
            numbers = "、".join(d.number for d in final)
            out.append(
                Requirement(
                    key, f"作出{doc.name}前须向当事人送达{name}", MISSING, f"{numbers} 尚未送达（或送达证明不全）"
                )
            )
    if doc.needs_answers:
        for code_, answer in answer_types(profile).items():
            for record in Document.objects.filter(case=case, doc_type=code_, version_count__gt=0).order_by(
                "created_at", "id"
            ):
                key = f"answered:{record.number}"
                reply = record.answers.filter(doc_type=answer, version_count__gt=0).order_by("created_at").first()
                if reply is not None:
                    label = f"{record.doc_name}（{record.number}）已有{reply.doc_name}（{reply.number}）"
                    out.append(Requirement(key, label, MET))
                else:
                    out.append(
                        Requirement(
                            key,
                            f"{record.doc_name}（{record.number}）所提事实、理由和证据须复核",
                            MISSING,
                            f"尚无定稿的{_name(profile, answer)}，须写明是否采纳及理由",
                        )
                    )
    return out


def missing_text(requirements: list[Requirement]) -> list[str]:
    return [r.label + (f"：{r.note}" if r.note else "") for r in requirements if r.status == MISSING]
