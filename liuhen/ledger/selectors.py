"""Reads of the ledger for pages and the API, filtered by what the user may see.

Clause integ-audit-trail-traceability: the audit administrator reads the trail of their own agency,
in order, filtered by action and object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from liuhen.ledger import signing
from liuhen.ledger.models import Checkpoint, Event, VerificationReport
from liuhen.ledger.policies import ledger_policy


def audit_events(*, user: Any, action: str = "", object_type: str = "", object_id: str = "") -> QuerySet[Event]:
    """The user's agency's events, newest first; empty for anyone who may not read the trail."""
    qs = ledger_policy.visible(user)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs.order_by("-seq")


def object_types(*, user: Any) -> list[str]:
    qs = ledger_policy.visible(user).values_list("object_type", flat=True).distinct()
    return sorted(qs)


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size", "-id").first()


def recent_checkpoints(limit: int = 10) -> list[Checkpoint]:
    return list(Checkpoint.objects.order_by("-size", "-id")[:limit])


def latest_report() -> VerificationReport | None:
    return VerificationReport.objects.order_by("-created_at", "-id").first()


def report(report_id: int) -> VerificationReport | None:
    return VerificationReport.objects.filter(pk=report_id).first()


@dataclass(frozen=True)
class PublicKey:
    name: str
    vkey: str
    key_id: str
    fingerprint: str
    pem: str
    raw: bytes


def public_key() -> PublicKey:
    verifier = signing.deployment_verifier()
    return PublicKey(
        name=verifier.name,
        vkey=verifier.vkey,
        key_id=verifier.key_id.hex(),
        fingerprint=signing.fingerprint(verifier.public_key),
        pem=signing.public_key_pem(),
        raw=verifier.public_key,
    )
