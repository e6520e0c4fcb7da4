"""Reads of policy profiles, filtered by who may read them, and shaped for the policy page.

Officers read their own agency's rules (permission ``policy.read``); a profile is regulation data,
not case data, so any reader with that permission may also read any profile by id.
"""

from __future__ import annotations

from typing import Any

from liuhen.policy.errors import ProfileNotFound
from liuhen.policy.loader import get_profile, profile_digest
from liuhen.policy.policies import profile_policy
from liuhen.policy.schema import (
    APPROVAL_KINDS,
    APPROVER_ROLES,
    AV_LEVELS,
    BASES,
    CLOCK_EVENTS,
    DEADLINE_UNITS,
    ENFORCEMENT_TYPES,
    KEEP_CLASSES,
    RETENTION_EVENTS,
    RETENTION_UNITS,
    CaseClock,
    Deadline,
    Period,
    Profile,
)


def profile_for_user(user: Any) -> Profile:
    """The profile of the user's agency."""
    profile_policy.require(user, "view")
    agency = getattr(user, "agency", None)
    if agency is None:
        raise ProfileNotFound("当前用户不属于任何执法机关，没有适用的执法规则配置")
    return get_profile(agency.profile_id)


def profile_by_id(user: Any, profile_id: str) -> Profile:
    """A profile by id: one that does not exist is not found for everyone, then the role is checked."""
    profile = get_profile(profile_id)
    profile_policy.require(user, "view")
    return profile


# ---------------------------------------------------------------- readable Chinese


def deadline_text(d: Deadline) -> str:
    if d.value is None:
        return "未规定"
    return f"{d.value}{DEADLINE_UNITS[d.unit]}"


def period_text(p: Period) -> str:
    if p.value is None:
        return "未规定年限"
    return f"{'不少于' if p.minimum else ''}{p.value}{RETENTION_UNITS[p.unit]}"


def clock_event_text(profile: Profile, types: list[str], event: str) -> str:
    """One case event in words: "立案审批通过", "离开“审核决定”环节"."""
    kind, _, stage_id = event.partition(":")
    if not stage_id:
        return CLOCK_EVENTS.get(kind, kind)
    name = next((s.name for t in types if (s := profile.stage(t, stage_id)) is not None), stage_id)
    return f"{'进入' if kind == 'stage_entered' else '离开'}“{name}”环节"


def clock_text(profile: Profile, clock: CaseClock) -> str:
    """When a case deadline runs, in words, e.g. "行政处罚案件自立案审批通过起，至离开“审核决定”环节止；..."."""
    types = clock.types or list(profile.enforcement_types)
    who = "、".join(ENFORCEMENT_TYPES[t] for t in types) if clock.types else "各类"
    text = (
        f"{who}案件自{clock_event_text(profile, types, clock.start)}起计算，"
        f"至{clock_event_text(profile, types, clock.stop)}止"
    )
    if clock.pausable:
        return text + "；中止期间暂停计算，经批准延期的相应顺延"
    return text + "；不因中止、延期而暂停或顺延"


def profile_page(profile: Profile) -> dict[str, Any]:
    """Everything the policy page shows, already in Chinese words; the template only lays it out."""
    docs = profile.document_types

    def doc_names(codes: list[str]) -> list[dict[str, str]]:
        return [{"code": c, "name": docs[c].name if c in docs else c} for c in codes]

    # As the cases engine reads it: the filing approvers in order, or the agency head when none are named.
    filing_roles = profile.filing.approvers if profile.filing is not None and profile.filing.approvers else []
    filing_approvals = [APPROVER_ROLES[a] for a in filing_roles or ["agency_head"]]

    def stage_view(s: Any, special: bool, filing_stage: str | None = None) -> dict[str, Any]:
        is_filing = not special and s.id == filing_stage
        return {
            "s": s,
            "is_filing": is_filing,
            # The filing stage is approved by the filing approvers (``filing.approvers``), in order.
            "approvals": [f"{a}审批" for a in filing_approvals]
            if is_filing
            else [APPROVAL_KINDS[k] for k in s.approvals],
            "av_label": AV_LEVELS[s.av],
            "documents": doc_names(s.documents),
            "documents_if_applicable": doc_names(s.documents_if_applicable),
            "enter_from": [_stage_name(profile, type_code, x) for x in getattr(s, "enter_from", [])] if special else [],
        }

    types = []
    for type_code, et in profile.enforcement_types.items():
        types.append(
            {
                "code": type_code,
                "label": ENFORCEMENT_TYPES[type_code],
                "et": et,
                "stages": [stage_view(s, False, et.filing_stage) for s in et.stages],
                "filing_stage_name": _stage_name(profile, type_code, et.filing_stage) if et.filing_stage else "",
                "special_stages": [stage_view(s, True) for s in et.special_stages],
                "summary_av_label": AV_LEVELS[et.summary_procedure.av],
            }
        )
    checklist = [
        {
            "item": i,
            "level_label": AV_LEVELS[i.level],
            "stages": [_stage_ref_name(profile, ref) for ref in i.stages],
        }
        for i in profile.av_checklist
    ]
    dl = profile.deadlines
    deadlines = [
        {
            "key": k,
            "d": d,
            "text": deadline_text(d),
            "basis": BASES[d.basis],
            "clock": clock_text(profile, d.clock) if d.clock is not None else "",
        }
        for k, d in (
            ("av_upload", dl.av_upload),
            ("av_upload_after_return", dl.av_upload_after_return),
            ("archiving", dl.archiving),
            ("filing_makeup", dl.filing_makeup),
            *sorted(dl.others.items()),
        )
    ]
    r = profile.retention
    periods = [{"p": p, "text": period_text(p), "basis": BASES[p.basis]} for p in (r.av_stored_min, r.case_file)]
    filing = None
    if profile.filing is not None:
        form = docs.get(profile.filing.form)
        labels = {f.id: f.label for f in form.fields} if form else {}
        filing = {
            "f": profile.filing,
            "form_name": form.name if form else profile.filing.form,
            "fields": [{"id": fid, "label": labels.get(fid, fid)} for fid in profile.filing.required_fields],
            "approvers": [APPROVER_ROLES[a] for a in profile.filing.approvers],
            "basis": BASES[profile.filing.basis],
        }
    return {
        "profile": profile,
        "sha256": profile_digest(profile),
        "types": types,
        "checklist": checklist,
        "deadlines": deadlines,
        "periods": periods,
        "retention": r,
        "triggers": [{"t": t, "keep": KEEP_CLASSES[t.keep], "event": RETENTION_EVENTS[t.event]} for t in r.triggers],
        "notice": profile.recording_notice,
        "av_rules": profile.av_rules,
        "filing": filing,
        "access": profile.access,
        "documents": sorted(docs.items(), key=lambda kv: kv[1].name),
    }


def _stage_name(profile: Profile, type_code: str, stage_id: str) -> str:
    s = profile.stage(type_code, stage_id)
    return s.name if s else stage_id


def _stage_ref_name(profile: Profile, ref: str) -> str:
    type_code, _, stage_id = ref.partition(".")
    return f"{ENFORCEMENT_TYPES.get(type_code, type_code)}·{_stage_name(profile, type_code, stage_id)}"
