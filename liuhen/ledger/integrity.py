"""The whole integrity check behind ``manage.py verify`` and the verification API.

Clauses integ-no-tamper-original, integ-audit-trail-traceability, resp-tamper-delete: originals are
re-hashed (``verify_blobs``), the ledger is replayed and checked against every signed checkpoint
(``verify_ledger``) and every witness's cosignature against the configured witness keys
(``verify_cosignatures``), every write-once record row is compared with the event that created it
(``verify_records``) and, when asked, an off-site replica is proven complete and intact
(``replication.verify_replica``). One :class:`IntegrityResult` carries every finding; it renders as a
Chinese report for people and as JSON for programs. ``integrity_verify`` runs it and keeps the report.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from liuhen.core.errors import DomainError
from liuhen.ledger import guards, replication
from liuhen.ledger.blobstore.verification import verify_blobs
from liuhen.ledger.cosigning import verify_cosignatures
from liuhen.ledger.findings import Finding
from liuhen.ledger.models import VerificationReport
from liuhen.ledger.policies import ledger_policy
from liuhen.ledger.records import verify_records
from liuhen.ledger.services import record
from liuhen.ledger.verification import verify_ledger

log = logging.getLogger(__name__)

REPORT_FORMAT = "liuhen-verify/1"

# Section of the report each finding belongs to, by code prefix.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("blob_", "原始文件"),
    ("ledger_", "账本事件"),
    ("tree_", "默克尔树"),
    ("checkpoint_", "检查点"),
    ("witness_", "检查点"),
    ("cosignature_", "见证签名"),
    ("record_", "记录与账本"),
    ("replica_", "异地副本"),
    ("guard_", "数据库保护"),
    ("verify_", "核验过程"),
)


class VerifyArgumentInvalid(DomainError):
    code = "verify_argument_invalid"
    status = 422
    message = "核验参数不正确"


def section_of(code: str) -> str:
    for prefix, name in SECTIONS:
        if code.startswith(prefix):
            return name
    return "其他"


@dataclass
class IntegrityResult:
    started_at: dt.datetime
    seconds: float = 0.0
    sample: float | None = None
    replica: str | None = None
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        scope = f"抽样 {self.sample:.0%} 重算" if self.sample is not None else "全部重算"
        s = self.stats
        body = (
            f"原始文件 {s.get('blobs', 0)} 个（{scope}），账本事件 {s.get('events', 0)} 条，"
            f"检查点 {s.get('checkpoints', 0)} 个，记录 {s.get('record_rows', 0)} 条"
        )
        if self.replica:
            body += f"，异地副本 {self.replica}"
        if self.ok:
            return f"核验通过：{body}，未发现问题。"
        by_section = Counter(section_of(f.code) for f in self.findings)
        parts = "、".join(f"{name} {n} 个" for name, n in by_section.items())
        return f"核验发现 {len(self.findings)} 个问题（{parts}）：{body}。"

    def text_report(self) -> str:
        local = timezone.localtime(self.started_at)
        lines = [
            "留痕完整性核验报告",
            f"时间：{local:%Y-%m-%d %H:%M:%S}（用时 {self.seconds:.1f} 秒）",
            f"结论：{'通过' if self.ok else '未通过'}",
            self.summary(),
        ]
        if self.stats.get("root"):
            lines.append(f"账本树大小 {self.stats.get('tree_size', 0)}，根哈希 {self.stats['root']}")
        if not self.ok:
            lines.append("")
            lines.append("发现的问题：")
            for n, f in enumerate(self.findings, start=1):
                lines.append(f"{n:>4}. [{section_of(f.code)}] {f.code} {f.item}：{f.message}")
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "sample": self.sample,
            "replica": self.replica,
            "summary": self.summary(),
            "stats": self.stats,
            "findings": [f.as_dict() for f in self.findings],
        }


def _replica_findings(replica: str, stats: dict[str, Any]) -> list[Finding]:
    replica_stats: dict[str, Any] = {}
    found = replication.verify_replica(target=replica, stats=replica_stats)
    stats["replica"] = replica_stats
    return found


CHECK_LABELS = {
    "blobs": "原始文件",
    "ledger": "账本事件与检查点",
    "cosignatures": "见证签名",
    "records": "记录与账本",
    "guards": "数据库保护",
    "replica": "异地副本",
}


def _guarded(name: str, check: Callable[[], list[Finding]]) -> list[Finding]:
    """One check's findings; a check that fails on a store too damaged for it becomes a finding too.

    The damage that makes a check fail is itself what verify exists to report: the run goes on with
    the other checks and ends with exit 1, never with a traceback.
    """
    try:
        with transaction.atomic():  # a savepoint: a failed query must not abort the checks after it
            return check()
    except Exception as exc:
        log.exception("verify: the %s check could not finish", name)
        return [
            Finding(
                "verify_check_failed",
                f"{CHECK_LABELS[name]}核验无法完成（数据已损坏到无法继续检查这一项）：{type(exc).__name__}: {exc}"[
                    :500
                ],
                f"check:{name}",
                {"check": name, "error": repr(exc)[:500]},
            )
        ]


def verify_guards() -> list[Finding]:
    """Every append-only and write-once table still has its triggers (someone may have dropped them)."""
    return [
        Finding(
            "guard_missing",
            f"数据表 {table} 缺少防篡改触发器 {trigger}（可能被人删除；运行 manage.py migrate 可恢复）",
            f"guard:{table}:{trigger}",
            {"table": table, "trigger": trigger},
        )
        for table, trigger in guards.missing(connection)
    ]


def verify_all(
    *,
    sample: float | None = None,
    with_sm3: bool = False,
    replica: str | None = None,
    public_keys: list[str] | None = None,
) -> IntegrityResult:
    """Every check, in order: blobs, ledger and checkpoints, record rows, then the replica if named."""
    if sample is not None and not 0 < sample <= 1:
        raise VerifyArgumentInvalid("抽样比例必须大于 0 且不超过 1（例如 0.05 表示 5%）", sample=sample)
    result = IntegrityResult(started_at=timezone.now(), sample=sample, replica=replica)
    began = time.monotonic()
    blob_stats: dict[str, Any] = {}
    checks: list[tuple[str, Callable[[], list[Finding]]]] = [
        ("blobs", lambda: verify_blobs(sample=sample, with_sm3=with_sm3, stats=blob_stats)),
        ("ledger", lambda: verify_ledger(public_keys=public_keys, stats=result.stats)),
        ("cosignatures", lambda: verify_cosignatures(stats=result.stats)),
        ("records", lambda: verify_records(stats=result.stats)),
        ("guards", verify_guards),
    ]
    if replica:
        checks.append(("replica", lambda: _replica_findings(replica, result.stats)))
    for name, check in checks:
        result.findings += _guarded(name, check)
        if name == "blobs":
            result.stats.update(blob_stats)
    result.seconds = time.monotonic() - began
    return result


def integrity_verify(
    *,
    actor: Any = None,
    sample: float | None = None,
    with_sm3: bool = False,
    replica: str | None = None,
) -> tuple[IntegrityResult, VerificationReport | None]:
    """Run ``verify_all`` and keep its report (with its ``ledger.verified`` event).

    A ledger too damaged to take the event still gets its findings back: the report is then None
    and the caller shows the findings all the same.
    """
    result = verify_all(sample=sample, with_sm3=with_sm3, replica=replica)
    stats = dict(result.stats, seconds=round(result.seconds, 3), sample=sample, replica=replica)
    try:
        report = verification_report_save(findings=result.findings, summary=result.summary(), stats=stats, actor=actor)
    except Exception:  # a broken ledger must not hide the findings about it
        log.exception("verification report could not be saved")
        return result, None
    return result, report


def verification_report_save(
    *,
    findings: list[Finding],
    summary: str,
    stats: Mapping[str, Any] | None = None,
    actor: Any = None,
) -> VerificationReport:
    """Keep one ``verify`` run's outcome for the audit page, and leave a trace of the run."""
    with transaction.atomic():
        report = VerificationReport.objects.create(
            created_at=timezone.now(),
            ok=not findings,
            summary=summary,
            findings=[f.as_dict() for f in findings],
            stats=dict(stats or {}),
        )
        record(
            actor=actor,
            action="ledger.verified",
            obj_type="verification_report",
            obj_id=report.pk,
            payload={"ok": report.ok, "findings": len(findings)},
        )
    return report


@task()
def integrity_verify_task(
    *, actor_id: int | None = None, sample: float | None = None, with_sm3: bool = False
) -> int | None:
    """``integrity_verify`` in the worker, for a run asked for on the page or the API."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    _, report = integrity_verify(actor=actor, sample=sample, with_sm3=with_sm3)
    return report.pk if report else None


def integrity_verify_enqueue(*, actor: Any, sample: float | None = None, with_sm3: bool = False) -> Any:
    """Queue a verification run for the worker (the page and the API never hash terabytes in a request).

    Leaves a ``ledger.verify_requested`` event naming who asked. Returns the task result handle.
    """
    ledger_policy.require(actor, "verify")
    if sample is not None and not 0 < sample <= 1:
        raise VerifyArgumentInvalid("抽样比例必须大于 0 且不超过 1（例如 0.05 表示 5%）", sample=sample)
    with transaction.atomic():
        result = integrity_verify_task.enqueue(actor_id=actor.pk, sample=sample, with_sm3=with_sm3)
        record(
            actor=actor,
            action="ledger.verify_requested",
            obj_type="task",
            obj_id=result.id,
            payload={"sample": sample, "sm3": with_sm3},
        )
    return result
