"""归档: the records keeper accepts a case file whose package passes the four checks, re-run at that
moment on the package as it lies on disk (clauses arch-case-file-complete, time-archive-30d).

The package is then made read-only, its tag-manifest goes into the blob store and its digest into the
ledger; the case file gets its retention (``retention.terms.retention_case_archived``) in the same
transaction. ``case_file_check`` (also ``manage.py archive_check``) reads and writes nothing.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.archive.bagit.checks import CheckReport, Finding, Property, check_package
from liuhen.archive.casefiles.assembly import Problem, current_items, package_root, refuse
from liuhen.archive.casefiles.errors import CaseFileRefused
from liuhen.archive.models import CaseFile, CaseFileStatus
from liuhen.archive.policies import case_file_policy
from liuhen.archive.retention.terms import retention_case_archived
from liuhen.cases import services as case_services
from liuhen.ledger import signing
from liuhen.ledger.blobstore.selectors import blob_get
from liuhen.ledger.blobstore.services import blob_put


def case_file_check(case_file: CaseFile) -> CheckReport:
    """Re-run the four checks on the package as it lies on disk, against the blob store's digests."""
    root = package_root(case_file)
    if root is None or not root.is_dir():
        raise CaseFileRefused("案卷尚未组卷或归档包不存在", code="package_missing")
    expected: dict[str, dict[str, Any]] = {}
    for item in current_items(case_file):
        blob = blob_get(sha256=item.sha256)  # the digests come from the blob store, not the package (真实性)
        expected[f"{item.record_type}:{item.record_id}"] = {"sha256": blob.sha256, "sm3": blob.sm3, "size": blob.size}
    case = case_file.case
    return check_package(
        root,
        expected=expected,
        required_records=list(expected),
        trusted_vkey=signing.deployment_verifier().vkey,
        expected_info={
            "Source-Organization": case.agency.name,
            "Liuhen-Case-No": case.number,
            "Liuhen-Case-Id": str(case.pk),
        },
    )


def _make_read_only(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    for dirpath, _dirs, _files in os.walk(root, topdown=False):
        Path(dirpath).chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)


def case_file_archive(*, actor: Any, case_file: CaseFile) -> CaseFile:
    """归档: the records keeper of the agency accepts the package once the four checks pass (re-run now).

    In the same transaction the case file gets its retention, and the records that follow it their date.
    """
    case_file_policy.require(actor, "archive", case_file)
    case_file.refresh_from_db()
    case = case_file.case
    if case_file.status == CaseFileStatus.ARCHIVED:
        raise CaseFileRefused("案卷已归档", code="case_file_archived")
    if case_file.status not in (CaseFileStatus.CHECKED, CaseFileStatus.REJECTED) or not case_file.package_path:
        raise CaseFileRefused("案卷尚未组卷，先组卷并通过四性检测", code="case_file_not_assembled")
    report = case_file_check(case_file)
    tag_path = package_root(case_file) / "tagmanifest-sha256.txt"
    tag_sha = hashlib.sha256(tag_path.read_bytes()).hexdigest() if tag_path.exists() else ""
    if tag_sha != case_file.package_sha256:
        report.findings.append(
            Finding(Property.AUTHENTICITY, "package_changed", "归档包的标签清单与组卷时记录的摘要不同（组卷后被改动）")
        )
    if not report.ok:
        with transaction.atomic():
            cf = CaseFile.objects.select_for_update().get(pk=case_file.pk)
            cf.status, cf.check_report, cf.check_passed = CaseFileStatus.REJECTED, report.as_dict(), False
            cf.checked_by, cf.checked_at = actor, report.checked_at
            cf.save(update_fields=["status", "check_report", "check_passed", "checked_by", "checked_at"])
        refuse(
            actor,
            case,
            "case_file.archive_refused",
            [Problem("package_check_failed", f"四性检测未通过（{len(report.findings)} 项），不能归档；请重新组卷")],
            case_file.pk,
        )
    now = timezone.now()
    root = package_root(case_file)
    with transaction.atomic():
        cf = CaseFile.objects.select_for_update().get(pk=case_file.pk)
        if cf.status == CaseFileStatus.ARCHIVED:
            raise CaseFileRefused("案卷已归档", code="case_file_archived")
        tagmanifest = blob_put(actor=actor, stream=tag_path.read_bytes(), agency_id=cf.agency_id)
        cf.status = CaseFileStatus.ARCHIVED
        cf.check_report, cf.check_passed = report.as_dict(), True
        cf.checked_by, cf.checked_at = actor, report.checked_at
        cf.archived_by, cf.archived_at = actor, now
        cf.save()
        case.archived_at = now
        case.save(update_fields=["archived_at"])
        retention_case_archived(
            actor=actor, case_file=cf
        )  # after the case's archiving date is saved: it counts from it
        changes = case_services.deadlines.on_event(case, case_services.profile_of(case), "case_archived", at=now)
        case_services.timeline_record(
            case,
            actor=actor,
            action="case_file.archived",
            summary=f"归档：档案号 {cf.archive_number}，{cf.items.filter(assembly=cf.assembly).count()} 件，四性检测通过",
            obj=("case_file", cf.pk),
            payload={
                "archive_number": cf.archive_number,
                "package_sha256": tagmanifest.sha256,
                "package_path": cf.package_path,
                "assembly": cf.assembly,
                "deadlines": changes,
            },
        )
    _make_read_only(root)  # after the commit: a failed archive leaves the package as it was
    return cf
