"""A stored evidence disc image re-read (``manage.py disc_verify``; clause arch-av-evidence-disc).

Its SHA-256 and every file inside are compared with what the build verified; a disc that differs by
one byte is withdrawn (no longer offered for download). Each check is in the ledger and, when a person
ran it, on the case timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.archive.bagit import disc_image as disc_lib
from liuhen.archive.bagit.errors import DiscReadbackFailed
from liuhen.archive.discs.build import image_path, sha256_file
from liuhen.archive.discs.errors import DiscNotReady
from liuhen.archive.models import DiscStatus, EvidenceDisc
from liuhen.cases import services as case_services
from liuhen.ledger.services import record


@dataclass(frozen=True)
class DiscCheck:
    ok: bool
    problems: list[str]


def disc_verify(*, disc_id: int, actor: Any = None) -> DiscCheck:
    """Re-read a stored image: its SHA-256 and every file inside; a disc that fails is withdrawn."""
    disc = EvidenceDisc.objects.select_related("case").get(pk=disc_id)
    if not disc.image_path or not disc.digests:
        raise DiscNotReady("该光盘没有已制作的镜像可供校验", code="disc_no_image")
    path = image_path(disc)
    problems: list[str] = []
    if not path.exists():
        problems.append("镜像文件不存在")
    else:
        if sha256_file(path) != disc.image_sha256:
            problems.append("镜像文件的 SHA-256 与制作时记录的不符")
        try:
            disc_lib.disc_readback(path, disc.digests)
        except DiscReadbackFailed as exc:
            problems.extend(f"{f} 与应有内容不符" for f in exc.detail.get("files", []))
        except Exception as exc:  # an image pycdlib cannot open is a finding too
            problems.append(f"镜像无法读取：{exc}")
    ok = not problems
    with transaction.atomic():
        disc = EvidenceDisc.objects.select_for_update().get(pk=disc_id)
        disc.verified_at = timezone.now()
        disc.verification = {"ok": ok, "files": len(disc.digests), "problems": problems, "how": "reverify"}
        fields = ["verified_at", "verification"]
        if not ok and disc.status == DiscStatus.VERIFIED:
            disc.status, disc.phase, disc.error = DiscStatus.FAILED, "复核未通过", "；".join(problems)[:2000]
            fields += ["status", "phase", "error"]
        disc.save(update_fields=fields)
        payload = {"disc_id": disc.pk, "ok": ok, "problems": problems[:50], "image_sha256": disc.image_sha256}
        summary = "复核证据光盘镜像：" + ("通过" if ok else "未通过，已停止提供下载：" + "；".join(problems)[:200])
        if getattr(actor, "pk", None) is not None:
            case_services.timeline_record(
                disc.case,
                actor=actor,
                action="disc.reverified",
                summary=summary,
                obj=("evidence_disc", disc.pk),
                payload=payload,
            )
        else:  # a scheduled or command-line check: in the ledger, named by what ran it
            record(
                actor=actor,
                action="disc.reverified",
                obj_type="evidence_disc",
                obj_id=disc.pk,
                payload={"case_id": disc.case_id, **payload},
                agency_id=disc.agency_id,
            )
    return DiscCheck(ok=ok, problems=problems)
