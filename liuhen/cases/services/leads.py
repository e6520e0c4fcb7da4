"""Leads (案源): registering one, deciding not to file it and telling those who brought it (clauses
src-case-source-register, src-no-filing-notice). The complainant's or informant's identity is kept on the
lead and never written into the ledger payload."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.errors import CaseInvalid, TransitionRefused
from liuhen.cases.models import CaseSource, NotFiledNotice, NotFilingDecision, NoticeMethod, SourceKind, SourceStatus
from liuhen.cases.policies import lead_policy
from liuhen.cases.services.common import next_number, text
from liuhen.core.clock import not_in_future
from liuhen.core.people import display_name
from liuhen.ledger.services import record
from liuhen.policy.loader import get_profile
from liuhen.policy.schema import Profile

# Which people a not-filed lead must be told about, by the kind of lead.
NOTICE_FOR_KIND: dict[str, str] = {
    SourceKind.COMPLAINT: "complainant",
    SourceKind.REPORT: "informant",
    SourceKind.REFERRED: "referring_agency",
    SourceKind.ASSIGNED: "referring_agency",
}
NOTICE_RECIPIENT_LABELS: dict[str, str] = {
    "complainant": "投诉人",
    "informant": "举报人",
    "referring_agency": "移送（交办）机关",
}


def case_source_register(
    *,
    actor: Any,
    kind: str,
    received_at: dt.datetime,
    summary: str,
    party_name: str = "",
    party_info: str = "",
    reporter_name: str = "",
    reporter_contact: str = "",
    referring_body: str = "",
    department: Any = None,
) -> CaseSource:
    """案源登记: who brought what, when; the complainant or informant kept as a protected identity."""
    lead_policy.require(actor, "register")
    if kind not in SourceKind.values:
        raise CaseInvalid(f"未知的案源类型：{kind}", code="source_kind_unknown", allowed=list(SourceKind.values))
    received_at = not_in_future(received_at, label="获取时间")
    summary = text(summary, "线索内容")
    if kind == SourceKind.COMPLAINT:
        reporter_name = text(reporter_name, "投诉人姓名或名称", max_length=100)
    if kind in (SourceKind.ASSIGNED, SourceKind.REFERRED):
        referring_body = text(referring_body, "交办或移送机关", max_length=200)
    if department is not None and department.agency_id != actor.agency_id:
        raise CaseInvalid("承办科室不属于本机关", code="department_other_agency")
    with transaction.atomic():
        now = timezone.now()
        year = timezone.localtime(received_at).year
        n = next_number(actor.agency, "lead", year)
        source = CaseSource.objects.create(
            agency_id=actor.agency_id,
            department=department or actor.department,
            number=f"{actor.agency.code}-案源-{year}-{n:04d}",
            kind=kind,
            received_at=received_at,
            summary=summary,
            party_name=text(party_name, "当事人", max_length=200, required=False),
            party_info=(party_info or "").strip(),
            reporter_name=(reporter_name or "").strip(),
            reporter_contact=(reporter_contact or "").strip()[:100],
            referring_body=(referring_body or "").strip(),
            registered_by=actor,
            registered_at=now,
        )
        # The protected identity stays out of the ledger payload: only that one was given.
        record(
            actor=actor,
            action="case_source.registered",
            obj_type="case_source",
            obj_id=source.pk,
            payload={
                "number": source.number,
                "kind": kind,
                "received_at": received_at.isoformat(),
                "has_reporter": bool(source.reporter_name),
                "referring_body": source.referring_body,
            },
        )
    return source


def _notices_needed(source: CaseSource, profile: Profile) -> list[str]:
    wanted = NOTICE_FOR_KIND.get(source.kind)
    to = profile.filing.not_filed_notice_to if profile.filing else []
    return [wanted] if wanted and wanted in to else []


def _notice_create(actor: Any, source: CaseSource, notice: Mapping[str, Any]) -> NotFiledNotice:
    kind = notice.get("recipient_kind", "")
    if kind not in NOTICE_RECIPIENT_LABELS:
        raise CaseInvalid(f"未知的告知对象类别：{kind}", code="notice_recipient_unknown")
    method = notice.get("method", "")
    if method not in NoticeMethod.values:
        raise CaseInvalid(f"未知的告知方式：{method}", code="notice_method_unknown", allowed=list(NoticeMethod.values))
    notified_at = notice.get("notified_at") or timezone.now()
    if isinstance(notified_at, str):
        notified_at = dt.datetime.fromisoformat(notified_at)
    notified_at = not_in_future(notified_at, label="告知时间")
    row = NotFiledNotice.objects.create(
        source=source,
        recipient_kind=kind,
        recipient_name=text(notice.get("recipient_name"), "告知对象", max_length=200),
        method=method,
        notified_at=notified_at,
        note=(notice.get("note") or "").strip(),
        recorded_by=actor,
    )
    record(
        actor=actor,
        action="case_source.notice_recorded",
        obj_type="not_filed_notice",
        obj_id=row.pk,
        payload={
            "source_id": source.pk,
            "recipient_kind": kind,
            "method": method,
            "notified_at": notified_at.isoformat(),
        },
    )
    return row


def case_source_not_file(
    *, actor: Any, source: CaseSource, reasons: str, notices: list[Mapping[str, Any]] | None = None
) -> NotFilingDecision:
    """不予立案, with its reasons and, where the lead came from a complainant, informant or referring
    agency that the profile names, the notice to them (who, how, when): without it the decision is refused."""
    lead_policy.require(actor, "not_file", source)
    reasons = text(reasons, "不予立案理由")
    profile = get_profile(source.agency.profile_id)
    notices = list(notices or [])
    given = {n.get("recipient_kind") for n in notices}
    missing = [k for k in _notices_needed(source, profile) if k not in given]
    if missing:
        who = "、".join(NOTICE_RECIPIENT_LABELS[k] for k in missing)
        raise CaseInvalid(
            f"本案源来自{who}，不予立案须同时记录对{who}的告知（告知对象、方式、时间）",
            code="not_filed_notice_required",
            missing=missing,
        )
    with transaction.atomic():
        source = CaseSource.objects.select_for_update().get(pk=source.pk)
        if source.status != SourceStatus.REGISTERED or source.cases.exists():
            raise TransitionRefused(
                f"案源当前状态为“{source.get_status_display()}”，不能再决定不予立案", code="source_already_decided"
            )
        decision = NotFilingDecision.objects.create(
            source=source,
            reasons=reasons,
            decided_by=actor,
            decided_by_name=display_name(actor),
            decided_at=timezone.now(),
        )
        record(
            actor=actor,
            action="case_source.not_filed",
            obj_type="not_filing_decision",
            obj_id=decision.pk,
            payload={"source_id": source.pk, "reasons": reasons, "decided_by_id": actor.pk},
            agency_id=source.agency_id,
        )
        for notice in notices:
            _notice_create(actor, source, notice)
        source.status = SourceStatus.NOT_FILED
        source.save(update_fields=["status"])
    return decision


def case_source_notice_record(*, actor: Any, source: CaseSource, notice: Mapping[str, Any]) -> NotFiledNotice:
    """A further notice about a lead not filed (e.g. to a second complainant)."""
    lead_policy.require(actor, "work", source)
    if source.status != SourceStatus.NOT_FILED:
        raise TransitionRefused("只有不予立案的案源需要记录告知", code="source_not_not_filed")
    with transaction.atomic():
        return _notice_create(actor, source, notice)
