"""账本接口 (ledger API), mounted at /api/ledger/: the latest signed checkpoint, the deployment's
public key, an inclusion-proof bundle for one event (checked offline by liuhen-verify-proof), and
integrity verification runs (queued for the worker) with their reports.

For the audit administrator and supervisors (clause integ-audit-trail-traceability); a proof of another
agency's event answers 404. Exporting a proof leaves a ledger event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from liuhen.core.errors import NotFound, PermissionDenied
from liuhen.ledger import selectors, services
from liuhen.org import rules

router = Router(tags=["账本"])


class ErrorOut(Schema):
    code: str = Field(description="稳定的错误代码，供程序判断")
    message: str = Field(description="中文说明")
    detail: dict[str, Any] | None = Field(None, description="补充信息")


ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _require(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not rules.has_any_permission(user, rules.P_AUDIT_READ, rules.P_SUPERVISE):
        raise PermissionDenied("只有安全审计员和监督人员可以使用账本接口")
    return user


class CheckpointOut(Schema):
    size: int = Field(description="树大小（事件条数）")
    root_hash: str = Field(description="根哈希（十六进制）")
    note: str = Field(description="C2SP tlog-checkpoint 签名检查点原文")
    created_at: dt.datetime = Field(description="签署时间")


class PublicKeyOut(Schema):
    name: str = Field(description="密钥名称（即检查点的 origin）")
    vkey: str = Field(description="C2SP signed-note 公钥字符串")
    key_id: str = Field(description="密钥标识（4 字节，十六进制）")
    fingerprint: str = Field(description="公钥 SHA-256 指纹")
    pem: str = Field(description="PEM 格式公钥（SubjectPublicKeyInfo）")
    raw_hex: str = Field(description="32 字节 Ed25519 公钥（十六进制）")


class ProofBundleOut(Schema):
    format: str = Field(description="证明包格式，liuhen-proof/1")
    leaf_index: int = Field(description="事件序号（树中叶子位置）")
    tree_size: int = Field(description="检查点的树大小")
    leaf_data: str = Field(description="事件的规范 JSON 文本（叶子数据）")
    leaf_hash: str = Field(description="叶哈希 SHA-256(0x00‖数据)，base64")
    payload: str | None = Field(description="事件内容的规范 JSON 文本")
    inclusion_proof: list[str] = Field(description="RFC 9162 存在性证明（base64，自下而上）")
    checkpoint: str = Field(description="签名检查点原文")
    vkey: str = Field(description="签名公钥")


@router.get("/checkpoints/latest", response={200: CheckpointOut, **ERRORS}, summary="最新检查点")
def checkpoint_latest(request: HttpRequest) -> Any:
    _require(request)
    cp = selectors.latest_checkpoint()
    if cp is None:
        raise NotFound("尚未签署检查点", code="checkpoint_not_found")
    return cp


@router.get("/public-key", response={200: PublicKeyOut, **ERRORS}, summary="部署公钥")
def public_key(request: HttpRequest) -> Any:
    _require(request)
    key = selectors.public_key()
    return {
        "name": key.name,
        "vkey": key.vkey,
        "key_id": key.key_id,
        "fingerprint": key.fingerprint,
        "pem": key.pem,
        "raw_hex": key.raw.hex(),
    }


@router.get("/events/{seq}/proof", response={200: ProofBundleOut, **ERRORS}, summary="事件存在性证明包")
def event_proof(request: HttpRequest, seq: int) -> Any:
    user = _require(request)
    return services.proof_bundle_export(actor=user, seq=seq)


class VerifyIn(Schema):
    sample: float | None = Field(
        0.05, description="抽样重算的原始文件比例（0 到 1）；null 表示全部重算（数据多时耗时较长）"
    )
    sm3: bool = Field(False, description="同时重算 SM3 摘要")


class VerifyQueuedOut(Schema):
    task_id: str = Field(description="后台任务编号")
    status: str = Field(description="任务状态")
    message: str = Field(description="中文说明")


class FindingOut(Schema):
    code: str = Field(description="问题代码，例如 blob_changed、ledger_row_edited")
    message: str = Field(description="中文说明")
    item: str = Field(description="涉及的对象，例如 blob:<sha256>、event:#42")
    detail: dict[str, Any] = Field(default_factory=dict, description="补充信息")


class ReportOut(Schema):
    id: int
    created_at: dt.datetime = Field(description="完成时间")
    ok: bool = Field(description="是否通过")
    summary: str = Field(description="中文摘要")
    findings: list[FindingOut] = Field(description="发现的问题（逐项点名）")
    stats: dict[str, Any] = Field(description="统计数字")


@router.post("/verifications", response={202: VerifyQueuedOut, **ERRORS}, summary="发起完整性核验")
def verification_start(request: HttpRequest, body: VerifyIn) -> Any:
    user = _require(request)
    task_result = services.integrity_verify_enqueue(actor=user, sample=body.sample, with_sm3=body.sm3)
    return Status(
        202,
        {
            "task_id": str(task_result.id),
            "status": str(task_result.status),
            "message": "核验已排队，由后台任务执行；完成后在 /api/ledger/verifications/latest 查看报告",
        },
    )


@router.get("/verifications/latest", response={200: ReportOut, **ERRORS}, summary="最近一次核验报告")
def verification_latest(request: HttpRequest) -> Any:
    _require(request)
    report = selectors.latest_report()
    if report is None:
        raise NotFound("尚无核验报告", code="verification_report_not_found")
    return report


@router.get("/verifications/{report_id}", response={200: ReportOut, **ERRORS}, summary="一次核验报告")
def verification_get(request: HttpRequest, report_id: int) -> Any:
    _require(request)
    report = selectors.report(report_id)
    if report is None:
        raise NotFound("核验报告不存在", code="verification_report_not_found")
    return report
