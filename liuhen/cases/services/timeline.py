"""The case's whole-process record (flow-whole-process-scope, integ-audit-trail-traceability): each step is
one ledger event and one timeline entry written in the step's transaction, and reading a case leaves a
trace in the ledger too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.models import Case, TimelineEntry
from liuhen.core.people import display_name
from liuhen.ledger.records import check_inserted, seal_instance
from liuhen.ledger.services import record


def trace(
    case: Case,
    *,
    actor: Any,
    action: str,
    summary: str,
    stage_id: str = "",
    obj: tuple[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> TimelineEntry:
    """The ledger event and the timeline entry of one step (caller's transaction)."""
    obj_type, obj_id = obj or ("case", case.pk)
    body = {"case_id": case.pk, "case_number": case.number, "stage": stage_id, **(payload or {})}
    entry = TimelineEntry(
        case=case,
        at=at or timezone.now(),
        actor=actor,
        actor_name=display_name(actor),
        action=action,
        stage_id=stage_id,
        summary=summary,
        ref_type=obj_type if obj else "",
        ref_id=str(obj_id) if obj else "",
    )
    # The entry is written after its event and names it by seq: its seal travels in that event.
    seal = seal_instance(entry)
    event = record(
        actor=actor,
        action=action,
        obj_type=obj_type,
        obj_id=obj_id,
        payload=body,
        agency_id=case.agency_id,
        seals={TimelineEntry._meta.label: seal},
    )
    entry.event_seq = event.seq
    entry.save()
    check_inserted(entry, seal)
    return entry


def timeline_record(
    case: Case,
    *,
    actor: Any,
    action: str,
    summary: str,
    stage_id: str = "",
    obj: tuple[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> TimelineEntry:
    """For other apps (documents, media, archive): one step of the case, in the ledger and on its timeline."""
    return trace(case, actor=actor, action=action, summary=summary, stage_id=stage_id, obj=obj, payload=payload)


def case_view_record(*, actor: Any, case: Case) -> None:
    """Opening a case page is a recorded act (integ-audit-trail-traceability): the ledger, not the timeline."""
    with transaction.atomic():
        record(
            actor=actor,
            action="case.viewed",
            obj_type="case",
            obj_id=case.pk,
            payload={"case_id": case.pk, "case_number": case.number, "stage": case.stage},
            agency_id=case.agency_id,
        )
