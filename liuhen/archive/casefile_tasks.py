"""Background work of case files: 组卷 in the worker (``bagit`` changes the working directory; ADR 0010)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from liuhen.core.errors import DomainError


@task()
def case_file_assemble_task(*, case_file_id: int, actor_id: int) -> dict[str, Any]:
    """A thin wrapper of ``case_file_assemble``; a refusal met here is returned for the page to show
    (it is already in the ledger)."""
    from django.contrib.auth import get_user_model

    from liuhen.archive import casefiles
    from liuhen.archive.models import CaseFile

    actor = get_user_model().objects.get(pk=actor_id)
    case_file = CaseFile.objects.select_related("case").get(pk=case_file_id)
    try:
        cf = casefiles.case_file_assemble(actor=actor, case=case_file.case)
    except DomainError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message}
    return {"ok": True, "status": cf.status, "assembly": cf.assembly}
