"""账本接口 (ledger API), mounted at /api/ledger/: the latest signed checkpoint with its witnesses'
cosignatures, the deployment's public key, an inclusion-proof bundle for one event (checked offline by
liuhen-verify-proof), and integrity verification runs (queued for the worker) with their reports.

For the audit administrator and supervisors (clause integ-audit-trail-traceability); a proof of another
agency's event answers 404. Exporting a proof leaves a ledger event.

Under ``witness/``, what ``liuhen-witness`` needs (ADR 0013), without login: the latest checkpoint,
consistency proofs between two sizes, and the cosignature it returns. These reveal tree sizes and
hashes only, and a cosignature proves who sent it by its own signature.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from liuhen.core.api import ErrorOut
from liuhen.core.errors import NotFound
from liuhen.core.inputs import Count, Id
from liuhen.ledger import cosigning, integrity, proofs, selectors, signing
from liuhen.ledger.policies import ledger_policy

router = Router(tags=["账本"])


ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _authorized(request: HttpRequest, action: str) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    ledger_policy.require(user, action)
    return user


class CosignatureOut(Schema):
    witness: str = Field(description="见证方密钥名称")
    label: str = Field(description="见证方名称（配置中的中文名称，没有时同密钥名称）")
    key_id: str = Field(description="见证方密钥标识（4 字节，十六进制）")
    timestamp: int = Field(description="见证时间（Unix 秒，见证方时钟）")
    signed_at: dt.datetime = Field(description="见证时间")
    received_at: dt.datetime = Field(description="本系统收到的时间")
    line: str = Field(description="C2SP tlog-cosignature 签名行（cosignature/v1）")
    status: str = Field(description="有效 / 签名无效 / 非配置的见证方")
    valid: bool = Field(description="签名是否通过配置的见证方公钥核验")


class WitnessingOut(Schema):
    have: int = Field(description="有效见证签名的见证方个数")
    need: int = Field(description="要求的见证方个数（LIUHEN_WITNESS_QUORUM）")
    configured: int = Field(description="配置的见证方个数")
    met: bool = Field(description="是否达到要求")
    label: str = Field(description="中文说明，例如“见证 1/2，未达到要求”")


class CheckpointOut(Schema):
    size: int = Field(description="树大小（事件条数）")
    root_hash: str = Field(description="根哈希（十六进制）")
    note: str = Field(description="C2SP tlog-checkpoint 签名检查点原文")
    created_at: dt.datetime = Field(description="签署时间")
    cosigned_note: str = Field(description="签名检查点原文，其后附有效的见证签名行")
    cosignatures: list[CosignatureOut] = Field(description="见证方对该检查点的见证签名")
    witnesses: WitnessingOut = Field(description="见证是否达到要求")


def _witnessing_out(w: cosigning.Witnessing) -> dict[str, Any]:
    return {"have": w.have, "need": w.need, "configured": w.configured, "met": w.met, "label": w.label}


def _checkpoint_out(cp: Any) -> dict[str, Any]:
    w = cosigning.witnessing(cp)
    return {
        "size": cp.size,
        "root_hash": cp.root_hash,
        "note": cp.note,
        "created_at": cp.created_at,
        "cosigned_note": cp.note + "".join(f"{line}\n" for line in w.valid_lines),
        "cosignatures": [
            {
                "witness": c.row.witness,
                "label": c.label,
                "key_id": c.row.key_id,
                "timestamp": c.row.timestamp,
                "signed_at": c.signed_at,
                "received_at": c.row.received_at,
                "line": c.row.line,
                "status": c.status,
                "valid": c.valid,
            }
            for c in w.cosignatures
        ],
        "witnesses": _witnessing_out(w),
    }


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
    _authorized(request, "see_checkpoints")
    cp = selectors.latest_checkpoint()
    if cp is None:
        raise NotFound("尚未签署检查点", code="checkpoint_not_found")
    return _checkpoint_out(cp)


@router.get("/public-key", response={200: PublicKeyOut, **ERRORS}, summary="部署公钥")
def public_key(request: HttpRequest) -> Any:
    _authorized(request, "see_checkpoints")
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
def event_proof(request: HttpRequest, seq: Count) -> Any:
    # The service looks the event up first: another agency's (or none) is 404 for everyone, then 403.
    return proofs.proof_bundle_export(actor=request.auth, seq=seq)  # type: ignore[attr-defined]


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
    user = _authorized(request, "verify")
    task_result = integrity.integrity_verify_enqueue(actor=user, sample=body.sample, with_sm3=body.sm3)
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
    _authorized(request, "verify")
    report = selectors.latest_report()
    if report is None:
        raise NotFound("尚无核验报告", code="verification_report_not_found")
    return report


@router.get("/verifications/{report_id}", response={200: ReportOut, **ERRORS}, summary="一次核验报告")
def verification_get(request: HttpRequest, report_id: Id) -> Any:
    report = selectors.report(report_id)
    if report is None:  # before the role check: an id that does not exist is 404 for everyone
        raise NotFound("核验报告不存在", code="verification_report_not_found")
    _authorized(request, "verify")
    return report


# --- for witnesses (liuhen-witness, ADR 0013): no login ------------------------------------------------

WITNESS_ERRORS: dict[int, type[Schema]] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut}


class WitnessCheckpointOut(Schema):
    origin: str = Field(description="检查点 origin（日志名称）")
    size: int = Field(description="树大小")
    root_hash: str = Field(description="根哈希（base64，与检查点原文一致）")
    note: str = Field(description="由本系统密钥签署的检查点原文（C2SP tlog-checkpoint）")
    vkey: str = Field(description="本系统签名公钥（首次使用时由见证方固定，之后只用固定的公钥核验）")
    created_at: dt.datetime = Field(description="签署时间")


class ConsistencyQuery(Schema):
    old: Count = Field(description="见证方上次见证的树大小")
    size: Count = Field(description="新检查点的树大小（不超过最新检查点）")


class ConsistencyOut(Schema):
    old_size: int = Field(description="旧树大小")
    size: int = Field(description="新树大小")
    proof: list[str] = Field(description="RFC 9162 一致性证明（base64，与 C2SP tlog-witness 的证明行相同）")


class CosignatureIn(Schema):
    checkpoint: str = Field(max_length=8192, description="见证方签署的检查点（原文或其正文）")
    cosignature: str = Field(max_length=1024, description="见证签名行：— <见证方名称> base64(密钥标识‖时间‖签名)")


class CosignatureAcceptedOut(Schema):
    checkpoint_size: int = Field(description="被见证的检查点树大小")
    witness: str = Field(description="见证方密钥名称")
    label: str = Field(description="见证方名称")
    key_id: str = Field(description="见证方密钥标识")
    timestamp: int = Field(description="见证时间（Unix 秒）")
    received_at: dt.datetime = Field(description="本系统收到的时间")
    new: bool = Field(description="是否为新收到的见证签名（同一见证方再次见证同一检查点时为 false）")
    witnesses: WitnessingOut = Field(description="该检查点的见证是否达到要求")


@router.get(
    "/witness/checkpoint",
    auth=None,
    response={200: WitnessCheckpointOut, **WITNESS_ERRORS},
    summary="见证方：最新检查点（无需登录）",
)
def witness_checkpoint(request: HttpRequest) -> Any:
    cp = selectors.latest_checkpoint()
    if cp is None:
        raise NotFound("尚未签署检查点", code="checkpoint_not_found")
    lines = cp.note.split("\n")
    return {
        "origin": lines[0],
        "size": cp.size,
        "root_hash": lines[2] if len(lines) > 2 else "",
        "note": cp.note,
        "vkey": signing.deployment_verifier().vkey,
        "created_at": cp.created_at,
    }


@router.get(
    "/witness/consistency",
    auth=None,
    response={200: ConsistencyOut, **WITNESS_ERRORS},
    summary="见证方：两个树大小之间的一致性证明（无需登录）",
)
def witness_consistency(request: HttpRequest, q: Query[ConsistencyQuery]) -> Any:
    proof = cosigning.consistency_between(old_size=q.old, size=q.size)
    return {"old_size": q.old, "size": q.size, "proof": [base64.b64encode(h).decode() for h in proof]}


@router.post(
    "/witness/cosignatures",
    auth=None,
    response={200: CosignatureAcceptedOut, 201: CosignatureAcceptedOut, **WITNESS_ERRORS},
    summary="见证方：提交对检查点的见证签名（无需登录，凭签名本身）",
)
def witness_cosign(request: HttpRequest, body: CosignatureIn) -> Any:
    row, new = cosigning.cosignature_record(checkpoint=body.checkpoint, cosignature=body.cosignature)
    w = cosigning.witnessing(row.checkpoint)
    label = next((c.label for c in w.cosignatures if c.row.pk == row.pk), row.witness)
    out = {
        "checkpoint_size": row.checkpoint.size,
        "witness": row.witness,
        "label": label,
        "key_id": row.key_id,
        "timestamp": row.timestamp,
        "received_at": row.received_at,
        "new": new,
        "witnesses": _witnessing_out(w),
    }
    return Status(201 if new else 200, out)
