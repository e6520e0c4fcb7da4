"""The media part of the case guards: mandatory AV per the profile's 音像记录事项清单.

Clauses av-matter-list, av-mandatory-coercive-measures, av-mandatory-compulsory-execution,
av-interruption, av-lien-service, doc-service-electronic. A stage whose level is mandatory
(``Stage.av``, or a mandatory checklist item naming ``<type>.<stage>``) cannot be left until it has
a usable AV record linked to the case and that stage (not empty, not unreadable), fixed-camera clips
that cover an act of the stage without a gap, or a head's approval of a written explanation why
there is none (``AvExemption``). In every stage, sessions with a gap that has no interruption note
block as well (where the profile requires interruptions explained). Recommended and optional stages
never block: their state is shown by :func:`stage_av_state`. Deliveries by a method the checklist
makes AV-mandatory (留置送达, 电子送达 in some profiles) need a recording attached to the delivery or a
usable record of the case made at the time of delivery (:func:`delivery_av_requirement`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.models import Case, StageVisit
from liuhen.cases.requirements import MET, MISSING, Requirement
from liuhen.cases.services import profile_of, timeline_record
from liuhen.documents.models import Delivery, DeliveryMethod, Signature
from liuhen.media.continuity.coverage import claims_of, coverage_gaps
from liuhen.media.continuity.findings import Finding, record_findings
from liuhen.media.continuity.levels import stage_items, stage_level
from liuhen.media.continuity.recording import (
    case_and_stage,
    record_problems,
    record_timing,
    records_linked,
    shown,
    tagging_missing,
)
from liuhen.media.continuity.sessions import Gap, unexplained_gaps
from liuhen.media.errors import AvInvalid
from liuhen.media.models import AvExemption, CoverageClaim, MediaRecord
from liuhen.media.policies import av_exemption_policy
from liuhen.policy.schema import AV_LEVELS, NONCOOPERATION_EVENTS, AvChecklistItem, Profile, Stage

DELIVERY_SLACK = dt.timedelta(minutes=5)  # delivery times are entered to the minute


def exemption_for(case: Case, stage_id: str) -> AvExemption | None:
    return AvExemption.objects.filter(case=case, stage_id=stage_id).order_by("-id").first()


@dataclass
class StageAv:
    """What a case page shows about one stage's AV."""

    stage: Stage
    level: str  # mandatory / recommended / optional
    items: list[AvChecklistItem]
    records: list[MediaRecord]  # linked to the case and stage
    usable: list[MediaRecord]
    unusable: dict[int, list[str]]  # record id -> why it does not count
    claims: list[CoverageClaim]
    full_claims: list[CoverageClaim]
    exemption: AvExemption | None
    gaps: list[Gap] = field(default_factory=list)  # unexplained
    findings: dict[int, list[Finding]] = field(default_factory=dict)  # record id -> its findings

    @property
    def level_label(self) -> str:
        return AV_LEVELS.get(self.level, self.level)

    @property
    def covered(self) -> bool:
        return bool(self.usable or self.full_claims or self.exemption)


def _not_counted(record: MediaRecord, case_has_handlers: bool | None = None) -> list[str]:
    """Why a linked record does not count as the stage's AV: unusable (empty, unreadable), or not
    labelled with case number, party and handler (store-av-tagging)."""
    out = record_problems(record)
    missing = tagging_missing(record, case_has_handlers=case_has_handlers)
    if missing:
        out.append(f"未标明{'、'.join(missing)}")
    return out


def stage_av_state(case: Case, profile: Profile, stage: Stage) -> StageAv:
    records = records_linked(case, stage.id)
    has_handlers = case.handlers.exists() if records else None
    unusable = {r.pk: p for r in records if (p := _not_counted(r, has_handlers))}
    claims = claims_of(case, stage.id)
    tolerance = profile.av_rules.gap_tolerance_seconds
    return StageAv(
        stage=stage,
        level=stage_level(profile, case, stage),
        items=stage_items(profile, case, stage),
        records=records,
        usable=[r for r in records if r.pk not in unusable],
        unusable=unusable,
        claims=claims,
        full_claims=[c for c in claims if not coverage_gaps(c, tolerance_seconds=tolerance)],
        exemption=exemption_for(case, stage.id),
        gaps=unexplained_gaps(case, stage.id),
    )


def case_av_overview(case: Case) -> list[StageAv]:
    """Every general and special stage of the case's type with its AV state (for the case page)."""
    profile = profile_of(case)
    et = profile.enforcement_types[case.enforcement_type]
    out = [stage_av_state(case, profile, s) for s in [*et.stages, *et.special_stages]]
    for state in out:
        state.findings = {r.pk: f for r in state.records if (f := record_findings(r, profile))}
    return out


def media_requirements(case: Case, profile: Profile, stage: Stage, visit: StageVisit | None) -> list[Requirement]:
    """The provider registered with ``liuhen.cases.requirements`` as "media"."""
    state = stage_av_state(case, profile, stage)
    out: list[Requirement] = []
    need = f"{stage.name}必须音像记录"
    if state.items:
        need += f"（{'、'.join(i.name for i in state.items)}）"
    if state.level == "mandatory":
        if state.usable:
            out.append(Requirement("av", f"{need}：已有 {len(state.usable)} 段", MET))
        elif state.full_claims:
            out.append(Requirement("av", f"{need}：视频监控录像全程覆盖", MET))
        elif state.exemption is not None:
            ex = state.exemption
            out.append(Requirement("av", f"{need}：未录制的书面说明已经负责人批准", MET, ex.reason[:200]))
        else:
            why = "；".join(
                f"{r.filename}：{'、'.join(state.unusable[r.pk])}" for r in state.records if r.pk in state.unusable
            )
            partial = [c for c in state.claims if c not in state.full_claims]
            if partial:
                why = "；".join(filter(None, [why, "视频监控录像未全程覆盖"]))
            out.append(
                Requirement(
                    "av",
                    f"{need}，尚无可用的音像记录，也无负责人批准的未录制书面说明",
                    MISSING,
                    why,
                )
            )
    elif state.usable:
        out.append(Requirement("av", f"{stage.name}{state.level_label}音像记录：已有 {len(state.usable)} 段", MET))
    out += noncooperation_requirements(case, profile)
    if state.gaps and (profile.av_rules.interruption_explained or profile.av_rules.continuous):
        out.append(
            Requirement(
                "av:gaps",
                f"录像中断 {len(state.gaps)} 处未说明原因",
                MISSING,
                "；".join(g.label for g in state.gaps[:5]),
            )
        )
    return out


def summary_av_requirements(case: Case, profile: Profile) -> list[Requirement]:
    """The "summary_av" provider (av-summary-procedure-disputed): a summary case whose AV is mandatory
    closes with a usable recording linked to it, or a head-approved written explanation."""
    stage = profile.stage(case.enforcement_type, case.stage)
    if stage is None:
        return []
    state = stage_av_state(case, profile, stage)
    need = "简易程序必须音像记录"
    if state.usable:
        return [Requirement("av:summary", f"{need}：已有 {len(state.usable)} 段", MET)]
    if state.exemption is not None:
        return [Requirement("av:summary", f"{need}：未录制的书面说明已经负责人批准", MET, state.exemption.reason[:200])]
    why = "；".join(f"{r.filename}：{'、'.join(state.unusable[r.pk])}" for r in state.records if r.pk in state.unusable)
    return [Requirement("av:summary", f"{need}，尚无可用的音像记录，也无负责人批准的未录制书面说明", MISSING, why)]


# --------------------------------------------------------------------------- non-cooperation


@dataclass(frozen=True)
class NoncooperationEvent:
    """A recorded refusal (拒绝签名, 拒收而留置送达): when, what, and where it is recorded."""

    code: str  # stable: "signature:<id>" / "delivery:<id>"
    kind: str  # liuhen.policy.schema.NONCOOPERATION_EVENTS
    at: dt.datetime
    label: str
    recordings: tuple[str, ...] = ()  # AV attached to the event itself


def noncooperation_events(case: Case, kinds: set[str]) -> list[NoncooperationEvent]:
    """The case's refusals of the given kinds, as the documents app recorded them."""
    out: list[NoncooperationEvent] = []
    if "signature_refused" in kinds:
        for sig in Signature.objects.filter(document__case=case, refused=True).select_related("document"):
            out.append(
                NoncooperationEvent(
                    f"signature:{sig.pk}",
                    "signature_refused",
                    sig.captured_at,
                    f"{sig.signer_name}拒绝在{sig.document.doc_name}上签名",
                )
            )
    if "delivery_refused" in kinds:
        rows = Delivery.objects.filter(
            case=case, method=DeliveryMethod.LEFT_AT_PREMISES, superseded_by__isnull=True
        ).select_related("version__document")
        for d in rows:
            out.append(
                NoncooperationEvent(
                    f"delivery:{d.pk}",
                    "delivery_refused",
                    d.delivered_at,
                    f"{d.recipient}拒收{d.version.document.doc_name}（留置送达）",
                    tuple(f.get("name", "") for f in d.proof_files if f.get("kind") == "recording"),
                )
            )
    return sorted(out, key=lambda e: e.at)


def recording_at(case: Case, at: dt.datetime) -> MediaRecord | None:
    """A usable record of the case whose recording time includes ``at`` (entered to the minute: ±5 min)."""
    for rec in records_linked(case):
        timing = record_timing(rec)
        covers = timing.known and timing.start - DELIVERY_SLACK <= at <= timing.end + DELIVERY_SLACK
        if covers and not record_problems(rec):
            return rec
    return None


def noncooperation_requirements(case: Case, profile: Profile) -> list[Requirement]:
    """Clause av-mandatory-noncooperation: where a mandatory checklist item names refusal events, each
    such event of the case needs a recording made at its time (or attached to the delivery). The
    refusal itself is always kept (it happened; the recording is often uploaded later, within the
    upload deadline): until a recording is linked, the requirement is missing and the case cannot
    move on or close."""
    items = [i for i in profile.av_checklist if i.level == "mandatory" and i.events]
    if not items:
        return []
    kinds = {k for i in items for k in i.events}
    name = "、".join(i.name for i in items)
    out = []
    for event in noncooperation_events(case, kinds):
        code = f"av:noncooperation:{event.code}"
        label = f"{name}须同步音像记录：{event.label}（{shown(event.at)}）"
        if event.recordings:
            out.append(Requirement(code, label, MET, "送达记录附有录音录像"))
            continue
        rec = recording_at(case, event.at)
        if rec is not None:
            out.append(
                Requirement(code, label, MET, f"音像记录 {rec.filename}（{shown(record_timing(rec).start)} 起）")
            )
        else:
            kind = NONCOOPERATION_EVENTS[event.kind]
            out.append(Requirement(code, label, MISSING, f"本案尚无录制时间包含该{kind}时间的可用音像记录"))
    return out


# --------------------------------------------------------------------------- deliveries


def delivery_av_requirement(profile: Profile, delivery: Any) -> Requirement | None:
    """Mandatory AV for a delivery's method (音像记录事项清单), checked: a recording attached to the
    delivery, or a usable record linked to the case whose recording time includes the delivery.
    Called by ``liuhen.documents.delivery.av_requirements``."""
    item = next(
        (i for i in profile.av_checklist if i.delivery_method == delivery.method and i.level == "mandatory"), None
    )
    if item is None:
        return None
    code = f"av:delivery:{delivery.pk}"
    label = f"{item.name}须同步音像记录（{delivery.version.document.doc_name}）"
    if any(f.get("kind") == "recording" for f in delivery.proof_files):
        return Requirement(code, label, MET, "送达记录附有录音录像")
    at = delivery.delivered_at
    rec = recording_at(delivery.case, at)
    if rec is not None:
        return Requirement(code, label, MET, f"音像记录 {rec.filename}（{shown(record_timing(rec).start)} 起）")
    return Requirement(code, label, MISSING, f"本案尚无录制时间包含送达时间（{shown(at)}）的可用音像记录")


# --------------------------------------------------------------------------- exemptions


def av_exemption_approve(
    *,
    actor: Any,
    case: Case,
    stage_id: str,
    reason: str,
    explained_by: Any = None,
    opinion: str = "",
) -> AvExemption:
    """A head approves the written explanation why a stage has no AV (event ``av_exemption.approved``,
    on the case timeline). The row is the approval; it is never changed."""
    av_exemption_policy.require(actor, "approve")
    role = av_exemption_policy.approver_role(actor)
    case, _ = case_and_stage(actor, case, "")
    profile = profile_of(case)
    stage = profile.stage(case.enforcement_type, stage_id)
    if stage is None:
        raise AvInvalid(f"案件的执法规则中没有环节 {stage_id}", code="av_stage_unknown", stage_id=stage_id)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise AvInvalid("请写明未进行音像记录的原因", code="av_exemption_reason_required")
    explained_by = explained_by or actor
    if explained_by.agency_id != case.agency_id:
        raise AvInvalid("说明人须为本机关人员", code="av_exemption_other_agency")
    with transaction.atomic():
        row = AvExemption(
            case=case,
            stage_id=stage_id,
            reason=reason,
            explained_by=explained_by,
            approved_by=actor,
            approver_role=role,
            opinion=(opinion or "").strip(),
            approved_at=timezone.now(),
        )
        row.save()
        timeline_record(
            case,
            actor=actor,
            action="av_exemption.approved",
            summary=f"批准“{stage.name}”未进行音像记录的书面说明：{reason[:80]}",
            stage_id=stage_id,
            obj=("av_exemption", row.pk),
            payload={
                "case_id": case.pk,
                "stage_id": stage_id,
                "reason": reason,
                "explained_by_id": row.explained_by_id,
                "approved_by_id": row.approved_by_id,
                "approver_role": role,
                "opinion": row.opinion,
            },
        )
    return row
