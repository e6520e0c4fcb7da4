"""The records keeper's request for an evidence disc (clause arch-av-evidence-disc).

The records keeper of the case's agency selects AV records and finalised documents of one case, names
the maker (制作人), the extractor (提取人) and the extraction time (提取时间), and picks a medium.
``disc_request`` refuses a selection that does not fit the medium (naming how many discs it would take
and the smallest medium that holds it), creates the ``EvidenceDisc`` with its timeline entry and its
retention (the AV records on it count as used as evidence where the profile lengthens that), and
queues the build in the worker (``build.disc_build_task``) when the request commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.archive.bagit.errors import DiscSpecInvalid, DiscTooLarge
from liuhen.archive.bagit.spec import safe_name
from liuhen.archive.discs.build import disc_build_task
from liuhen.archive.discs.selection import disc_plan_for, resolve_selection
from liuhen.archive.models import DiscStatus, EvidenceDisc
from liuhen.archive.policies import evidence_disc_policy
from liuhen.archive.retention.terms import retention_evidence_disc
from liuhen.cases import services as case_services
from liuhen.cases.models import Case
from liuhen.core.clock import not_in_future


def disc_request(
    *,
    actor: Any,
    case: Case,
    record_refs: Iterable[Any],
    maker: str,
    extractor: str,
    extracted_at: dt.datetime,
    medium: str,
) -> EvidenceDisc:
    """Queue an evidence disc of ``record_refs`` of ``case`` (event ``disc.requested``, on the timeline)."""
    evidence_disc_policy.require(actor, "request", evidence_disc_policy.for_case(case))
    maker, extractor = (maker or "").strip(), (extractor or "").strip()
    if not (maker and extractor and extracted_at):
        raise DiscSpecInvalid("文字说明须写明制作人、提取人和提取时间", code="disc_statement_incomplete")
    if timezone.is_naive(extracted_at):
        raise DiscSpecInvalid("提取时间须带时区", code="disc_extracted_at_naive")
    not_in_future(extracted_at, label="提取时间", code="disc_extracted_at_future")
    chosen = resolve_selection(case, record_refs)
    plan = disc_plan_for(chosen, medium)
    if not plan.fits:
        raise DiscTooLarge(
            plan.message,
            medium=medium,
            needed=plan.needed,
            capacity=plan.capacity,
            discs=plan.discs,
            fitting_medium=plan.fitting_medium,
        )
    with transaction.atomic():
        disc = EvidenceDisc.objects.create(
            agency_id=case.agency_id,
            case=case,
            selection=[{"type": c.type, "id": str(c.id)} for c in chosen],
            maker=maker[:120],
            extractor=extractor[:120],
            extracted_at=extracted_at,
            medium=medium,
            label=safe_name(f"LIUHEN{case.pk}", 32).upper(),
            status=DiscStatus.QUEUED,
            phase="排队等待制作",
            requested_by=actor,
            requested_at=timezone.now(),
            files_total=len(chosen),
            bytes_total=plan.selected_bytes,
        )
        retention_evidence_disc(actor=actor, disc=disc)
        case_services.timeline_record(
            case,
            actor=actor,
            action="disc.requested",
            summary=f"申请刻制证据光盘（{plan.medium_label}，{len(chosen)} 个文件，制作人 {maker}，提取人 {extractor}）",
            obj=("evidence_disc", disc.pk),
            payload={
                "disc_id": disc.pk,
                "medium": medium,
                "maker": maker,
                "extractor": extractor,
                "extracted_at": extracted_at.isoformat(),
                "files": [{"ref": c.ref, "sha256": c.sha256, "size": c.size} for c in chosen],
            },
        )
        transaction.on_commit(lambda: disc_build_task.enqueue(disc_id=disc.pk), robust=True)
    return disc
