"""移送 (clauses resp-obstruction-referral, src-case-source-register): a case or lead handed to another
agency, or to the public security or judicial organs (crime suspected; officers obstructed by violence
or threats), with its document and materials; and the receiving body's acknowledgement (回执)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.errors import CaseInvalid, TransitionRefused
from liuhen.cases.models import Case, CaseSource, CaseStatus, ReceiverKind, Referral, ReferralReason, SourceStatus
from liuhen.cases.policies import case_policy, lead_policy
from liuhen.cases.services.common import ENDED, bump, case_lock, leave_visit, text
from liuhen.cases.services.timeline import trace
from liuhen.core.clock import CLOCK_TOLERANCE, not_in_future
from liuhen.ledger.services import record


def referral_create(
    *,
    actor: Any,
    receiver_kind: str,
    receiver_name: str,
    reason: str,
    document_no: str,
    items: str,
    case: Case | None = None,
    source: CaseSource | None = None,
    ends_case: bool = True,
) -> Referral:
    """移送: a case or lead handed to another agency, or to the public security or judicial organs
    (crime suspected; officers obstructed by violence or threats), with its document and materials."""
    if (case is None) == (source is None):
        raise CaseInvalid("移送须指明一个案件或一个案源", code="referral_target_required")
    if receiver_kind not in ReceiverKind.values:
        raise CaseInvalid(f"未知的接收机关类别：{receiver_kind}", code="receiver_kind_unknown")
    if reason not in ReferralReason.values:
        raise CaseInvalid(f"未知的移送原因：{reason}", code="referral_reason_unknown")
    if reason in (ReferralReason.CRIME_SUSPECTED, ReferralReason.OBSTRUCTION) and receiver_kind == ReceiverKind.AGENCY:
        raise CaseInvalid("涉嫌犯罪或暴力、威胁阻碍执法的，应移送公安机关或司法机关", code="referral_receiver_wrong")
    receiver_name = text(receiver_name, "接收机关", max_length=200)
    document_no = text(document_no, "移送文书文号", max_length=100)
    items = text(items, "移送材料清单")
    with transaction.atomic():
        if case is not None:
            case_policy.require(actor, "handle", case)
            case = case_lock(case)
            if case.status in ENDED:
                raise TransitionRefused(f"案件{case.get_status_display()}，不能移送", code="case_ended")
        else:
            assert source is not None
            lead_policy.require(actor, "work", source)
            source = CaseSource.objects.select_for_update().get(pk=source.pk)
            if source.status != SourceStatus.REGISTERED:
                raise TransitionRefused(f"案源{source.get_status_display()}，不能移送", code="source_already_decided")
            ends_case = True
        now = timezone.now()
        referral = Referral.objects.create(
            case=case,
            source=source,
            receiver_kind=receiver_kind,
            receiver_name=receiver_name,
            reason=reason,
            document_no=document_no,
            items=items,
            ends_case=ends_case,
            sent_at=now,
            sent_by=actor,
        )
        body = {
            "referral_id": referral.pk,
            "receiver_kind": receiver_kind,
            "receiver_name": receiver_name,
            "reason": reason,
            "document_no": document_no,
            "ends_case": ends_case,
        }
        if case is not None:
            fields: list[str] = []
            if ends_case:
                for visit in case.visits.filter(left_at__isnull=True):
                    leave_visit(visit, actor=actor, at=now, outcome="案件移送")
                case.status = CaseStatus.REFERRED
                fields.append("status")
            bump(case, *fields)
            trace(
                case,
                actor=actor,
                action="case.referred",
                stage_id=case.stage,
                at=now,
                obj=("referral", referral.pk),
                summary=f"移送{receiver_name}（{ReferralReason(reason).label}），文书 {document_no}；材料：{items}",
                payload=body,
            )
        else:
            assert source is not None
            source.status = SourceStatus.REFERRED
            source.save(update_fields=["status"])
            record(actor=actor, action="case_source.referred", obj_type="case_source", obj_id=source.pk, payload=body)
    return referral


def referral_acknowledge(
    *, actor: Any, referral: Referral, acknowledged_at: dt.datetime, acknowledged_by_name: str, note: str = ""
) -> Referral:
    """The receiving body's acknowledgement (回执), recorded once."""
    if referral.case is not None:
        case_policy.require(actor, "work", referral.case)
    else:
        lead_policy.require(actor, "work", referral.source)
    acknowledged_by_name = text(acknowledged_by_name, "接收人", max_length=100)
    acknowledged_at = not_in_future(acknowledged_at, label="接收时间")
    if acknowledged_at < referral.sent_at - CLOCK_TOLERANCE:
        raise CaseInvalid("接收时间不能早于移送时间", code="date_before_referral")
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.acknowledged_at is not None:
            raise TransitionRefused("回执已记录，不能重复记录", code="referral_already_acknowledged")
        referral.acknowledged_at = acknowledged_at
        referral.acknowledged_by_name = acknowledged_by_name
        referral.acknowledgement_note = (note or "").strip()
        referral.save(update_fields=["acknowledged_at", "acknowledged_by_name", "acknowledgement_note"])
        body = {"referral_id": referral.pk, "acknowledged_at": acknowledged_at.isoformat(), "by": acknowledged_by_name}
        if referral.case is not None:
            trace(
                referral.case,
                actor=actor,
                action="case.referral_acknowledged",
                stage_id=referral.case.stage,
                obj=("referral", referral.pk),
                summary=f"{referral.receiver_name}已接收移送（接收人：{acknowledged_by_name}）",
                payload=body,
            )
        else:
            record(
                actor=actor, action="case.referral_acknowledged", obj_type="referral", obj_id=referral.pk, payload=body
            )
    return referral
