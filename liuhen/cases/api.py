"""案件接口 (cases API), mounted at /api/cases/: leads, cases and every step of the procedure.

The same services as the pages: each step checks its guards, records its ledger event and answers
a refusal with ``{code, message, detail}`` (``detail.missing`` lists what a stage still needs).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from liuhen.cases import selectors, services
from liuhen.cases.errors import CaseInvalid
from liuhen.cases.models import Case, CaseSource
from liuhen.cases.policies import case_policy
from liuhen.core.api import ERRORS
from liuhen.core.inputs import Count, Days, Id, Page
from liuhen.org.models import Department, User
from liuhen.policy.schema import ENFORCEMENT_TYPES

router = Router(tags=["案件"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _people(actor: Any, ids: list[int]) -> list[Any]:
    people = list(User.objects.filter(pk__in=ids, agency_id=actor.agency_id))
    if len(people) != len(set(ids)):
        raise CaseInvalid("承办人不存在或不属于本机关", code="handler_invalid")
    return people


def _department(actor: Any, pk: int | None) -> Department | None:
    if pk is None:
        return None
    dept = Department.objects.filter(pk=pk, agency_id=actor.agency_id).first()
    if dept is None:
        raise CaseInvalid("承办科室不存在或不属于本机关", code="department_other_agency")
    return dept


# ---------------------------------------------------------------- schemas


class LeadIn(Schema):
    kind: str = Field(
        description="案源类型：own_inspection 自行检查发现 / complaint 投诉 / report 举报 / assigned 上级交办 / referred 其他机关移送 / other"
    )
    received_at: dt.datetime = Field(description="获取时间（不能晚于现在）")
    summary: str = Field(description="线索内容")
    party_name: str = ""
    party_info: str = ""
    reporter_name: str = Field("", description="投诉人/举报人（受保护身份）；投诉必填")
    reporter_contact: str = ""
    referring_body: str = Field("", description="交办或移送机关；交办、移送必填")
    department_id: Id | None = None


class LeadOut(Schema):
    id: int
    number: str
    kind: str
    received_at: dt.datetime
    summary: str
    party_name: str
    status: str
    registered_at: dt.datetime


class NoticeIn(Schema):
    recipient_kind: str = Field(description="complainant 投诉人 / informant 举报人 / referring_agency 移送（交办）机关")
    recipient_name: str
    method: str = Field(description="phone / letter / in_person / sms / online / other")
    notified_at: dt.datetime | None = None
    note: str = ""


class NotFileIn(Schema):
    reasons: str = Field(description="不予立案理由")
    notices: list[NoticeIn] = Field(default_factory=list, description="对投诉人、举报人或移送机关的告知")


class CaseOpenIn(Schema):
    enforcement_type: str = Field(description="/".join(f"{k} {v}" for k, v in ENFORCEMENT_TYPES.items()))
    title: str = Field(description="案由或事项")
    party_name: str = ""
    party_info: str = ""
    source_id: Id | None = Field(None, description="案源编号；一般程序行政处罚必填")
    handler_ids: list[Id] = Field(default_factory=list, description="承办执法人员（一般程序不少于两人）")
    department_id: Id | None = None
    procedure: str = Field("ordinary", description="ordinary 一般程序 / summary 简易程序")
    urgent: bool = Field(False, description="紧急情况先行启动（配置允许时），须在补办期限内完成立案审批")
    urgent_reason: str = ""
    started_at: dt.datetime | None = Field(None, description="程序启动时间；处罚案件取案源获取时间")


class DeadlineOut(Schema):
    code: str
    label: str
    value: int
    unit: str
    started_on: dt.date
    due_on: dt.date
    provisional: bool = Field(description="暂定：届满日所在年份的节假日尚未录入")
    status: str
    state: str = Field(description="running / due_soon / overdue / paused / met / late")


class RequirementOut(Schema):
    code: str
    label: str
    status: str = Field(description="met 已满足 / missing 缺少（阻止推进） / pending 待文书或音像模块核验")
    note: str


class ActionOut(Schema):
    code: str
    label: str
    stage_id: str
    kind: str
    enabled: bool
    reason: str


class CaseOut(Schema):
    id: int
    number: str
    enforcement_type: str
    procedure: str
    title: str
    party_name: str
    status: str
    stage: str
    profile_id: str
    profile_version: str
    source_id: int | None
    urgent_start: bool
    started_at: dt.datetime
    filed_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int


class CaseDetailOut(CaseOut):
    handlers: list[int]
    requirements: list[RequirementOut]
    deadlines: list[DeadlineOut]
    actions: list[ActionOut]


class TimelineOut(Schema):
    at: dt.datetime
    actor_name: str
    action: str
    stage_id: str
    summary: str
    ref_type: str
    ref_id: str
    event_seq: int = Field(description="账本事件序号（可导出存在性证明）")


class FilingFormIn(Schema):
    values: dict[str, str] = Field(description="立案审批表各栏目（栏目代码见执法规则配置的文书目录）")


class FilingFormOut(Schema):
    id: int
    revision: int
    values: dict[str, str]
    submitted_at: dt.datetime


class ApprovalIn(Schema):
    kind: str = Field(
        description="department_head / legal_review / collective_discussion / expert_review / agency_head"
    )
    decision: str = Field(description="approved 同意 / rejected 不同意")
    opinion: str
    suggestions: str = ""
    participants: list[str] = Field(default_factory=list)
    minutes: str = ""
    conclusion: str = ""
    extend_days: Days | None = None
    stage_id: str | None = None
    expected_version: Count | None = Field(None, description="案件版本号；与当前不符时拒绝（防止同时审批）")


class ApprovalOut(Schema):
    id: int
    stage_id: str
    kind: str
    decision: str
    opinion: str
    actor_name: str
    certificate_no: str
    acted_at: dt.datetime


class StepIn(Schema):
    expected_stage: str | None = Field(None, description="当前环节代码；与实际不符时拒绝（防止重复推进）")
    note: str = ""


class SpecialEnterIn(Schema):
    stage_id: str
    reason: str
    requested_days: Days | None = Field(None, description="延期环节须写明申请延长的天数")


class SpecialLeaveIn(Schema):
    outcome: str


class SummaryIn(Schema):
    values: dict[str, str] = Field(description="简易程序须记录的事项（事项名称见执法规则配置）")


class ReferralIn(Schema):
    receiver_kind: str = Field(description="agency 其他行政机关 / public_security 公安机关 / judicial 司法机关")
    receiver_name: str
    reason: str = Field(description="jurisdiction / crime_suspected / obstruction / other")
    document_no: str
    items: str
    ends_case: bool = True


class ReferralOut(Schema):
    id: int
    receiver_kind: str
    receiver_name: str
    reason: str
    document_no: str
    ends_case: bool
    sent_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by_name: str


class AckIn(Schema):
    acknowledged_at: dt.datetime
    acknowledged_by_name: str
    note: str = ""


class CaseFilters(Schema):
    enforcement_type: str = ""
    stage: str = ""
    status: str = ""
    handler: Id | None = None
    due: str = Field("", description="soon 即将到期 / late 逾期")
    q: str = ""


# ---------------------------------------------------------------- leads


@router.get("/leads/", response={200: list[LeadOut], **ERRORS}, summary="案源列表")
def lead_list(request: HttpRequest, page: Query[Page]) -> Any:
    return list(page.slice(selectors.source_list(_user(request))))


@router.post("/leads/", response={201: LeadOut, **ERRORS}, summary="登记案源")
def lead_register(request: HttpRequest, body: LeadIn) -> Any:
    actor = _user(request)
    data = body.dict()
    department = _department(actor, data.pop("department_id"))
    return Status(201, services.case_source_register(actor=actor, department=department, **data))


@router.get("/leads/{lead_id}", response={200: LeadOut, **ERRORS}, summary="案源")
def lead_get(request: HttpRequest, lead_id: Id) -> Any:
    return selectors.source_get(_user(request), lead_id)


@router.post("/leads/{lead_id}/not-file", response={200: LeadOut, **ERRORS}, summary="不予立案（并记录告知）")
def lead_not_file(request: HttpRequest, lead_id: Id, body: NotFileIn) -> Any:
    actor = _user(request)
    source = selectors.source_get(actor, lead_id)
    services.case_source_not_file(
        actor=actor, source=source, reasons=body.reasons, notices=[n.dict() for n in body.notices]
    )
    source.refresh_from_db()
    return source


@router.post("/leads/{lead_id}/notices", response={201: dict[str, Any], **ERRORS}, summary="补记不予立案告知")
def lead_notice(request: HttpRequest, lead_id: Id, body: NoticeIn) -> Any:
    actor = _user(request)
    notice = services.case_source_notice_record(
        actor=actor, source=selectors.source_get(actor, lead_id), notice=body.dict()
    )
    return Status(201, {"id": notice.pk, "recipient_kind": notice.recipient_kind, "notified_at": notice.notified_at})


@router.post("/leads/{lead_id}/referrals", response={201: ReferralOut, **ERRORS}, summary="移送案源")
def lead_refer(request: HttpRequest, lead_id: Id, body: ReferralIn) -> Any:
    actor = _user(request)
    return Status(
        201, services.referral_create(actor=actor, source=selectors.source_get(actor, lead_id), **body.dict())
    )


# ---------------------------------------------------------------- cases


def _detail(user: Any, case: Case) -> dict[str, Any]:
    out = CaseOut.from_orm(case).dict()
    out["handlers"] = list(case.handlers.values_list("pk", flat=True))
    out["requirements"] = [r.as_dict() for r in selectors.current_requirements(case)]
    out["deadlines"] = [
        {**{f: getattr(v.deadline, f) for f in DeadlineOut.model_fields if f != "state"}, "state": v.state}
        for v in selectors.case_deadlines(case)
    ]
    out["actions"] = [a.__dict__ for a in selectors.available_actions(user, case)]
    return out


@router.get("/", response={200: list[CaseOut], **ERRORS}, summary="案件列表")
def case_list(request: HttpRequest, filters: Query[CaseFilters], page: Query[Page]) -> Any:
    return list(page.slice(selectors.case_list(_user(request), **filters.dict())))


@router.post("/", response={201: CaseDetailOut, **ERRORS}, summary="启动案件")
def case_open(request: HttpRequest, body: CaseOpenIn) -> Any:
    actor = _user(request)
    data = body.dict()
    source_id = data.pop("source_id")
    source: CaseSource | None = selectors.source_get(actor, source_id) if source_id else None
    handlers = _people(actor, data.pop("handler_ids"))
    department = _department(actor, data.pop("department_id"))
    case = services.case_open(actor=actor, source=source, handlers=handlers, department=department, **data)
    return Status(201, _detail(actor, case))


@router.get("/deadlines/due", response={200: list[DeadlineOut], **ERRORS}, summary="我的待办期限")
def deadlines_due(request: HttpRequest, within_days: Days = 7) -> Any:
    case_policy.require(_user(request), "list")
    rows = selectors.due_for_user(_user(request), within_days=within_days)
    return [
        {**{f: getattr(v.deadline, f) for f in DeadlineOut.model_fields if f != "state"}, "state": v.state}
        for v in rows
    ]


@router.get("/{case_id}", response={200: CaseDetailOut, **ERRORS}, summary="案件详情（当前环节要求、期限、可执行操作）")
def case_get(request: HttpRequest, case_id: Id) -> Any:
    user = _user(request)
    return _detail(user, selectors.case_get(user, case_id))


@router.get("/{case_id}/timeline", response={200: list[TimelineOut], **ERRORS}, summary="案件全过程时间线")
def case_timeline(request: HttpRequest, case_id: Id) -> Any:
    return list(selectors.timeline(selectors.case_get(_user(request), case_id)))


@router.post("/{case_id}/filing-form", response={201: FilingFormOut, **ERRORS}, summary="提交立案审批表")
def filing_form(request: HttpRequest, case_id: Id, body: FilingFormIn) -> Any:
    actor = _user(request)
    return Status(
        201, services.filing_form_submit(actor=actor, case=selectors.case_get(actor, case_id), values=body.values)
    )


@router.post(
    "/{case_id}/approvals",
    response={201: ApprovalOut, **ERRORS},
    summary="记录审批（科室负责人、法制审核、集体讨论、专家论证、机关负责人）",
)
def approval(request: HttpRequest, case_id: Id, body: ApprovalIn) -> Any:
    actor = _user(request)
    return Status(201, services.approval_record(actor=actor, case=selectors.case_get(actor, case_id), **body.dict()))


@router.post("/{case_id}/advance", response={200: CaseDetailOut, **ERRORS}, summary="进入下一环节")
def advance(request: HttpRequest, case_id: Id, body: StepIn) -> Any:
    actor = _user(request)
    case = services.case_advance(actor=actor, case=selectors.case_get(actor, case_id), **body.dict())
    return _detail(actor, case)


@router.post("/{case_id}/special-stages", response={201: CaseDetailOut, **ERRORS}, summary="进入特别程序环节")
def special_enter(request: HttpRequest, case_id: Id, body: SpecialEnterIn) -> Any:
    actor = _user(request)
    case = selectors.case_get(actor, case_id)
    services.special_stage_enter(actor=actor, case=case, **body.dict())
    case.refresh_from_db()
    return Status(201, _detail(actor, case))


@router.post(
    "/{case_id}/special-stages/{stage_id}/leave", response={200: CaseDetailOut, **ERRORS}, summary="结束特别程序环节"
)
def special_leave(request: HttpRequest, case_id: Id, stage_id: str, body: SpecialLeaveIn) -> Any:
    actor = _user(request)
    case = selectors.case_get(actor, case_id)
    services.special_stage_leave(actor=actor, case=case, stage_id=stage_id, outcome=body.outcome)
    case.refresh_from_db()
    return _detail(actor, case)


@router.post("/{case_id}/summary-record", response={200: CaseDetailOut, **ERRORS}, summary="记录简易程序事项")
def summary(request: HttpRequest, case_id: Id, body: SummaryIn) -> Any:
    actor = _user(request)
    case = services.summary_record(actor=actor, case=selectors.case_get(actor, case_id), values=body.values)
    return _detail(actor, case)


@router.post("/{case_id}/close", response={200: CaseDetailOut, **ERRORS}, summary="结案")
def close(request: HttpRequest, case_id: Id, body: StepIn) -> Any:
    actor = _user(request)
    case = services.case_close(actor=actor, case=selectors.case_get(actor, case_id), **body.dict())
    return _detail(actor, case)


@router.post("/{case_id}/referrals", response={201: ReferralOut, **ERRORS}, summary="移送案件")
def refer(request: HttpRequest, case_id: Id, body: ReferralIn) -> Any:
    actor = _user(request)
    return Status(201, services.referral_create(actor=actor, case=selectors.case_get(actor, case_id), **body.dict()))


@router.post("/referrals/{referral_id}/acknowledge", response={200: ReferralOut, **ERRORS}, summary="记录移送回执")
def acknowledge(request: HttpRequest, referral_id: Id, body: AckIn) -> Any:
    actor = _user(request)
    referral = selectors.referral_get(actor, referral_id)
    return services.referral_acknowledge(actor=actor, referral=referral, **body.dict())
