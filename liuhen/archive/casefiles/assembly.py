"""组卷: a closed case's records become a BagIt package, checked at once (DA/T 70).

Clauses time-archive-30d, arch-case-file-complete. Closing a case opens its ``CaseFile`` with the due
date of the case's ``archiving`` deadline (the cases app's ``case_closed`` hook, inside the closing
transaction). Assembly refuses a case with a draft or correcting document, an AV record tied to the
case but to no stage, or an unreadable original nobody explained; otherwise it builds the package
(cover, table of contents, every finalised document version, every AV original with its metadata,
the written statement of each verified evidence disc, the timeline as JSON and PDF, the ledger
inclusion proof of each record's ``blob.stored`` event) and runs the four checks. Archiving is
``archiving``'s.

The archive number (year + 4-digit sequence, forms.md §3) is reserved at the first assembly because
the cover printed inside the package must carry it; archiving makes it final.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from liuhen.archive.bagit.checks import CheckReport, check_package, report_attach
from liuhen.archive.bagit.package import build_package, read_description
from liuhen.archive.bagit.spec import (
    DEFAULT_AV_METADATA_FIELDS,
    Cover,
    ItemKind,
    PackageItem,
    PackageSpec,
    Volume,
    expected_records,
)
from liuhen.archive.casefiles.contents import local_date, package_entries, retention_text, source_of
from liuhen.archive.casefiles.errors import CaseFileRefused
from liuhen.archive.models import (
    ArchiveCounter,
    CaseFile,
    CaseFileItem,
    CaseFileItemKind,
    CaseFileStatus,
)
from liuhen.archive.policies import case_file_policy
from liuhen.cases import services as case_services
from liuhen.cases.models import Case, CaseDeadline, CaseStatus
from liuhen.core.errors import DomainError
from liuhen.core.people import display_name
from liuhen.documents.models import Document, DocumentStatus
from liuhen.ledger import signing
from liuhen.ledger.checkpoints import checkpoint_create
from liuhen.ledger.cosigning import cosigned_note
from liuhen.ledger.models import Event
from liuhen.ledger.proofs import proof_bundle
from liuhen.ledger.services import record
from liuhen.media.continuity.recording import (
    effective_link,
    record_problems,
    records_linked,
)
from liuhen.media.models import AvExemption, InterruptionNote


@dataclass(frozen=True)
class Problem:
    """Why a case cannot be assembled yet: a stable code and a Chinese sentence naming the record."""

    code: str
    message: str


# ---------------------------------------------------------------- reads


def assembly_problems(case: Case) -> list[Problem]:
    """Everything that stops ``case`` being assembled, [] when nothing does."""
    out: list[Problem] = []
    if case.status != CaseStatus.CLOSED:
        out.append(Problem("case_not_closed", f"案件{case.get_status_display()}，结案后才能立卷归档"))
    for doc in Document.objects.filter(case=case).order_by("id"):
        if doc.status == DocumentStatus.DRAFT or doc.version_count == 0:
            out.append(Problem("document_draft", f"文书“{doc.doc_name}”（{doc.number}）仍是草稿，未定稿不能归档"))
        elif doc.status == DocumentStatus.CORRECTING:
            out.append(
                Problem("document_correcting", f"文书“{doc.doc_name}”（{doc.number}）正在更正，更正定稿后才能归档")
            )
    for rec in records_linked(case):
        _, stage_id = effective_link(rec)
        if not stage_id:
            out.append(
                Problem("av_record_unlinked", f"音像记录“{rec.filename}”（#{rec.pk}）未关联到执法环节，请先关联环节")
            )
            continue
        if record_problems(rec):
            explained = (
                AvExemption.objects.filter(case=case, stage_id=stage_id).exists()
                or InterruptionNote.objects.filter(before=rec).exists()
                or InterruptionNote.objects.filter(after=rec).exists()
            )
            if not explained:
                out.append(
                    Problem(
                        "av_record_unreadable",
                        f"音像记录“{rec.filename}”（#{rec.pk}）无法读取（{'、'.join(record_problems(rec))}），"
                        "须有书面说明后才能归档",
                    )
                )
    return out


def current_items(case_file: CaseFile) -> list[CaseFileItem]:
    order = {v.get("code"): i for i, v in enumerate(case_file.volumes or [])}
    items = list(case_file.items.filter(assembly=case_file.assembly))
    return sorted(items, key=lambda i: (order.get(i.volume, 99), i.seq))


def package_root(case_file: CaseFile) -> Path | None:
    return Path(settings.DATA_DIR) / case_file.package_path if case_file.package_path else None


# ---------------------------------------------------------------- opening (on closure)


def case_file_open(*, case: Case, actor: Any = None) -> CaseFile:
    """Create (or refresh the due date of) the case file of a just-closed case. Caller's transaction."""
    deadline = CaseDeadline.objects.filter(case=case, code="archiving").first()
    due_on = deadline.due_on if deadline else None
    profile = f"{case.profile_id}@{case.profile_version}"
    cf, created = CaseFile.objects.get_or_create(
        case=case,
        defaults={
            "agency_id": case.agency_id,
            "opened_at": case.closed_at or timezone.now(),
            "due_on": due_on,
            "profile": profile,
        },
    )
    if not created and cf.status != CaseFileStatus.ARCHIVED:
        cf.due_on, cf.opened_at = due_on, case.closed_at or cf.opened_at
        cf.save(update_fields=["due_on", "opened_at"])
    record(
        actor=actor,
        action="case_file.opened",
        obj_type="case_file",
        obj_id=cf.pk,
        payload={"case_id": case.pk, "due_on": due_on.isoformat() if due_on else None},
        agency_id=case.agency_id,
    )
    return cf


# ---------------------------------------------------------------- proofs


def _stored_event(sha256: str) -> Event:
    event = Event.objects.filter(action="blob.stored", object_type="blob", object_id=sha256).order_by("seq").first()
    if event is None:
        raise CaseFileRefused(f"文件 {sha256[:12]}… 没有存入账本的记录，不能证明其存在", code="blob_event_missing")
    return event


# ---------------------------------------------------------------- assembly


def _reserve_number(case_file: CaseFile, case: Case) -> str:
    if case_file.archive_number:
        return case_file.archive_number
    year = (local_date(case.closed_at) or timezone.localdate()).year
    with transaction.atomic():
        cf = CaseFile.objects.select_for_update().get(pk=case_file.pk)
        if not cf.archive_number:
            counter, _ = ArchiveCounter.objects.select_for_update().get_or_create(agency_id=cf.agency_id, year=year)
            counter.last += 1
            counter.save(update_fields=["last"])
            cf.archive_number = f"{year}{counter.last:04d}"
            cf.save(update_fields=["archive_number"])
    case_file.archive_number = cf.archive_number
    return cf.archive_number


def _run_checks(root: Path, spec: PackageSpec) -> CheckReport:
    return check_package(
        root,
        expected=expected_records(spec),
        required_records=[i.record_id for i in spec.items],
        trusted_vkey=spec.vkey,
        expected_info={
            "Source-Organization": spec.agency_name,
            "Liuhen-Case-No": spec.case_no,
            "Liuhen-Case-Id": spec.case_id,
        },
    )


def refuse(actor: Any, case: Case, action: str, problems: Sequence[Problem], obj_id: Any) -> None:
    """Log a refusal in the ledger (its own transaction) and raise the first problem."""
    with transaction.atomic():
        record(
            actor=actor,
            action=action,
            obj_type="case_file",
            obj_id=obj_id,
            payload={"case_id": case.pk, "problems": [p.__dict__ for p in problems]},
            agency_id=case.agency_id,
        )
    first = problems[0]
    raise CaseFileRefused(
        "；".join(p.message for p in problems),
        code=first.code,
        problems=[p.__dict__ for p in problems],
    )


def assembly_precheck(*, actor: Any, case: Case) -> CaseFile | None:
    """What ``case_file_assemble`` refuses before building, asked now (also by the request that queues
    it): the policy, an archived case file, the problems (logged). Returns the case file, if opened."""
    case.refresh_from_db()
    case_file = CaseFile.objects.filter(case=case).first()
    case_file_policy.require(actor, "assemble", case_file or CaseFile(case=case, agency_id=case.agency_id))
    if case_file is not None and case_file.status == CaseFileStatus.ARCHIVED:
        raise CaseFileRefused("案卷已归档，不能重新组卷", code="case_file_archived")
    problems = assembly_problems(case)
    if problems:
        refuse(actor, case, "case_file.assembly_refused", problems, case_file.pk if case_file else case.pk)
    return case_file


def case_file_assemble(*, actor: Any, case: Case) -> CaseFile:
    """组卷: build the case's package and run the DA/T 70 checks (status ``checked`` or ``rejected``)."""
    case_file = assembly_precheck(actor=actor, case=case)
    if case_file is None:
        with transaction.atomic():
            case_file = case_file_open(case=case, actor=actor)
    profile = case_services.profile_of(case)
    agency = case.agency
    number = _reserve_number(case_file, case)
    volumes = [Volume(v.code, v.title) for v in profile.case_file.volumes]
    entries, excluded = package_entries(actor, case, profile, agency.name)
    cp = checkpoint_create()
    assert cp is not None
    note = cosigned_note(cp)  # once: the package and every proof in it carry the same checkpoint text
    seqs: dict[str, int] = {}
    items: list[PackageItem] = []
    for entry in entries:
        seqs[entry.volume] = seqs.get(entry.volume, 0) + 1
        items.append(
            PackageItem(
                record_id=f"{entry.record_type}:{entry.record_id}",
                volume=entry.volume,
                seq=seqs[entry.volume],
                kind=entry.kind,
                title=entry.title,
                file=source_of(entry.sha256, entry.suffix),
                proof=proof_bundle(_stored_event(entry.sha256), cp, note=note),  # the assembly's own event records it
                doc_number=entry.doc_number,
                responsible=entry.responsible,
                date=entry.date,
                remarks=entry.remarks,
                metadata=entry.metadata,
            )
        )
    used = [v for v in volumes if v.code in seqs] or volumes[:1]
    now = timezone.now()
    handlers = [display_name(u) for u in case.handlers.order_by("id")]
    approver = case.approvals.filter(decision="approved").order_by("-acted_at").first()
    decision = next((e for e in entries if e.kind == ItemKind.DOCUMENT and "决定书" in e.title), None)
    spec = PackageSpec(
        agency_name=agency.name,
        agency_code=agency.code,
        case_no=case.number,
        case_id=str(case.pk),
        archivist=display_name(actor),
        archived_at=now,
        cover=Cover(
            case_name=f"{case.party_name}{case.title}案" if case.party_name else f"{case.title}案",
            handling_unit=agency.name,
            filing_date=local_date(case.filed_at or case.started_at),
            closing_date=local_date(case.closed_at),
            archiving_date=timezone.localdate(),
            retention=retention_text(profile),
            archive_number=number,
            handler="、".join(handlers) or display_name(case.opened_by),
            approver=approver.actor_name if approver else "",
            decision_number=decision.doc_number if decision else "",
            maker=display_name(actor),
        ),
        volumes=used,
        items=items,
        checkpoint=note,
        vkey=signing.deployment_verifier().vkey,
        profile=f"{case.profile_id}@{case.profile_version}",
        av_metadata_fields=DEFAULT_AV_METADATA_FIELDS,
    )
    rel = Path("archive") / agency.code / str(case.pk) / f"a{case_file.assembly + 1}-{time.time_ns()}"
    root = Path(settings.DATA_DIR) / rel
    result = build_package(spec, root)
    report = _run_checks(root, spec)
    report_attach(root, report)
    tag_sha = hashlib.sha256((root / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    with transaction.atomic():
        cf = CaseFile.objects.select_for_update().get(pk=case_file.pk)
        if cf.status == CaseFileStatus.ARCHIVED:
            raise CaseFileRefused("案卷已归档，不能重新组卷", code="case_file_archived")
        cf.assembly += 1
        cf.volumes = [{"code": v.code, "title": v.title} for v in used]
        cf.package_path = str(rel)
        cf.package_sha256 = tag_sha
        cf.package_bytes = result.payload_bytes
        cf.check_report = report.as_dict()
        cf.check_passed = report.ok
        cf.retention = spec.cover.retention
        cf.status = CaseFileStatus.CHECKED if report.ok else CaseFileStatus.REJECTED
        cf.assembled_by, cf.assembled_at = actor, now
        cf.checked_by, cf.checked_at = actor, report.checked_at
        cf.save()
        for item in items:
            entry_type, _, entry_id = item.record_id.partition(":")
            row = CaseFileItem.objects.create(
                case_file=cf,
                assembly=cf.assembly,
                volume=item.volume,
                seq=item.seq,
                kind=_ITEM_KIND[item.kind],
                title=item.title[:300],
                record_type=entry_type,
                record_id=entry_id,
                path=_item_path(root, item.record_id),
                sha256=item.file.sha256,
                sm3=item.file.sm3,
                size=item.file.size,
                doc_number=item.doc_number,
                item_date=item.date,
                created_at=now,
            )
            record(
                actor=actor,
                action="case_file.item_listed",
                obj_type="case_file_item",
                obj_id=row.pk,
                payload={
                    "case_file_id": cf.pk,
                    "assembly": cf.assembly,
                    "volume": row.volume,
                    "seq": row.seq,
                    "kind": row.kind,
                    "record_type": row.record_type,
                    "record_id": row.record_id,
                    "sha256": row.sha256,
                    "size": row.size,
                },
                agency_id=cf.agency_id,
            )
        summary = f"组卷（第{cf.assembly}次）：{len(items)} 件，档案号 {number}；四性检测" + (
            "通过" if report.ok else f"未通过（{len(report.findings)} 项）"
        )
        case_services.timeline_record(
            case,
            actor=actor,
            action="case_file.assembled",
            summary=summary,
            obj=("case_file", cf.pk),
            payload={
                "assembly": cf.assembly,
                "items": len(items),
                "archive_number": number,
                "package_sha256": tag_sha,
                "checkpoint_size": cp.size,
                "av_not_filed": excluded,
            },
        )
        record(
            actor=actor,
            action="case_file.checked",
            obj_type="case_file",
            obj_id=cf.pk,
            payload={
                "assembly": cf.assembly,
                "ok": report.ok,
                "codes": sorted(report.codes()),
                "package_sha256": tag_sha,
            },
            agency_id=cf.agency_id,
        )
    return cf


_ITEM_KIND = {
    ItemKind.DOCUMENT: CaseFileItemKind.DOCUMENT,
    ItemKind.AV_RECORD: CaseFileItemKind.AV,
    ItemKind.TIMELINE: CaseFileItemKind.TIMELINE,
    ItemKind.STATEMENT: CaseFileItemKind.STATEMENT,
    ItemKind.OTHER: CaseFileItemKind.DOCUMENT,
}


def _item_path(root: Path, record_id: str) -> str:
    for entry in read_description(root)["items"]:
        if entry["record_id"] == record_id:
            return entry["path"]
    return ""


# ---------------------------------------------------------------- in the worker


@task()
def case_file_assemble_task(*, case_file_id: int, actor_id: int) -> dict[str, Any]:
    """``case_file_assemble`` in the worker (``bagit`` changes the process's working directory, ADR
    0010; the task sits beside its service, ADR 0016). A refusal met here is returned for the page to
    show (it is already in the ledger)."""
    actor = get_user_model().objects.get(pk=actor_id)
    case_file = CaseFile.objects.select_related("case").get(pk=case_file_id)
    try:
        cf = case_file_assemble(actor=actor, case=case_file.case)
    except DomainError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message}
    return {"ok": True, "status": cf.status, "assembly": cf.assembly}


#: The path queued assemblies carry in the task table.
ASSEMBLE_TASK_PATH = case_file_assemble_task.module_path


def assembly_pending(case_file: CaseFile) -> bool:
    """A 组卷 task for this case file is queued or running (DB task backend; other backends run at once)."""
    return DBTaskResult.objects.filter(
        task_path=ASSEMBLE_TASK_PATH,
        status__in=["READY", "RUNNING"],
        args_kwargs__kwargs__case_file_id=case_file.pk,
    ).exists()


def last_assembly_refusal(case_file: CaseFile) -> dict[str, Any] | None:
    """The refusal the worker met on the latest queued assembly, when it came after the last assembly."""
    row = (
        DBTaskResult.objects.filter(
            task_path=ASSEMBLE_TASK_PATH, status="SUCCESSFUL", args_kwargs__kwargs__case_file_id=case_file.pk
        )
        .order_by("-finished_at")
        .first()
    )
    if row is None or not isinstance(row.return_value, dict) or row.return_value.get("ok", True):
        return None
    if case_file.assembled_at and row.finished_at and row.finished_at < case_file.assembled_at:
        return None
    return row.return_value


def case_file_assembly_request(*, actor: Any, case: Case) -> CaseFile:
    """组卷 requested: the checks of ``case_file_assemble`` now (a refusal raised and logged), the build
    queued in the worker when the request commits (once: not while one is queued or running)."""
    case_file = assembly_precheck(actor=actor, case=case)
    with transaction.atomic():
        if case_file is None:
            case_file = case_file_open(case=case, actor=actor)
        if not assembly_pending(case_file):
            cf_id, actor_id = case_file.pk, actor.pk
            transaction.on_commit(
                lambda: case_file_assemble_task.enqueue(case_file_id=cf_id, actor_id=actor_id), robust=True
            )
    return case_file
