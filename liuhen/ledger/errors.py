"""Errors of the ledger."""

from __future__ import annotations

from liuhen.core.errors import DomainError


class LedgerError(DomainError):
    code = "ledger_error"
    status = 500
    message = "账本写入失败"
