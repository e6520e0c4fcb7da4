"""The typed shape of a policy profile (政策配置): one agency's rules for whole-process recording, as data.

Clauses flow-recording-plan-per-type and av-matter-list: for every enforcement type its general and
special stages, the documents each stage needs and whether audio-video recording is mandatory,
recommended or optional there; plus every deadline, retention rule and the recording notice wording.

Every model refuses unknown keys (``extra="forbid"``) so that a misspelt key is an error, not a
silently ignored rule. Checks that span sections (a stage or document type that is referred to must
exist, clause ids must be in the catalogue) live in :mod:`liuhen.policy.loader`. The schema grows by
optional fields with defaults here (the national baseline states today's values), so profiles written
before keep loading.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from liuhen.core.roles import ALL_ROLES, BUSINESS_ROLES, ROLE_LABELS

ENFORCEMENT_TYPES: dict[str, str] = {
    "penalty": "行政处罚",
    "inspection": "行政检查",
    "coercion": "行政强制",
    "licensing": "行政许可",
    "confirmation": "行政确认",
}
AV_LEVELS: dict[str, str] = {"mandatory": "必须", "recommended": "建议", "optional": "可选"}
DEADLINE_UNITS: dict[str, str] = {"working_days": "个工作日", "calendar_days": "日"}
RETENTION_UNITS: dict[str, str] = {"months": "个月", "years": "年"}
KEEP_CLASSES: dict[str, str] = {
    "permanent": "永久保存",
    "long_term": "长期保存",
    "with_case_file": "随案卷按档案保存期限保存",
}
BASES: dict[str, str] = {
    "seed": "本机关制度规定",
    "baseline": "本机关制度未规定，按国家基线",
    "law": "按法律法规或档案管理规定",
    "silent": "本机关制度未规定",
}
# Events that lengthen retention; the archive app maps recorded facts onto these codes.
RETENTION_EVENTS: dict[str, str] = {
    "used_as_evidence": "作为证据使用",
    "obstruction": "当事人或现场人员阻碍执法、妨碍公务",
    "dispute_complaint_petition": "当事人有异议或投诉、上访",
    "major_incident": "处置重大突发事件、群体性事件",
    "major_complex_matter": "重大、疑难、复杂的执法活动",
    "other": "其他需要延长保存的情形",
}
# Roles that may approve (codes of liuhen.org.rules.Role); kept here as data so profiles can name them.
APPROVER_ROLES: dict[str, str] = {
    "department_head": "科室负责人",
    "agency_head": "机关负责人",
    "legal_reviewer": "法制审核人员",
    "records_keeper": "档案管理员",
}
# Roles that may act on a case (codes of liuhen.core.roles.Role): who records an approval act.
ACTOR_ROLES: dict[str, str] = {r: ROLE_LABELS[r] for r in ALL_ROLES if r in BUSINESS_ROLES}
# Approval acts on a case: what a stage needs before it may be left.
APPROVAL_KINDS: dict[str, str] = {
    "department_head": "科室负责人审批",
    "legal_review": "法制审核",
    "collective_discussion": "集体讨论",
    "expert_review": "专家论证",
    "agency_head": "机关负责人审批",
}
# Events of a case that start or stop a deadline clock; "stage_entered:<id>" / "stage_left:<id>" too.
CLOCK_EVENTS: dict[str, str] = {
    "case_opened": "案件启动",
    "case_opened_urgent": "紧急情况先行启动",
    "case_filed": "立案审批通过",
    "case_closed": "结案",
    "case_archived": "立卷归档",
}
# Events where the party or others do not cooperate (当事人或者有关人员不配合行政执法), as recorded
# by the documents app: a refusal to sign, a refusal to accept a document (留置送达).
NONCOOPERATION_EVENTS: dict[str, str] = {
    "signature_refused": "拒绝签名",
    "delivery_refused": "拒绝签收送达的文书（留置送达）",
}
SIGNERS: dict[str, str] = {
    "officer": "执法人员",
    "party": "当事人",
    "witness": "见证人",
    "recipient": "受送达人",
    "interviewee": "被询问人",
    "approver": "审批人",
    "expert": "专家",
    "deliverer": "送达人",
}

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_PROFILE_ID = re.compile(r"^[a-z][a-z0-9-]*$")
_CLAUSE_ID = re.compile(r"^[a-z]+(-[a-z0-9]+)+$")


def _one_of(allowed: dict[str, str]) -> Any:
    choices = "/".join(allowed)

    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError(
                "unknown_value", '未知取值 "{value}"，应为 {choices}', {"value": value, "choices": choices}
            )
        return value

    return AfterValidator(check)


def _pattern(regex: re.Pattern[str], what: str) -> Any:
    def check(value: str) -> str:
        if not regex.match(value):
            raise PydanticCustomError("bad_code", '{what} "{value}" 格式不对', {"what": what, "value": value})
        return value

    return AfterValidator(check)


EnforcementTypeCode = Annotated[str, _one_of(ENFORCEMENT_TYPES)]
AvLevel = Annotated[str, _one_of(AV_LEVELS)]
DeadlineUnit = Annotated[str, _one_of(DEADLINE_UNITS)]
RetentionUnit = Annotated[str, _one_of(RETENTION_UNITS)]
KeepClass = Annotated[str, _one_of(KEEP_CLASSES)]
Basis = Annotated[str, _one_of(BASES)]
RetentionEvent = Annotated[str, _one_of(RETENTION_EVENTS)]
ApproverRole = Annotated[str, _one_of(APPROVER_ROLES)]
ApprovalKind = Annotated[str, _one_of(APPROVAL_KINDS)]
ActorRole = Annotated[str, _one_of(ACTOR_ROLES)]
Signer = Annotated[str, _one_of(SIGNERS)]
NoncooperationEvent = Annotated[str, _one_of(NONCOOPERATION_EVENTS)]
Slug = Annotated[str, _pattern(_SLUG, "代码")]
ClauseId = Annotated[str, _pattern(_CLAUSE_ID, "条款编号")]
NonNegative = Annotated[int, Field(ge=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(Strict):
    """An entry that may come from clauses of ``regulations/clauses.yaml``."""

    clauses: list[ClauseId] = []
    note: str = ""


# ---------------------------------------------------------------- documents (文书目录)


class DocumentField(Strict):
    id: Slug
    label: str
    required: bool = True
    clauses: list[ClauseId] = []


class DocumentType(Cited):
    """One form of the agency's standard set (制式文书): its fields, who signs it, what must come before it."""

    name: str
    form_no: str = ""  # number in the agency's set, e.g. "文化市场执法文书格式 3"
    fields: list[DocumentField] = []
    signers: list[Signer] = []
    names_officers: bool = False  # officers' number, names, certificate numbers and their showing
    # Rights and responses (doc-rights-notice, doc-defense-review):
    needs_served: list[Slug] = []  # forms that must be finalised and served with full proof before this one
    answered_by: Slug | None = None  # each finalised record of this form is answered by a record of that form
    needs_answers: bool = False  # every answerable record of the case must be answered before this one

    @model_validator(mode="after")
    def _unique_fields(self) -> DocumentType:
        seen: set[str] = set()
        for f in self.fields:
            if f.id in seen:
                raise PydanticCustomError("duplicate", '字段代码 "{id}" 重复', {"id": f.id})
            seen.add(f.id)
        return self


# ---------------------------------------------------------------- procedure (程序环节)


class Stage(Cited):
    """A general stage (一般程序环节) of an enforcement type, in order."""

    id: Slug
    name: str
    documents: list[Slug] = []  # document type codes the stage always needs
    documents_if_applicable: list[Slug] = []  # made when the situation arises (e.g. 抽样 -> 抽样取证凭证)
    av: AvLevel = "optional"  # 音像记录事项清单: mandatory / recommended / optional
    av_clauses: list[ClauseId] = []
    av_content: list[str] = []  # what the recording must show (重点摄录内容)
    basis: Basis = "seed"  # "baseline" where the seed does not name this stage
    approvals: list[ApprovalKind] = []  # approval acts recorded before the stage may be left, in order

    @model_validator(mode="after")
    def _baseline_is_said(self) -> Stage:
        if self.basis != "seed" and not self.note:
            raise PydanticCustomError("note_required", "环节不是出自本机关制度时须在 note 中说明")
        return self


class SpecialStage(Stage):
    """A special stage (特别程序环节) entered from some general stages and left back to the process."""

    enter_from: list[Slug] = Field(min_length=1)  # general stage ids where it may be entered
    pauses_deadlines: bool = False  # suspension (中止): deadlines stop running until it ends
    moves_deadlines: bool = False  # extension (延期): deadlines move, with approval


class SummaryProcedure(Cited):
    """简易程序: whether the type may be decided on the spot, and what must then be recorded."""

    allowed: bool
    basis: Basis = "seed"
    must_record: list[str] = []
    av: AvLevel = "optional"
    av_condition: str = ""  # e.g. "容易引起争议的"


class EnforcementType(Cited):
    starts_at: str  # the event where the whole process begins (程序启动)
    stages: list[Stage] = Field(min_length=1)
    special_stages: list[SpecialStage] = []
    summary_procedure: SummaryProcedure = SummaryProcedure(allowed=False, basis="silent")
    stage_list_basis: Basis = "seed"  # whether the seed names the stages or they follow the baseline
    # The general stage that ends with the filing approval (立案/程序启动审批); None: no filing step.
    filing_stage: Slug | None = None
    # 案源 (src-case-source-register): an ordinary-procedure case of this type is opened only from a
    # registered lead, and its procedure runs from when the lead was obtained (处罚程序自获取违法线索时启动).
    requires_lead: bool = False
    runs_from_lead: bool = False


# ---------------------------------------------------------------- AV (音像记录)


class DocumentCondition(Strict):
    """A finalised document of the case whose field contains one of the words (e.g. 强制执行方式 代履行)."""

    document: Slug
    field: Slug
    any_of: list[str] = Field(min_length=1)


class AvChecklistItem(Cited):
    """A situation in the 音像记录事项清单 that is not a whole stage (留置送达, 当事人不配合, ...)."""

    id: Slug
    name: str
    level: AvLevel
    stages: list[str] = []  # "<type>.<stage id>" where the situation arises
    delivery_method: str = ""  # GLOSSARY delivery code where the item is a way of delivery
    condition: str = ""  # when it applies, in the seed's words
    content: list[str] = []
    # Case events that make the item apply (av-mandatory-noncooperation): each such event needs a
    # recording of the case made at its time.
    events: list[NoncooperationEvent] = []
    # The item applies to its stages only when a finalised document of the case says so
    # (av-mandatory-compulsory-execution: 代履行 etc., not 加处罚款).
    applies_if: DocumentCondition | None = None


class OpeningStatement(Cited):
    required: bool
    items: list[str] = []  # what is said when recording starts


class RecordingNotice(Cited):
    """告知规范用语: the words officers say to tell the party they are being recorded."""

    required: bool
    text: str | None = None  # verbatim from the seed where it gives one
    verbatim: bool = False
    basis: Basis = "seed"

    @model_validator(mode="after")
    def _text_or_note(self) -> RecordingNotice:
        if self.text is None and not self.note:
            raise PydanticCustomError("note_required", "未给出告知用语时须在 note 中说明原因")
        return self


class AvRequirement(Cited):
    id: Slug
    text: str


_AV_RULE_FLAGS = (
    "continuous",
    "interruption_explained",
    "pre_use_check",
    "offsite_backup",
    "failure_report_to_superior",
    "device_use_required",
    "bystander_notice",
)


class AvRules(Cited):
    """How recordings are made and kept, beyond which stages need them (the media app reads these)."""

    opening_statement: OpeningStatement = OpeningStatement(required=False, note="本机关制度未规定")
    continuous: bool = False  # no gaps within one site (av-continuous)
    interruption_explained: bool = False  # spoken on resuming, or written when it could not resume
    pre_use_check: bool = False  # function, battery, storage, clock before use
    tagging_fields: list[str] = []  # what each stored recording is labelled with
    offsite_backup: bool = False
    failure_report_to_superior: bool = False
    # Officers holding a body camera use it throughout (dev-mandatory-use): an on-site act of a holder
    # with no recording of that device in its time is flagged.
    device_use_required: bool = False
    # When the party or others film the officers, they are told it must follow the rules
    # (av-bystander-recording): a recording attesting filming without that notice is flagged.
    bystander_notice: bool = False
    clause_map: dict[str, list[ClauseId]] = {}  # flag name above -> clauses it comes from
    requirements: list[AvRequirement] = []  # further rules in the seed's words
    # Technical tolerances. The seeds forbid gaps but give no number: a camera that splits a
    # long recording into files leaves a second or two between them. Beyond ``gap_tolerance_seconds``
    # between consecutive segments of one device in one session, a gap needs an interruption note; a
    # device clock off by more than ``clock_drift_tolerance_seconds`` at docking is flagged.
    gap_tolerance_seconds: NonNegative = 5
    clock_drift_tolerance_seconds: NonNegative = 30
    tolerance_note: str = ""  # where the numbers come from (the seeds are silent on both)

    @model_validator(mode="after")
    def _known_flags(self) -> AvRules:
        for key in self.clause_map:
            if key not in (*_AV_RULE_FLAGS, "tagging_fields"):
                raise PydanticCustomError(
                    "unknown_value",
                    '未知取值 "{value}"，应为 {choices}',
                    {"value": key, "choices": "/".join((*_AV_RULE_FLAGS, "tagging_fields"))},
                )
        return self


# ---------------------------------------------------------------- deadlines and retention


def _clock_event(value: str) -> str:
    kind, sep, stage = value.partition(":")
    if (not sep and kind in CLOCK_EVENTS) or (sep and kind in ("stage_entered", "stage_left") and _SLUG.match(stage)):
        return value
    raise PydanticCustomError(
        "unknown_value",
        '未知的期限起止事件 "{value}"，应为 {choices} 或 stage_entered:<环节代码> / stage_left:<环节代码>',
        {"value": value, "choices": "/".join(CLOCK_EVENTS)},
    )


ClockEvent = Annotated[str, AfterValidator(_clock_event)]


class CaseClock(Strict):
    """When a case deadline runs: from ``start`` until ``stop``, for the listed enforcement types."""

    types: list[EnforcementTypeCode] = []  # empty: every type the agency handles
    start: ClockEvent
    stop: ClockEvent
    pausable: bool = True  # a suspension (中止) stops the clock; an approved extension moves it


class Deadline(Cited):
    """A number of days with its unit, counted from an event. ``value`` null means the seed is silent."""

    label: str
    value: NonNegative | None
    unit: DeadlineUnit
    counted_from: str
    basis: Basis = "seed"
    clock: CaseClock | None = None  # for ``others``: the case events that start and stop it

    @model_validator(mode="after")
    def _silence_is_explicit(self) -> Deadline:
        if self.value is None and self.basis != "silent":
            raise PydanticCustomError("silent_basis", "未给出数值（null）时 basis 须为 silent")
        if self.value is not None and self.basis == "silent":
            raise PydanticCustomError("silent_basis", "basis 为 silent 时 value 须为 null")
        if self.basis in ("silent", "baseline", "law") and not self.note:
            raise PydanticCustomError("note_required", "数值不是出自本机关制度时须在 note 中说明")
        return self


class Deadlines(Strict):
    av_upload: Deadline
    av_upload_after_return: Deadline
    archiving: Deadline
    filing_makeup: Deadline
    others: dict[Slug, Deadline] = {}


class Period(Cited):
    label: str
    value: NonNegative | None
    unit: RetentionUnit
    minimum: bool = True  # "不少于"
    basis: Basis = "seed"

    @model_validator(mode="after")
    def _silence_is_explicit(self) -> Period:
        if (self.value is None) != (self.basis in ("silent", "law")):
            raise PydanticCustomError("silent_basis", "value 为 null 当且仅当 basis 为 silent 或 law")
        if self.basis in ("silent", "baseline", "law") and not self.note:
            raise PydanticCustomError("note_required", "数值不是出自本机关制度时须在 note 中说明")
        return self

    def in_months(self) -> int | None:
        if self.value is None:
            return None
        return self.value * 12 if self.unit == "years" else self.value


class RetentionTrigger(Cited):
    event: RetentionEvent
    label: str
    keep: KeepClass
    applies_to: list[Annotated[str, _one_of({"av": "音像记录", "text": "文字记录", "all": "全部记录"})]] = ["av"]


class EvidenceDisc(Cited):
    """AV used as evidence goes onto a disc with a written statement (arch-av-evidence-disc)."""

    required: bool = False
    statement_fields: list[str] = []  # 制作人、提取人、提取时间 ...
    retention_follows_case_file: bool = False


class Disposal(Cited):
    """Who approves a disposal batch (销毁审批, clause integ-no-destroy-within-retention).

    The proposer of a batch never approves it, whatever roles they hold. ``basis`` says whether the
    seed names the approver or the national practice (the agency head) is taken.
    """

    approvers: Annotated[list[ApproverRole], Field(min_length=1)] = ["agency_head"]
    basis: Basis = "baseline"


class Retention(Strict):
    av_stored_min: Period
    case_file: Period
    evidence_disc: EvidenceDisc = EvidenceDisc(note="本机关制度未规定")
    triggers: list[RetentionTrigger] = []
    electronic_data: Cited | None = None
    disposal: Disposal = Disposal(note="本机关制度未规定销毁审批人；按国家基线由机关负责人审批")


# ---------------------------------------------------------------- case files (立卷归档)


class CaseFileVolume(Strict):
    """One volume of the case file (正卷 / 副卷) and the document types it takes, in order."""

    code: Slug
    title: str
    documents: list[Slug] = []  # document type codes in the order they are filed (unknown codes are ignored)


_MAIN_ORDER = [
    "filing_approval_form",
    "decision_letter",
    "seizure_decision",
    "seizure_list",
    "seizure_release_decision",
    "evidence_retrieval_notice",
    "hearing_notice",
    "rights_notice",
    "prior_notice",
    "rectification_order",
    "demand_notice",
    "delivery_receipt",
    "hearing_record",
    "statement_defence_record",
    "reexamination_opinion",
    "interview_record",
    "site_inspection_record",
    "evidence_preservation_list",
    "sampling_voucher",
    "appraisal_commission",
    "appraisal_opinion",
    "follow_up_record",
    "performance_check_record",
    "court_execution_application",
]
_SECONDARY_ORDER = [
    "case_source_register",
    "head_approval_form",
    "coercion_approval_form",
    "legal_review_opinion",
    "expert_opinion",
    "collective_discussion_minutes",
    "closure_report",
]


class CaseFileRules(Cited):
    """How a closed case is filed (forms.md §3): volumes in order, which document types each takes
    (decision first, process and evidence after, internal deliberation in the secondary volume);
    documents of types no volume names go to ``default_volume`` after the named ones, AV records and
    the timeline to ``av_volume``. ``remind_before_working_days``: the archiving deadline is flagged
    to the handler, department head and records keeper this many working days before it is due."""

    volumes: Annotated[list[CaseFileVolume], Field(min_length=1)] = [
        CaseFileVolume(code="main", title="正卷", documents=_MAIN_ORDER),
        CaseFileVolume(code="secondary", title="副卷", documents=_SECONDARY_ORDER),
    ]
    default_volume: Slug = "main"
    av_volume: Slug = "main"
    remind_before_working_days: NonNegative = 5

    @model_validator(mode="after")
    def _volumes_known(self) -> CaseFileRules:
        codes = [v.code for v in self.volumes]
        if len(set(codes)) != len(codes):
            raise PydanticCustomError("volume_duplicate", "案卷的卷代码不能重复")
        for name in ("default_volume", "av_volume"):
            if getattr(self, name) not in codes:
                raise PydanticCustomError("volume_unknown", "{name} 须是 volumes 中的一个卷", {"name": name})
        return self


# ---------------------------------------------------------------- approvals, filing and access


class ApprovalRule(Cited):
    """One kind of approval act (doc-internal-approval, doc-legal-review, doc-collective-discussion,
    doc-expert-review): the roles that act on it — whoever holds one of them for the case records the
    act — and, where the act lists people (the members of a collective discussion, the experts), how
    many it must list at least."""

    roles: Annotated[list[ActorRole], Field(min_length=1)]
    min_participants: NonNegative = 0


# Today's rules, stated by the national baseline (policies/national-baseline.yaml) and inherited.
DEFAULT_APPROVALS: dict[str, ApprovalRule] = {
    "department_head": ApprovalRule(roles=["department_head"]),
    "legal_review": ApprovalRule(roles=["legal_reviewer"]),
    "collective_discussion": ApprovalRule(roles=["agency_head"], min_participants=3),
    "expert_review": ApprovalRule(roles=["officer", "department_head"], min_participants=1),
    "agency_head": ApprovalRule(roles=["agency_head"]),
}
# ``filing.approvers`` name roles; each is recorded as this kind of approval act.
DEFAULT_APPROVER_KINDS: dict[str, str] = {
    "department_head": "department_head",
    "agency_head": "agency_head",
    "legal_reviewer": "legal_review",
    "records_keeper": "department_head",
}


class Filing(Cited):
    """立案（程序启动）审批: the form, its required fields, who approves."""

    form: Slug
    required_fields: list[Slug] = []
    approvers: list[ApproverRole] = []
    approver_kinds: dict[ApproverRole, ApprovalKind] = DEFAULT_APPROVER_KINDS  # the act each approver records
    approver_label: str = ""
    basis: Basis = "seed"
    makeup_allowed: bool = False  # special cases may start first and file within deadlines.filing_makeup
    not_filed_notice_to: list[str] = []  # complainant / informant / referring_agency


class AccessRule(Cited):
    id: Slug
    text: str


# ---------------------------------------------------------------- the profile


class Profile(Strict):
    id: Annotated[str, _pattern(_PROFILE_ID, "配置编号")]
    version: Annotated[str, Field(min_length=1)]
    agency_name: str
    regulation_title: str
    source_seed: str | None  # file in regulations/seeds/, None for the national baseline
    baseline: str | None = None  # the profile whose values are taken where basis is "baseline"
    summary: str = ""
    record_forms: Cited = Cited()
    enforcement_types: dict[EnforcementTypeCode, EnforcementType] = Field(min_length=1)
    document_types: dict[Slug, DocumentType] = {}
    av_checklist: list[AvChecklistItem] = []
    av_rules: AvRules = AvRules()
    recording_notice: RecordingNotice
    deadlines: Deadlines
    retention: Retention
    case_file: CaseFileRules = CaseFileRules(note="本机关制度未规定卷内顺序；按通行的正卷、副卷顺序")
    approvals: dict[ApprovalKind, ApprovalRule] = DEFAULT_APPROVALS
    filing: Filing | None = None
    access: list[AccessRule] = []

    def stage(self, enforcement_type: str, stage_id: str) -> Stage | None:
        et = self.enforcement_types.get(enforcement_type)
        if et is None:
            return None
        for s in [*et.stages, *et.special_stages]:
            if s.id == stage_id:
                return s
        return None

    def av_level(self, enforcement_type: str, stage_id: str) -> str | None:
        s = self.stage(enforcement_type, stage_id)
        return s.av if s else None

    def filing_chain(self) -> list[str]:
        """The approval kinds of the filing approval, in the order of ``filing.approvers``."""
        if self.filing is None:
            return ["agency_head"]
        return [self.filing.approver_kinds[r] for r in self.filing.approvers] or ["agency_head"]
