"""What a stage needs before a case may leave it (the transition guards).

Clauses flow-recording-plan-per-type, src-filing-approval, src-filing-form-content, doc-legal-review,
doc-internal-approval. Each requirement is ``met``, ``missing`` (blocks the step, and the refusal
names it) or ``pending`` (recorded in the transition's ledger event, shown on the case, not
blocking). The apps above cases add their part through ``register_provider`` in their ``ready()``:
documents (the stage's 文书, deliveries) and media (音像记录, and the summary procedure's AV).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from liuhen.cases.models import Approval, Case, Decision, FilingForm, StageVisit
from liuhen.policy.schema import APPROVAL_KINDS, Profile, Stage

MET, MISSING, PENDING = "met", "missing", "pending"


@dataclass(frozen=True)
class Requirement:
    code: str  # stable, e.g. "approval:legal_review", "filing_form", "document:inquiry_record", "av"
    label: str  # Chinese, names what is needed
    status: str  # met / missing / pending
    note: str = ""

    @property
    def blocking(self) -> bool:
        return self.status == MISSING

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


Provider = Callable[[Case, Profile, Stage, StageVisit | None], list[Requirement]]
SummaryProvider = Callable[[Case, Profile], list[Requirement]]
_PROVIDERS: dict[str, Any] = {}


def register_provider(name: str, provider: Provider | SummaryProvider) -> None:
    """Another app takes over its part of the guards: "documents" and "media" per stage (a Provider),
    "summary_av" for closing a summary case (a SummaryProvider)."""
    _PROVIDERS[name] = provider


def summary_av_question(profile: Profile, case: Case) -> str:
    """Where the profile makes AV mandatory for the summary procedure only in a situation (av_condition,
    e.g. 容易引起争议的), the officer answers this yes/no item in the summary record; "" otherwise."""
    sp = profile.enforcement_types[case.enforcement_type].summary_procedure
    if sp.av != "mandatory" or not sp.av_condition:
        return ""
    return f"是否属于{sp.av_condition.removesuffix('的').removesuffix('时')}（是/否）"


def summary_items(profile: Profile, case: Case) -> list[str]:
    """What the summary record holds: the profile's must-record items, then the AV question if any."""
    sp = profile.enforcement_types[case.enforcement_type].summary_procedure
    question = summary_av_question(profile, case)
    return [*sp.must_record, *([question] if question else [])]


def summary_av_requirements(case: Case, profile: Profile) -> list[Requirement]:
    """av-summary-procedure-disputed: a summary case closes only with its AV record (or a head-approved
    written explanation) where the profile makes AV mandatory — always, or when the officer answered
    that the situation of ``av_condition`` applies."""
    sp = profile.enforcement_types[case.enforcement_type].summary_procedure
    if sp.av != "mandatory":
        return []
    question = summary_av_question(profile, case)
    if question and (case.summary_record or {}).get(question) != "是":
        return []
    provider = _PROVIDERS.get("summary_av")
    return provider(case, profile) if provider is not None else []


def latest_filing_form(case: Case) -> FilingForm | None:
    return case.filing_forms.order_by("-revision").first()


def approvals_needed(case: Case, profile: Profile, stage: Stage, *, special: bool) -> list[str]:
    et = profile.enforcement_types[case.enforcement_type]
    if not special and et.filing_stage == stage.id:
        return profile.filing_chain()
    return list(stage.approvals)


def approval_state(
    case: Case, visit: StageVisit | None, kinds: list[str], *, filing: bool = False
) -> dict[str, Approval | None]:
    """The latest act of each kind: in this visit, or for the filing approval on the latest form revision
    (the form may be approved before the case reaches the filing stage)."""
    acts = Approval.objects.filter(case=case, kind__in=kinds).order_by("acted_at", "id")
    if filing:
        form = latest_filing_form(case)
        acts = acts.filter(filing_form=form) if form is not None else acts.none()
    elif visit is not None:
        acts = acts.filter(visit=visit)
    else:
        acts = acts.none()
    latest: dict[str, Approval | None] = dict.fromkeys(kinds)
    for act in acts:
        latest[act.kind] = act
    return latest


def _approvals(
    case: Case, profile: Profile, stage: Stage, visit: StageVisit | None, special: bool
) -> list[Requirement]:
    kinds = approvals_needed(case, profile, stage, special=special)
    if not kinds:
        return []
    filing = not special and profile.enforcement_types[case.enforcement_type].filing_stage == stage.id
    state = approval_state(case, visit, kinds, filing=filing)
    out = []
    for kind in kinds:
        act = state[kind]
        label = APPROVAL_KINDS[kind]
        if act is not None and act.decision == Decision.APPROVED:
            out.append(Requirement(f"approval:{kind}", f"{label}：{act.actor_name}同意", MET))
        elif act is not None:
            out.append(Requirement(f"approval:{kind}", f"{label}未同意（{act.actor_name}：{act.opinion}）", MISSING))
        else:
            out.append(Requirement(f"approval:{kind}", f"{label}未完成", MISSING))
    return out


def _filing(case: Case, profile: Profile, stage: Stage) -> list[Requirement]:
    et = profile.enforcement_types[case.enforcement_type]
    if et.filing_stage != stage.id:
        return []
    form = latest_filing_form(case)
    name = "立案审批表"
    if profile.filing is not None and profile.filing.form in profile.document_types:
        name = profile.document_types[profile.filing.form].name
    if form is None:
        return [Requirement("filing_form", f"{name}未提交", MISSING)]
    return [Requirement("filing_form", f"{name}已提交（第 {form.revision} 版）", MET)]


def stage_requirements(case: Case, profile: Profile, stage_id: str, *, visit: StageVisit | None) -> list[Requirement]:
    """Everything the stage needs, in the order people check it."""
    stage = profile.stage(case.enforcement_type, stage_id)
    if stage is None:
        return [Requirement("stage_unknown", f"环节 {stage_id} 不在执法规则配置中", MISSING)]
    et = profile.enforcement_types[case.enforcement_type]
    special = stage_id in {s.id for s in et.special_stages}
    reqs = [*_filing(case, profile, stage), *_approvals(case, profile, stage, visit, special)]
    if case.urgent_start and not special and et.filing_stage == stage_id and case.filed_at is None:
        # 紧急情况先行启动: the case may go on; the filing must follow within the filing_makeup deadline.
        reqs = [
            Requirement(r.code, r.label, PENDING, "紧急情况先行启动，须在补办期限内完成") if r.blocking else r
            for r in reqs
        ]
    for name in ("documents", "media"):
        if (provider := _PROVIDERS.get(name)) is not None:
            reqs += provider(case, profile, stage, visit)
    return reqs
