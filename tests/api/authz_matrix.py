"""The expected outcome of every API operation for every demo role, as data (issue 11).

Each operation id of the OpenAPI (``liuhen.api.api.get_openapi_schema()``) maps to an :class:`Entry`:
the kind of object it addresses and, per role, what the role gets for its own agency's object (or for
the call itself when the operation addresses no object):

- ``ok``: authorisation passes (2xx, or a refusal about the request or the state: 409/422…);
- ``forbidden``: 403 with a stable code (a known object, or a call, the role may not use);
- ``not_found``: 404 (the role may not know the object exists: an upload is its uploader's alone).

Another agency's object and an id that does not exist answer ``not_found`` for every role; the test
adds those cells itself. The table says *who may*, never *how it is checked*, so it holds across
reorganisations of the checks (issue 12: one permission policy per protected kind).

Demo roles: one account each in ``liuhen.org.demo.DEMO_PEOPLE``; the officer handles the demo cases.
``business`` operations carry enforcement data: the three administrators (三员) never get ``ok`` there.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from liuhen.testing.images import signature_png

OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not_found"

OFFICER = "officer"
DEPARTMENT_HEAD = "department_head"
AGENCY_HEAD = "agency_head"
LEGAL_REVIEWER = "legal_reviewer"
RECORDS_KEEPER = "records_keeper"
SUPERVISOR = "supervisor"
SYSTEM_ADMIN = "system_admin"
SECURITY_ADMIN = "security_admin"
AUDIT_ADMIN = "audit_admin"
ROLES = (
    OFFICER,
    DEPARTMENT_HEAD,
    AGENCY_HEAD,
    LEGAL_REVIEWER,
    RECORDS_KEEPER,
    SUPERVISOR,
    SYSTEM_ADMIN,
    SECURITY_ADMIN,
    AUDIT_ADMIN,
)
ADMIN_ROLES = (SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN)

# Who works cases (cases.work) and who reads them (those, and supervisors).
WORKERS = (OFFICER, DEPARTMENT_HEAD, AGENCY_HEAD, LEGAL_REVIEWER, RECORDS_KEEPER)
READERS = (*WORKERS, SUPERVISOR)
DEVICE_MANAGERS = (DEPARTMENT_HEAD, AGENCY_HEAD, RECORDS_KEEPER)
EVERYONE = ROLES

# The path (or query, or body) parameter that holds the id of an object of each kind.
SUBJECTS: dict[str, str] = {
    "user": "user_id",
    "token": "token_id",
    "event": "seq",
    "report": "report_id",
    "profile": "profile_id",
    "lead": "lead_id",
    "case": "case_id",
    "referral": "referral_id",
    "document": "document_id",
    "delivery": "delivery_id",
    "device": "device_id",
    "device_serial": "serial",
    "upload": "upload_id",
    "av_record": "record_id",
    "av_session": "session_id",
    "disc": "disc_id",
    "retention_record": "object_id",
    "hold": "hold_id",
    "disposal_batch": "batch_id",
    "case_file": "case_file_id",
}
# Kinds that belong to the deployment, not to an agency: an existing one and a missing one are tried.
GLOBAL_KINDS = frozenset({"report", "profile"})
# Path and query values that are not the addressed object's id.
DEFAULT_PARAMS: dict[str, Any] = {"role": OFFICER, "day": "2026-10-08", "year": 2027}


def subject(kind: str) -> str:
    return SUBJECTS[kind]


def only(*roles: str, others: str = FORBIDDEN) -> dict[str, str]:
    """``ok`` for ``roles``, ``others`` (forbidden) for the rest."""
    return {r: (OK if r in roles else others) for r in ROLES}


def but(base: dict[str, str], **changes: str) -> dict[str, str]:
    return {**base, **changes}


@dataclass(frozen=True)
class Entry:
    kind: str | None
    expect: dict[str, str]
    business: bool = True
    # Body fields beyond the schema's minimum (a callable gets the world and the target).
    body: dict[str, Any] | Callable[[Any, Any], dict[str, Any]] = field(default_factory=dict)
    body_ids: tuple[str, ...] = ()  # body fields holding the addressed object's id (``*_ids``: a list of it)
    query_ids: tuple[str, ...] = ()  # query parameters holding it

    def __post_init__(self) -> None:
        assert self.kind is None or self.kind in SUBJECTS, f"unknown kind {self.kind}"


# ---------------------------------------------------------------- request bodies (valid, so the service decides)

_NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
NOW = (_NOW - dt.timedelta(minutes=30)).isoformat()  # just past: nothing may be dated in the future
LATER = (_NOW - dt.timedelta(minutes=10)).isoformat()
PNG_BASE64 = base64.b64encode(signature_png(seed=5)).decode()


def _ids(*kinds: str) -> Callable[[Any, Any], dict[str, Any]]:
    """Body fields naming objects of the addressed agency: ``record_ids=av_record`` style pairs."""

    def make(world: Any, target: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for pair in kinds:
            name, kind = pair.split("=")
            value = target.agency.ids[kind]
            out[name] = [value] if name.endswith("_ids") else value
        return out

    return make


def _with(fixed: dict[str, Any], *kinds: str) -> Callable[[Any, Any], dict[str, Any]]:
    ids = _ids(*kinds)
    return lambda world, target: {**fixed, **ids(world, target)}


def _holder(world: Any, target: Any) -> dict[str, Any]:
    return {"holder_id": target.agency.users[OFFICER].pk, "note": "配发"}


def _delivery_json(world: Any, target: Any) -> dict[str, Any]:
    return {"data": json.dumps({"method": "direct", "recipient": "当事人", "delivered_at": NOW})}


REFERRAL = {
    "receiver_kind": "agency",
    "receiver_name": "某区市场监督管理局",
    "reason": "jurisdiction",
    "document_no": "移〔2026〕9号",
    "items": "案卷材料一份",
}
APPROVAL = {"kind": "department_head", "decision": "approved", "opinion": "同意"}
NOTE = {"note": "授权矩阵测试"}


# ---------------------------------------------------------------- the matrix

ORG = {
    "liuhen_org_api_me": Entry(None, only(*EVERYONE), business=False),
    "liuhen_org_api_department_list": Entry(None, only(*EVERYONE), business=False),
    "liuhen_org_api_department_create": Entry(None, only(SYSTEM_ADMIN), business=False),
    "liuhen_org_api_officer_list": Entry(None, only(*EVERYONE), business=False),
    "liuhen_org_api_officer_create": Entry(
        None,
        only(SYSTEM_ADMIN),
        business=False,
        body={
            "name": "新执法员",
            "certificate_no": "MATRIX0001",
            "certificate_issuer": "某市人民政府",
            "certificate_valid_from": "2026-01-01",
            "certificate_valid_until": "2029-12-31",
        },
    ),
    "liuhen_org_api_user_list": Entry(
        None, only(DEPARTMENT_HEAD, AGENCY_HEAD, SUPERVISOR, SYSTEM_ADMIN, SECURITY_ADMIN), business=False
    ),
    "liuhen_org_api_user_create": Entry(
        None,
        only(SYSTEM_ADMIN),
        business=False,
        body={"username": "matrix.user", "display_name": "矩阵", "password": "Matrix-test-2026!"},
    ),
    "liuhen_org_api_user_detail": Entry(
        "user", only(DEPARTMENT_HEAD, AGENCY_HEAD, SUPERVISOR, SYSTEM_ADMIN, SECURITY_ADMIN), business=False
    ),
    "liuhen_org_api_role_grant": Entry("user", only(SECURITY_ADMIN), business=False, body={"role": LEGAL_REVIEWER}),
    "liuhen_org_api_role_revoke": Entry("user", only(SECURITY_ADMIN), business=False),
    "liuhen_org_api_token_list": Entry(None, only(SECURITY_ADMIN), business=False),
    "liuhen_org_api_token_issue": Entry("user", only(SECURITY_ADMIN), business=False, body={"name": "二号采集站"}),
    "liuhen_org_api_token_revoke": Entry("token", only(SECURITY_ADMIN), business=False),
}

# The audit trail's proofs and verification runs: the audit administrator and supervisors.
AUDIT = only(AUDIT_ADMIN, SUPERVISOR)
# Checkpoints and the public key (sizes and hashes; witnesses fetch them without logging in): as the pages.
CHECKPOINT_READERS = only(AUDIT_ADMIN, SUPERVISOR, SYSTEM_ADMIN, SECURITY_ADMIN)
LEDGER = {
    "liuhen_ledger_api_checkpoint_latest": Entry(None, CHECKPOINT_READERS, business=False),
    "liuhen_ledger_api_public_key": Entry(None, CHECKPOINT_READERS, business=False),
    "liuhen_ledger_api_event_proof": Entry("event", AUDIT, business=False),
    "liuhen_ledger_api_verification_start": Entry(None, AUDIT, business=False, body={"sample": 0.0}),
    "liuhen_ledger_api_verification_latest": Entry(None, AUDIT, business=False),
    "liuhen_ledger_api_verification_get": Entry("report", AUDIT, business=False),
    # For outside witnesses (liuhen-witness): no login at all, the cosignature itself is checked.
    "liuhen_ledger_api_witness_checkpoint": Entry(None, only(*EVERYONE), business=False),
    "liuhen_ledger_api_witness_consistency": Entry(None, only(*EVERYONE), business=False),
    # ... and a cosignature from a witness key the deployment does not list is refused whoever sends it.
    "liuhen_ledger_api_witness_cosign": Entry(None, only(), business=False),
}

POLICY = {
    "liuhen_policy_api_mine": Entry(None, only(*READERS, SYSTEM_ADMIN), business=False),
    "liuhen_policy_api_profile_detail": Entry("profile", only(*READERS, SYSTEM_ADMIN), business=False),
    "liuhen_policy_calendar_api_add_working_days": Entry(None, only(*EVERYONE), business=False),
    "liuhen_policy_calendar_api_day_info": Entry(None, only(*EVERYONE), business=False),
    "liuhen_policy_calendar_api_years": Entry(None, only(*EVERYONE), business=False),
    "liuhen_policy_calendar_api_day_set": Entry(
        None,
        only(SYSTEM_ADMIN),
        business=False,
        body={"day": "2027-10-01", "is_working_day": False, "name": "国庆节"},
    ),
    "liuhen_policy_calendar_api_year_confirm": Entry(
        None, only(SYSTEM_ADMIN), business=False, body={"source": "国务院办公厅关于2027年部分节假日安排的通知"}
    ),
}

# Handlers act on a case; their department head and the agency head may too (legal reviewers and
# records keepers see every case but do not handle it).
HANDLERS = (OFFICER, DEPARTMENT_HEAD, AGENCY_HEAD)
HEADS = (DEPARTMENT_HEAD, AGENCY_HEAD)

CASES = {
    "liuhen_cases_api_lead_list": Entry(None, only(*WORKERS)),
    "liuhen_cases_api_lead_register": Entry(
        None, only(*WORKERS), body={"kind": "own_inspection", "received_at": NOW, "summary": "日常巡查发现"}
    ),
    "liuhen_cases_api_lead_get": Entry("lead", only(*WORKERS)),
    "liuhen_cases_api_lead_not_file": Entry("lead", only(*HEADS), body={"reasons": "不属于本机关管辖"}),
    "liuhen_cases_api_lead_notice": Entry(
        "lead", only(*WORKERS), body={"recipient_kind": "informant", "recipient_name": "举报人", "method": "phone"}
    ),
    "liuhen_cases_api_lead_refer": Entry("lead", only(*WORKERS), body=REFERRAL),
    "liuhen_cases_api_case_list": Entry(None, only(*READERS)),
    "liuhen_cases_api_case_open": Entry(
        None, only(*WORKERS), body={"enforcement_type": "inspection", "title": "检查", "procedure": "summary"}
    ),
    "liuhen_cases_api_deadlines_due": Entry(None, only(*READERS)),
    "liuhen_cases_api_case_get": Entry("case", only(*READERS)),
    "liuhen_cases_api_case_timeline": Entry("case", only(*READERS)),
    "liuhen_cases_api_filing_form": Entry("case", only(*HANDLERS), body={"values": {"source": "检查发现"}}),
    # A department head's approval (the body names the kind): only a department head may record it.
    "liuhen_cases_api_approval": Entry("case", only(DEPARTMENT_HEAD), body=APPROVAL),
    "liuhen_cases_api_advance": Entry("case", only(*HANDLERS)),
    "liuhen_cases_api_special_enter": Entry(
        "case", only(*HANDLERS), body={"stage_id": "interview", "reason": "需要询问当事人"}
    ),
    "liuhen_cases_api_special_leave": Entry("case", only(*HANDLERS), body={"outcome": "询问完毕"}),
    "liuhen_cases_api_summary": Entry("case", only(*HANDLERS), body={"values": {"事实": "现场检查"}}),
    "liuhen_cases_api_close": Entry("case", only(*HANDLERS)),
    "liuhen_cases_api_refer": Entry("case", only(*HANDLERS), body=REFERRAL),
    "liuhen_cases_api_acknowledge": Entry(
        "referral", only(*WORKERS), body={"acknowledged_at": NOW, "acknowledged_by_name": "接收机关经办人"}
    ),
}

DOCUMENTS = {
    "liuhen_documents_api_document_list": Entry("case", only(*READERS)),
    "liuhen_documents_api_document_create": Entry("case", only(*HANDLERS), body={"doc_type": "site_inspection_record"}),
    "liuhen_documents_api_paper_attach": Entry("case", only(*HANDLERS), body={"doc_type": "site_inspection_record"}),
    "liuhen_documents_api_document_get": Entry("document", only(*READERS)),
    "liuhen_documents_api_draft_save": Entry("document", only(*HANDLERS), body={"values": {}}),
    "liuhen_documents_api_sign": Entry(
        "document", only(*HANDLERS), body={"role": "party", "signer_name": "当事人", "image_base64": PNG_BASE64}
    ),
    "liuhen_documents_api_refuse": Entry(
        "document",
        only(*HANDLERS),
        body={
            "role": "party",
            "signer_name": "当事人",
            "refusal_reason": "拒绝签名",
            "witness_name": "见证人",
            "witness_image_base64": PNG_BASE64,
        },
    ),
    "liuhen_documents_api_finalise": Entry("document", only(*HANDLERS)),
    "liuhen_documents_api_correct": Entry("document", only(*HANDLERS), body={"reason": "笔录时间有误"}),
    "liuhen_documents_api_version_pdf": Entry("document", only(*READERS)),
    "liuhen_documents_api_seal": Entry("document", only(*READERS)),
    "liuhen_documents_delivery_api_delivery_list": Entry("document", only(*READERS)),
    "liuhen_documents_delivery_api_delivery_create": Entry(
        "document", only(*HANDLERS), body={"method": "direct", "recipient": "当事人", "delivered_at": NOW}
    ),
    "liuhen_documents_delivery_api_delivery_create_multipart": Entry("document", only(*HANDLERS), body=_delivery_json),
    "liuhen_documents_delivery_api_case_served": Entry("case", only(*READERS)),
    "liuhen_documents_delivery_api_proof_get": Entry("delivery", only(*READERS)),
}

DEVICES = {
    "liuhen_devices_api_device_list": Entry(None, only(*READERS)),
    "liuhen_devices_api_device_register": Entry(
        None, only(*DEVICE_MANAGERS), body={"serial": "MATRIX-CAM-1", "kind": "body_camera"}
    ),
    "liuhen_devices_api_device_by_serial": Entry("device_serial", only(*READERS)),
    "liuhen_devices_api_device_detail": Entry("device", only(*READERS)),
    "liuhen_devices_api_device_assign": Entry("device", only(*DEVICE_MANAGERS), body=_holder),
    "liuhen_devices_api_device_unassign": Entry("device", only(*DEVICE_MANAGERS), body=NOTE),
    # Only the camera's holder checks it before use.
    "liuhen_devices_api_preuse_check": Entry(
        "device",
        only(OFFICER),
        body={"function_ok": True, "battery_ok": True, "storage_ok": True, "clock_calibrated": True},
    ),
    "liuhen_devices_api_preuse_status": Entry("device", only(*READERS)),
    # The camera's holder reports its fault, and so may those who manage devices.
    "liuhen_devices_api_fault_report": Entry(
        "device", only(OFFICER, *DEVICE_MANAGERS), body={"kind": "fault", "description": "无法开机", "occurred_at": NOW}
    ),
    "liuhen_devices_api_repair_start": Entry("device", only(*DEVICE_MANAGERS), body=NOTE),
    "liuhen_devices_api_repair_done": Entry("device", only(*DEVICE_MANAGERS), body=NOTE),
    "liuhen_devices_api_device_retire": Entry("device", only(*DEVICE_MANAGERS), body=NOTE),
}

MEDIA = {
    "liuhen_media_api_media_upload": Entry(None, only(*WORKERS)),
    "liuhen_media_api_media_list": Entry(None, only(*READERS)),
    # An upload in progress is its uploader's alone: another case worker is told it does not exist; a
    # role that never sees AV records (the three administrators) is refused.
    "liuhen_media_api_media_by_upload": Entry(
        "upload", but(only(OFFICER, others=NOT_FOUND), **dict.fromkeys(ADMIN_ROLES, FORBIDDEN))
    ),
    "liuhen_media_api_docking_report": Entry(
        None, only(*WORKERS), body={"device_serial": "MATRIX-CAM-1", "device_time": NOW, "station_time": NOW}
    ),
    "liuhen_media_api_media_get": Entry("av_record", only(*READERS)),
    "liuhen_media_api_capture_record_get": Entry("av_record", only(*READERS)),
    "liuhen_media_api_capture_captures_list": Entry("av_record", only(*READERS)),
    "liuhen_media_api_capture_capture_post": Entry("av_record", only(*WORKERS), body={"party": "某网吧"}),
    "liuhen_media_api_capture_link_post": Entry("av_record", only(*WORKERS), body={"reason": "关联错误"}),
    "liuhen_media_api_capture_session_post": Entry(
        "case", only(*WORKERS), body={"title": "现场检查（续）"}, body_ids=("case_id",)
    ),
    "liuhen_media_api_capture_session_get": Entry("av_session", only(*READERS)),
    "liuhen_media_api_capture_segments_post": Entry("av_session", only(*WORKERS), body=_ids("record_ids=av_record")),
    "liuhen_media_api_capture_interruption_post": Entry(
        "av_session", only(*WORKERS), body=_with({"cause": "device_fault"}, "before_id=av_record")
    ),
    # Officers declare their own remote work (a records keeper holds no enforcement certificate).
    "liuhen_media_api_capture_away_post": Entry(
        None,
        only(OFFICER, DEPARTMENT_HEAD, AGENCY_HEAD, LEGAL_REVIEWER),
        body={"kind": "remote", "started_on": "2026-11-20", "returned_on": "2026-11-25"},
    ),
    "liuhen_media_api_capture_away_list": Entry(None, only(*READERS)),
    "liuhen_media_api_capture_late_list": Entry(None, only(*READERS)),
    "liuhen_media_api_capture_case_stages": Entry("case", only(*READERS)),
    "liuhen_media_api_capture_case_unrecorded_acts": Entry("case", only(*READERS)),
    "liuhen_media_api_capture_untagged_list": Entry(None, only(*READERS)),
    # A written explanation instead of AV is approved by a head.
    "liuhen_media_api_capture_exemption_post": Entry(
        "case", only(*HEADS), body={"stage_id": "site_inspection", "reason": "现场未配备执法记录仪"}
    ),
    "liuhen_media_api_capture_coverage_post": Entry(
        "case",
        only(*WORKERS),
        body=_with({"act_start": NOW, "act_end": LATER}, "record_ids=av_record"),
        body_ids=("case_id",),
    ),
}

DISC = _with({"maker": "赵档案", "extractor": "王执法", "extracted_at": NOW, "medium": "cd"})
ARCHIVE = {
    "liuhen_archive_discs_api_candidates": Entry("case", only(*READERS), query_ids=("case_id",)),
    "liuhen_archive_discs_api_plan": Entry("case", only(*READERS), body={"records": []}, body_ids=("case_id",)),
    "liuhen_archive_discs_api_create": Entry("case", only(RECORDS_KEEPER), body=DISC, body_ids=("case_id",)),
    "liuhen_archive_discs_api_list_discs": Entry("case", only(*READERS), query_ids=("case_id",)),
    "liuhen_archive_discs_api_detail": Entry("disc", only(*READERS)),
    "liuhen_archive_discs_api_image": Entry("disc", only(RECORDS_KEEPER)),
    "liuhen_archive_discs_api_statement": Entry("disc", only(*READERS)),
    "liuhen_archive_retention_api_record_get": Entry("retention_record", only(*READERS)),
    "liuhen_archive_retention_api_record_extend": Entry(
        "retention_record", only(*WORKERS), body={"event": "dispute_complaint_petition", "reason": "当事人投诉"}
    ),
    # Holds (冻结) are set and lifted by the agency head, legal reviewers and supervisors.
    "liuhen_archive_retention_api_hold_create": Entry(
        "retention_record",
        only(AGENCY_HEAD, LEGAL_REVIEWER, SUPERVISOR),
        body={"reason": "投诉处理中", "object_type": "av_record"},
        body_ids=("object_id",),
    ),
    "liuhen_archive_retention_api_hold_lift": Entry(
        "hold", only(AGENCY_HEAD, LEGAL_REVIEWER, SUPERVISOR), body={"reason": "投诉已办结"}
    ),
    "liuhen_archive_retention_api_batch_list": Entry(None, only(*READERS)),
    "liuhen_archive_retention_api_batch_propose": Entry(None, only(RECORDS_KEEPER), body={"reason": "保存期满"}),
    "liuhen_archive_retention_api_batch_detail": Entry("disposal_batch", only(*READERS)),
    # The profile names who approves disposal (东西湖: the agency head); the proposer never does.
    "liuhen_archive_retention_api_batch_approve": Entry("disposal_batch", only(AGENCY_HEAD), body={"opinion": "同意"}),
    "liuhen_archive_retention_api_batch_decline": Entry(
        "disposal_batch", only(AGENCY_HEAD), body={"opinion": "暂缓销毁"}
    ),
    "liuhen_archive_retention_api_batch_run": Entry("disposal_batch", only(RECORDS_KEEPER)),
    "liuhen_archive_api_queue_list": Entry(None, only(*READERS)),
    "liuhen_archive_api_case_file_detail": Entry("case_file", only(*READERS)),
    "liuhen_archive_api_case_file_assemble": Entry(
        "case_file", only(OFFICER, DEPARTMENT_HEAD, AGENCY_HEAD, RECORDS_KEEPER)
    ),
    "liuhen_archive_api_case_file_archive": Entry("case_file", only(RECORDS_KEEPER)),
}

# ---------------------------------------------------------------- outside the OpenAPI


@dataclass(frozen=True)
class Extra:
    """An operation the OpenAPI does not list (tus at ``/api/uploads/`` is raw bytes and headers)."""

    id: str
    method: str
    path: str
    headers: dict[str, str]  # WSGI environ keys


TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
EXTRA_OPERATIONS: list[Extra] = [
    Extra("tus_upload_create", "POST", "/api/uploads/", {**TUS, "HTTP_UPLOAD_LENGTH": "8"}),
    Extra("tus_upload_status", "HEAD", "/api/uploads/{upload_id}", TUS),
    Extra(
        "tus_upload_append",
        "PATCH",
        "/api/uploads/{upload_id}",
        # nothing appended (the file on disk is not rolled back with the cell)
        {**TUS, "HTTP_UPLOAD_OFFSET": "0", "CONTENT_TYPE": "application/offset+octet-stream"},
    ),
    Extra("tus_upload_terminate", "DELETE", "/api/uploads/{upload_id}", TUS),
]
# The uploader alone; case workers are told another's upload does not exist; a role that never uploads
# (supervisors, the three administrators) is refused.
UPLOADER = but(only(OFFICER, others=NOT_FOUND), **dict.fromkeys((SUPERVISOR, *ADMIN_ROLES), FORBIDDEN))
TUS_UPLOADS = {
    "tus_upload_create": Entry(None, only(*WORKERS)),
    "tus_upload_status": Entry("upload", UPLOADER),
    "tus_upload_append": Entry("upload", UPLOADER),
    "tus_upload_terminate": Entry("upload", UPLOADER),
}

MATRIX: dict[str, Entry] = {
    **ORG,
    **LEDGER,
    **POLICY,
    **CASES,
    **DOCUMENTS,
    **DEVICES,
    **MEDIA,
    **ARCHIVE,
    **TUS_UPLOADS,
}
