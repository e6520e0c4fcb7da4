"""Legal holds (冻结，暂停销毁): while a hold stands, nothing it covers is disposed.

Clause integ-no-destroy-within-retention. A hold covers one record or a whole case; it is set and
lifted by the agency head, a legal reviewer or a supervisor (``retention.hold``, ``legal_hold_policy``),
each with a reason.
Lifting writes a ``HoldRelease`` row; the hold row never changes.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from liuhen.archive.models import HoldRelease, HoldScope, LegalHold
from liuhen.archive.policies import legal_hold_policy
from liuhen.archive.retention.errors import HoldAlreadyReleased, ReasonRequired, RetentionError
from liuhen.archive.retention.records import RecordRef, ref_of
from liuhen.core.people import display_name
from liuhen.ledger.services import record


def _name(actor: Any) -> str:
    return display_name(actor, max_length=120)


def active_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(release__isnull=True)


def holds_covering(ref: RecordRef) -> QuerySet[LegalHold]:
    """Holds not lifted that cover the record itself or its case."""
    q = Q(scope=HoldScope.OBJECT, object_type=ref.object_type, object_id=ref.object_id)
    if ref.case_id is not None:
        q |= Q(scope=HoldScope.CASE, case_id=ref.case_id)
    return active_holds().filter(q, agency_id=ref.agency_id)


def is_held(*, object_type: str, object_id: str, case_id: int | None) -> bool:
    q = Q(scope=HoldScope.OBJECT, object_type=object_type, object_id=str(object_id))
    if case_id is not None:
        q |= Q(scope=HoldScope.CASE, case_id=case_id)
    return active_holds().filter(q).exists()


def hold_set(*, actor: Any, reason: str, obj: Any = None, case: Any = None) -> LegalHold:
    """Hold one record (``obj``) or a whole case (``case``)."""
    if (obj is None) == (case is None):
        raise RetentionError("请指定一个记录或一个案件", code="hold_target_invalid")
    if not reason.strip():
        raise ReasonRequired()
    if obj is not None:
        ref = ref_of(obj)
        agency_id, scope, case_id, otype, oid = (
            ref.agency_id,
            HoldScope.OBJECT,
            ref.case_id,
            ref.object_type,
            ref.object_id,
        )
    else:
        agency_id, scope, case_id, otype, oid = case.agency_id, HoldScope.CASE, case.pk, "", ""
    hold = LegalHold(agency_id=agency_id, scope=scope, case_id=case_id, object_type=otype, object_id=oid)
    legal_hold_policy.require(actor, "set", hold)
    with transaction.atomic():
        hold.reason = reason.strip()
        hold.set_by, hold.set_by_name, hold.set_at = actor, _name(actor), timezone.now()
        hold.save()
        record(
            actor=actor,
            action="hold.set",
            obj_type="legal_hold",
            obj_id=hold.pk,
            payload={
                "agency_id": hold.agency_id,
                "scope": hold.scope,
                "case_id": hold.case_id,
                "object_type": hold.object_type,
                "object_id": hold.object_id,
                "set_by_id": hold.set_by_id,
                "reason": hold.reason,
            },
            agency_id=agency_id,
        )
    return hold


def hold_release(*, actor: Any, hold: LegalHold, reason: str) -> HoldRelease:
    legal_hold_policy.require(actor, "release", hold)
    if not reason.strip():
        raise ReasonRequired()
    try:
        with transaction.atomic():
            locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
            if HoldRelease.objects.filter(hold=locked).exists():
                raise HoldAlreadyReleased()
            release = HoldRelease(
                hold=locked,
                reason=reason.strip(),
                lifted_by=actor,
                lifted_by_name=_name(actor),
                lifted_at=timezone.now(),
            )
            release.save()
            record(
                actor=actor,
                action="hold.released",
                obj_type="hold_release",
                obj_id=release.pk,
                payload={"hold_id": release.hold_id, "lifted_by_id": release.lifted_by_id, "reason": release.reason},
                agency_id=hold.agency_id,
            )
    except IntegrityError:
        raise HoldAlreadyReleased() from None
    return release


def hold_get(*, actor: Any, hold_id: Any, action: str = "view") -> LegalHold:
    """A hold of the actor's agency (404 otherwise), for ``action`` (403 when the actor may not)."""
    return legal_hold_policy.get(actor, hold_id, action=action)
