"""证据光盘接口 (evidence discs API), mounted at /api/discs/ (clause arch-av-evidence-disc).

``POST /api/discs/`` queues a disc (records keeper of the case's agency only; a selection larger than the
medium gets ``422 disc_too_large`` with ``detail.discs`` and ``detail.fitting_medium``); ``GET
/api/discs/{id}`` reports status and progress to poll; the image (byte ranges) and the statement PDF are
served once the disc is ``verified``, each download in the ledger. Same services as the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from liuhen.archive.discs.requests import disc_request
from liuhen.archive.discs.selection import disc_candidates, disc_plan_for, resolve_selection
from liuhen.archive.discs.selectors import disc_get, discs_of_case
from liuhen.archive.discs.views import image_download, statement_download
from liuhen.archive.models import EvidenceDisc
from liuhen.cases import selectors as case_selectors
from liuhen.core.api import ERRORS
from liuhen.core.inputs import Id

router = Router(tags=["证据光盘"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class RecordRef(Schema):
    type: str = Field(description="av_record（音像记录）或 document_version（文书定稿版本）")
    id: Id


class DiscIn(Schema):
    case_id: Id
    records: list[RecordRef] = Field(description="所选记录（须为本案的音像记录或已定稿文书）")
    maker: str = Field(description="制作人")
    extractor: str = Field(description="提取人")
    extracted_at: dt.datetime = Field(description="提取时间（带时区）")
    medium: str = Field("dvd", description="cd（700 MB）/ dvd（4.7 GB）/ bd（25 GB）")


class PlanIn(Schema):
    case_id: Id
    records: list[RecordRef]
    medium: str = "dvd"


class PlanOut(Schema):
    medium: str
    files: int
    selected_bytes: int
    needed: int = Field(description="连同光盘自带文件和块对齐后所需字节数")
    capacity: int = Field(description="一张光盘的可用字节数")
    fits: bool
    discs: int = Field(description="所需该介质光盘张数")
    fitting_medium: str = Field(description="能容纳的最小介质；都容纳不下时为空")
    message: str


class CandidateOut(Schema):
    type: str
    id: int
    title: str
    kind: str
    sha256: str
    size: int
    duration: float | None


class DiscOut(Schema):
    id: int
    case_id: int
    status: str
    phase: str
    progress: int
    files_total: int
    files_done: int
    bytes_total: int
    bytes_done: int
    medium: str
    maker: str
    extractor: str
    extracted_at: dt.datetime
    requested_at: dt.datetime
    built_at: dt.datetime | None
    image_sha256: str
    image_size: int | None
    statement_sha256: str
    verified_at: dt.datetime | None
    verification: dict[str, Any]
    error: str
    selection: list[dict[str, Any]]


def _out(disc: EvidenceDisc) -> dict[str, Any]:
    return {f: getattr(disc, f) for f in DiscOut.model_fields if f != "case_id"} | {"case_id": disc.case_id}


def _refs(records: list[RecordRef]) -> list[str]:
    return [f"{r.type}:{r.id}" for r in records]


@router.get("/candidates", response={200: list[CandidateOut], **ERRORS}, summary="本案可刻入光盘的记录")
def candidates(request: HttpRequest, case_id: Id) -> Any:
    case = case_selectors.case_get(_user(request), case_id)
    return [
        {
            "type": c.type,
            "id": c.id,
            "title": c.title,
            "kind": c.kind,
            "sha256": c.sha256,
            "size": c.size,
            "duration": c.duration,
        }
        for c in disc_candidates(case)
    ]


@router.post("/plan", response={200: PlanOut, **ERRORS}, summary="所选记录与光盘容量的比较（可拆分张数）")
def plan(request: HttpRequest, body: PlanIn) -> Any:
    case = case_selectors.case_get(_user(request), body.case_id)
    result = disc_plan_for(resolve_selection(case, _refs(body.records)), body.medium)
    return {k: getattr(result, k) for k in PlanOut.model_fields}


@router.post("/", response={201: DiscOut, **ERRORS}, summary="申请刻制证据光盘（后台制作并回读校验）")
def create(request: HttpRequest, body: DiscIn) -> Any:
    case = case_selectors.case_get(_user(request), body.case_id)
    disc = disc_request(
        actor=_user(request),
        case=case,
        record_refs=_refs(body.records),
        maker=body.maker,
        extractor=body.extractor,
        extracted_at=body.extracted_at,
        medium=body.medium,
    )
    return Status(201, _out(disc))


@router.get("/", response={200: list[DiscOut], **ERRORS}, summary="案件的证据光盘")
def list_discs(request: HttpRequest, case_id: Id) -> Any:
    case = case_selectors.case_get(_user(request), case_id)
    return [_out(d) for d in discs_of_case(user=_user(request), case=case)]


@router.get("/{disc_id}", response={200: DiscOut, **ERRORS}, summary="证据光盘状态与进度")
def detail(request: HttpRequest, disc_id: Id) -> Any:
    return _out(disc_get(user=_user(request), disc_id=disc_id))


@router.get(
    "/{disc_id}/image",
    response={200: None, 206: None, 416: None, **ERRORS},
    summary="下载光盘镜像（支持 Range；仅档案管理员，已校验后）",
)
def image(request: HttpRequest, disc_id: Id) -> HttpResponse:
    disc = disc_get(user=_user(request), disc_id=disc_id)
    return image_download(request, disc)


@router.get("/{disc_id}/statement", response={200: None, **ERRORS}, summary="下载文字说明（PDF）")
def statement(request: HttpRequest, disc_id: Id) -> HttpResponse:
    disc = disc_get(user=_user(request), disc_id=disc_id)
    return statement_download(request, disc)
