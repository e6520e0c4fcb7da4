"""Reads of evidence discs: a case's discs, the downloads (each in the ledger), the statements filed with
the case file (clause arch-av-evidence-disc).

Who sees a disc and who downloads its image is ``evidence_disc_policy``'s to say; the image is offered
only once verified.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from liuhen.archive.discs.build import image_path
from liuhen.archive.discs.errors import DiscNotReady
from liuhen.archive.models import DiscStatus, EvidenceDisc
from liuhen.archive.policies import evidence_disc_policy
from liuhen.cases import services as case_services
from liuhen.cases.models import Case
from liuhen.ledger.blobstore.models import Blob


def disc_get(*, user: Any, disc_id: int) -> EvidenceDisc:
    """As its case: another agency's is not found; refused (403) to a role that never sees cases."""
    return evidence_disc_policy.get(user, disc_id)


def discs_of_case(*, user: Any, case: Case) -> QuerySet[EvidenceDisc]:
    return evidence_disc_policy.visible(user).filter(case=case).order_by("-requested_at", "-id")


def disc_image_open(*, actor: Any, disc: EvidenceDisc, byte_range: str = "") -> Path:
    """The verified image's path for a download by the agency's records keeper (event ``disc.downloaded``)."""
    evidence_disc_policy.require(actor, "download_image", disc)
    if disc.status != DiscStatus.VERIFIED:
        raise DiscNotReady()
    with transaction.atomic():
        case_services.timeline_record(
            disc.case,
            actor=actor,
            action="disc.downloaded",
            summary=f"下载证据光盘镜像 #{disc.pk}",
            obj=("evidence_disc", disc.pk),
            payload={"disc_id": disc.pk, "image_sha256": disc.image_sha256, "range": byte_range[:100]},
        )
    return image_path(disc)


def disc_statement_open(*, actor: Any, disc: EvidenceDisc) -> str:
    """The statement PDF's blob for anyone who sees the disc (event ``disc.statement_downloaded``)."""
    evidence_disc_policy.require(actor, "view", disc)
    if not disc.statement_sha256:
        raise DiscNotReady("文字说明尚未生成", code="disc_no_statement")
    with transaction.atomic():
        case_services.timeline_record(
            disc.case,
            actor=actor,
            action="disc.statement_downloaded",
            summary=f"下载证据光盘 #{disc.pk} 的文字说明",
            obj=("evidence_disc", disc.pk),
            payload={"disc_id": disc.pk, "statement_sha256": disc.statement_sha256},
        )
    return disc.statement_sha256


# ---------------------------------------------------------------- for the case file


@dataclass(frozen=True)
class DiscStatement:
    """A verified disc's written statement, to be listed in the case file (kind ``statement``)."""

    disc_id: int
    title: str
    sha256: str  # the statement PDF in the blob store (its ``blob.stored`` event names it)
    sm3: str
    size: int
    made_at: dt.datetime
    maker: str
    extractor: str
    extracted_at: dt.datetime
    image_sha256: str


def disc_statements(case: Case) -> list[DiscStatement]:
    """The statements of the case's verified discs, oldest first (no permission filter: assembly's input)."""
    out = []
    qs = EvidenceDisc.objects.filter(case=case, status=DiscStatus.VERIFIED).exclude(statement_sha256="")
    for disc in qs.order_by("built_at", "id"):
        blob = Blob.objects.get(pk=disc.statement_sha256)
        out.append(
            DiscStatement(
                disc_id=disc.pk,
                title=f"证据光盘文字说明（光盘 #{disc.pk}，{disc.get_medium_display()}）",
                sha256=blob.sha256,
                sm3=blob.sm3,
                size=blob.size,
                made_at=disc.built_at or disc.requested_at,
                maker=disc.maker,
                extractor=disc.extractor,
                extracted_at=disc.extracted_at,
                image_sha256=disc.image_sha256,
            )
        )
    return out
