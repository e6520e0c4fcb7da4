"""Refusals of the documents app: stable codes for programs, Chinese messages for people."""

from __future__ import annotations

from liuhen.cases.errors import CaseInvalid, TransitionRefused
from liuhen.core.errors import NotFound


class DocumentInvalid(CaseInvalid):
    code = "document_invalid"


class DocumentRefused(TransitionRefused):
    code = "document_refused"


class DocumentNotFound(NotFound):
    code = "document_not_found"
    message = "文书不存在或无权查看"


class DeliveryInvalid(DocumentInvalid):
    code = "delivery_invalid"


class DeliveryRefused(DocumentRefused):
    code = "delivery_refused"


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    message = "送达记录不存在或无权查看"
