"""保管期限接口 (retention API), mounted at /api/retention/: a record's terms with their history and
holds, lengthening, holds, disposal batches (propose, approve, decline, run) and tombstones.

Clause integ-no-destroy-within-retention. The same services as the pages. Refusals are
``{code, message, detail}``, e.g. ``409 retention_not_expired`` / ``409 retention_permanent`` /
``409 retention_open`` / ``409 record_held`` (disposal of a record that may not be disposed — each
refusal also logged in the ledger), ``409 retention_would_shorten``, ``422 retention_event_unknown``,
``403 disposal_self_approval``, ``409 disposal_not_approved``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from liuhen.archive.policies import disposal_batch_policy
from liuhen.archive.retention import disposal, holds, terms
from liuhen.archive.retention.records import retention_record_get
from liuhen.archive.retention.selectors import batch_get, batch_view, batches_for, hold_view, record_view
from liuhen.cases.selectors import case_get
from liuhen.core.inputs import Id

router = Router(tags=["保管期限与销毁"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class TermOut(Schema):
    id: int
    blob_sha256: str
    retention_class: str
    class_label: str
    starts_on: dt.date | None
    keep_until: dt.date | None
    permanent: bool
    trigger: str
    reason: str
    supersedes_id: int | None
    assigned_at: dt.datetime
    current: bool


class HoldOut(Schema):
    id: int
    scope: str
    reason: str
    set_by_name: str
    set_at: dt.datetime
    released: bool


class RecordRetentionOut(Schema):
    object_type: str
    object_id: str
    label: str
    case_id: int | None
    current: list[TermOut]
    history: list[TermOut]
    holds: list[HoldOut]
    disposable: bool
    refusal: str | None


@router.get("/records/{object_type}/{object_id}", response=RecordRetentionOut, summary="记录的保管期限、历史与冻结")
def record_get(request: HttpRequest, object_type: str, object_id: str) -> dict[str, Any]:
    _, ref = retention_record_get(_user(request), object_type, object_id)
    return record_view(ref)


class ExtendIn(Schema):
    event: str
    reason: str
    until: dt.date | None = None


@router.post("/records/{object_type}/{object_id}/extend", response=RecordRetentionOut, summary="延长保管期限")
def record_extend(request: HttpRequest, object_type: str, object_id: str, body: ExtendIn) -> dict[str, Any]:
    obj, ref = retention_record_get(_user(request), object_type, object_id)
    terms.retention_extend(actor=_user(request), obj=obj, event=body.event, reason=body.reason, until=body.until)
    return record_view(ref)


class HoldIn(Schema):
    reason: str
    object_type: str = ""
    object_id: str = ""
    case_id: Id | None = None


@router.post("/holds", response={201: HoldOut}, summary="设置冻结（暂停销毁）")
def hold_create(request: HttpRequest, body: HoldIn) -> Status:
    user = _user(request)
    if body.case_id is not None:
        hold = holds.hold_set(actor=user, case=case_get(user, body.case_id), reason=body.reason)
    else:
        obj, _ = retention_record_get(user, body.object_type, body.object_id)
        hold = holds.hold_set(actor=user, obj=obj, reason=body.reason)
    return Status(201, hold_view(hold, released=False))


class ReasonIn(Schema):
    reason: str


@router.post("/holds/{hold_id}/release", response=HoldOut, summary="解除冻结")
def hold_lift(request: HttpRequest, hold_id: Id, body: ReasonIn) -> dict[str, Any]:
    user = _user(request)
    hold = holds.hold_get(actor=user, hold_id=hold_id)
    holds.hold_release(actor=user, hold=hold, reason=body.reason)
    return hold_view(hold, released=True)


class DisposalItemOut(Schema):
    object_type: str
    object_id: str
    blob_sha256: str
    state: str
    note: str


class BatchOut(Schema):
    id: int
    status: str
    reason: str
    proposed_by_id: int
    proposed_at: dt.datetime
    approval_role: str
    approved_by_name: str
    approved_at: dt.datetime | None
    approval_opinion: str
    items_count: int
    disposed: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str
    items: list[DisposalItemOut]


class ProposeIn(Schema):
    reason: str
    records: list[tuple[str, str]] | None = None  # [[object_type, object_id], ...]; null: all eligible


@router.get("/disposal/batches", response=list[BatchOut], summary="销毁批次列表")
def batch_list(request: HttpRequest) -> list[dict[str, Any]]:
    disposal_batch_policy.require(_user(request), "view")
    return [batch_view(b) for b in batches_for(_user(request))[:200]]


@router.post("/disposal/batches", response={201: BatchOut}, summary="提出销毁（只能是保存期满且未冻结的记录）")
def batch_propose(request: HttpRequest, body: ProposeIn) -> Status:
    batch = disposal.disposal_propose(actor=_user(request), reason=body.reason, records=body.records, via="api")
    return Status(201, batch_view(batch))


@router.get("/disposal/batches/{batch_id}", response=BatchOut, summary="销毁批次详情与进度")
def batch_detail(request: HttpRequest, batch_id: Id) -> dict[str, Any]:
    return batch_view(batch_get(actor=_user(request), batch_id=batch_id))


class OpinionIn(Schema):
    opinion: str = ""


@router.post("/disposal/batches/{batch_id}/approve", response=BatchOut, summary="批准销毁")
def batch_approve(request: HttpRequest, batch_id: Id, body: OpinionIn) -> dict[str, Any]:
    return batch_view(disposal.disposal_approve(actor=_user(request), batch_id=batch_id, opinion=body.opinion))


@router.post("/disposal/batches/{batch_id}/decline", response=BatchOut, summary="不批准销毁")
def batch_decline(request: HttpRequest, batch_id: Id, body: OpinionIn) -> dict[str, Any]:
    return batch_view(disposal.disposal_decline(actor=_user(request), batch_id=batch_id, opinion=body.opinion))


@router.post("/disposal/batches/{batch_id}/run", response={202: BatchOut}, summary="执行销毁（后台任务）")
def batch_run(request: HttpRequest, batch_id: Id) -> Status:
    return Status(202, batch_view(disposal.disposal_start(actor=_user(request), batch_id=batch_id)))
