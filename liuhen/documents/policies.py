"""Who may see and do what with text records (文书, and their finalised versions) and deliveries (送达):
one permission policy per kind (``liuhen.core.permissions``), asked by the services, selectors, pages
and API alike, so a page offers exactly what its service will do.

- A **document** is seen by whoever sees its case (``liuhen.cases.policies.case_policy``); another
  agency's, or one of a case the user does not see, is "not found". Drafting one on a case (``create``,
  asked of the case), editing, signing, finalising, correcting and delivering it are for whoever
  handles the case, while the case is not closed or referred — and each in the state it needs: a
  draft is edited, signed and finalised; a finalised electronic record is corrected (a new version).
- A **delivery** is seen by whoever sees its case, its proof files too (reading one leaves a trace);
  it is corrected (superseded) by whoever handles the case.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from liuhen.cases.models import Case, CaseStatus
from liuhen.cases.policies import case_policy
from liuhen.core.errors import DomainError, NotFound
from liuhen.core.permissions import PermissionPolicy
from liuhen.documents.errors import DeliveryNotFound, DocumentNotFound, DocumentRefused
from liuhen.documents.models import Delivery, Document, DocumentKind, DocumentStatus

ENDED = (CaseStatus.CLOSED, CaseStatus.REFERRED)


def _as_case(refused: DomainError | None, missing: DomainError) -> DomainError | None:
    """The case's refusal for a record of it: a case the user may not know of hides the record too."""
    return missing if isinstance(refused, NotFound) else refused


def _handles_open(user: Any, case: Case) -> DomainError | None:
    refused = case_policy.refusal(user, "handle", case)
    if refused is None and case.status in ENDED:
        return DocumentRefused(f"案件{case.get_status_display()}，不能再制作或修改文书", code="case_ended")
    return refused


class DocumentPolicy(PermissionPolicy[Document]):
    kind = "document"
    label = "文书"
    model = Document
    agency_field = "case__agency_id"
    actions = {
        "view": "查看",
        "download": "下载",
        "create": "起草",  # asked of the case (``obj`` is a Case)
        "edit": "修改草稿",
        "sign": "采集签名",
        "finalise": "定稿",
        "correct": "更正",
        "deliver": "记录送达",
    }
    not_found = DocumentNotFound
    not_found_code = DocumentNotFound.code

    def visible(self, user: Any) -> QuerySet[Document]:
        return Document.objects.filter(case__in=case_policy.visible(user))

    def in_agency(self, user: Any) -> QuerySet[Document]:
        return super().in_agency(user).select_related("case", "case__agency")

    def rule(self, user: Any, action: str, obj: Any) -> DomainError | None:
        if action in ("view", "download"):
            if obj is None:
                return case_policy.refusal(user, "list")
            return _as_case(case_policy.refusal(user, "view", obj.case), self.missing())
        if obj is None:
            return case_policy.refusal(user, "open")
        if action == "create":
            return _handles_open(user, obj)
        document: Document = obj
        refused = _handles_open(user, document.case)
        if refused is not None or action == "deliver":
            return refused
        final = document.status == DocumentStatus.FINAL
        paper = document.kind == DocumentKind.PAPER
        if action == "edit" and final:
            return DocumentRefused("文书已定稿，不能修改；如需更正请发起更正（将生成新版本）", code="document_final")
        if action == "sign" and final:
            return DocumentRefused("文书已定稿，不能再签名；如需补签请发起更正", code="document_final")
        if action == "finalise" and paper:
            return DocumentRefused("纸质文书扫描件附加时即已定稿", code="document_final")
        if action == "finalise" and final:
            return DocumentRefused("文书已定稿；如需更正请发起更正（将生成新版本）", code="document_final")
        if action == "correct" and not final:
            return DocumentRefused("只有已定稿的文书可以更正", code="document_not_final")
        if action == "correct" and paper:
            return DocumentRefused(
                "纸质文书扫描件不能在系统中更正，请附加更正后的纸质文书", code="paper_not_correctable"
            )
        return None


class DeliveryPolicy(PermissionPolicy[Delivery]):
    kind = "delivery"
    label = "送达记录"
    model = Delivery
    agency_field = "case__agency_id"
    actions = {"view": "查看", "supersede": "更正"}
    not_found = DeliveryNotFound
    not_found_code = DeliveryNotFound.code

    def visible(self, user: Any) -> QuerySet[Delivery]:
        return Delivery.objects.filter(case__in=case_policy.visible(user))

    def in_agency(self, user: Any) -> QuerySet[Delivery]:
        return super().in_agency(user).select_related("case")

    def rule(self, user: Any, action: str, obj: Delivery | None) -> DomainError | None:
        if obj is None:
            return case_policy.refusal(user, "list" if action == "view" else "open")
        if action == "view":
            return _as_case(case_policy.refusal(user, "view", obj.case), self.missing())
        return _handles_open(user, obj.case)


document_policy = DocumentPolicy()
delivery_policy = DeliveryPolicy()
