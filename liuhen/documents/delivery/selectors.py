"""送达, the reads: a version's deliveries, the documents of a case that must be served and whether
each was served with full proof (the delivery stage's guard), and what a page shows for one row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from liuhen.cases.models import Case
from liuhen.cases.requirements import MET, MISSING, Requirement
from liuhen.documents import hooks
from liuhen.documents.delivery.rules import METHODS, PROOF_KINDS, av_item, must_be_served
from liuhen.documents.models import Delivery, Document, DocumentVersion
from liuhen.documents.policies import document_policy
from liuhen.policy.schema import Profile


def deliveries_of_version(*, actor: Any, version: DocumentVersion) -> list[Delivery]:
    document_policy.require(actor, "view", version.document)
    return list(Delivery.objects.filter(version=version).select_related("supersedes").order_by("recorded_at", "id"))


def effective(deliveries: Sequence[Delivery]) -> list[Delivery]:
    """The rows not corrected by a later one."""
    replaced = {d.supersedes_id for d in deliveries if d.supersedes_id}
    return [d for d in deliveries if d.pk not in replaced]


def served_versions(case: Case) -> list[DocumentVersion]:
    """The current version of each finalised document of the case that must be served on the party."""
    out = []
    for document in Document.objects.filter(case=case, version_count__gt=0).order_by("created_at", "id"):
        if must_be_served(document.doc_name):
            version = document.versions.filter(version=document.version_count).first()
            if version is not None:
                out.append(version)
    return out


def delivery_requirements(case: Case, profile: Profile) -> list[Requirement]:
    """The delivery stage's guard: each served document delivered with its full proof."""
    versions = served_versions(case)
    rows: dict[int, list[Delivery]] = {}
    for d in Delivery.objects.filter(version__in=versions).order_by("recorded_at", "id"):
        rows.setdefault(d.version_id, []).append(d)
    out: list[Requirement] = []
    for version in versions:
        document = version.document
        code = f"delivery:{document.number}"
        current = effective(rows.get(version.pk, []))
        done = [d for d in current if d.complete]
        if done:
            d = done[-1]
            out.append(Requirement(code, f"{document.doc_name}已{d.get_method_display()}（{d.recipient}）", MET))
            out += av_requirements(profile, d)
        else:
            note = "；".join(m for d in current for m in d.missing)
            out.append(Requirement(code, f"{document.doc_name}尚未送达（或送达证明不全）", MISSING, note))
    return out


def av_requirements(profile: Profile, delivery: Delivery) -> list[Requirement]:
    """Mandatory AV for the method (音像记录事项清单): a recording attached to the delivery, or an AV
    record of the case made at the time of delivery — as the media app answers (``hooks.delivery_av``)."""
    if av_item(profile, delivery.method) is None:
        return []
    return [req for req in hooks.delivery_av.collect(profile=profile, delivery=delivery) if req is not None]


def delivery_state(profile: Profile, delivery: Delivery) -> dict[str, Any]:
    """What a page shows for one row: the badge, what is missing, the AV requirement."""
    return {
        "delivery": delivery,
        "method": METHODS.get(delivery.method, delivery.method),
        "complete": delivery.complete,
        "missing": list(delivery.missing),
        "av": av_requirements(profile, delivery),
        "files": [{**f, "label": PROOF_KINDS.get(f["kind"], f["kind"])} for f in delivery.proof_files],
    }
