"""Bounded input values: ids, pagination, counts, days and seconds, checked where a request enters.

Every integer and number a client sends is bounded, so that nothing it types reaches the database or
the calendar as a value they cannot hold (a 25-digit id overflows SQLite's and PostgreSQL's 64-bit
integers; ``timedelta(days=10**9)`` overflows; a negative slice is refused by the ORM) and the client
gets a 422 with a code instead of a 500. The API uses the annotated types below in path, query and body
declarations (pydantic checks them and ninja answers ``422 validation_failed``; the bounds appear in the
OpenAPI, and ``liuhen/tests/test_api.py`` fails for any integer or number the API takes unbounded). Code
that reads raw strings (tus headers, form fields, path segments typed ``str``) uses :func:`ascii_int` or
:func:`parse_id`: ``str.isdigit()`` also accepts ``²`` and ``١``, which ``int()`` then refuses.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, Field

INT64_MAX = 2**63 - 1  # the largest value of a 64-bit database integer (BigAutoField, BIGINT)
MAX_OFFSET = 10**9  # far beyond any list here; offset + limit stays a 64-bit integer
MAX_DAYS = 3660  # ten years of calendar days: longer than any deadline, period or look-ahead
MAX_SECONDS = 10**7  # about 115 days: longer than any recording or any position in one

Id = Annotated[int, Field(ge=1, le=INT64_MAX, description="编号（正整数）")]
"""An object's id (every primary key here is a positive 64-bit integer)."""

Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""A non-negative whole number that counts something kept in the database (a version, a ledger size)."""

Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
"""A number of days (a look-ahead, an extension asked for)."""

Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]
"""A position or duration in a recording, in seconds."""

Year = Annotated[int, Field(ge=1900, le=2199, description="年份（1900–2199）")]
"""A calendar year (the working-day calendar and numbering run on years; dates end at 9999)."""


class Page(BaseModel):
    """``?limit=&offset=`` of a list (``Query[Page]``): at most 200 rows from row ``offset``."""

    limit: int = Field(50, ge=1, le=200, description="每页条数（1–200）")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="从第几条开始（0 起）")

    def slice(self, rows: Any) -> Any:
        return rows[self.offset : self.offset + self.limit]


_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_int(raw: str | None, *, maximum: int = INT64_MAX) -> int | None:
    """``raw`` as a non-negative integer if it is nothing but ASCII digits and at most ``maximum``, else None."""
    if raw is None or not _ASCII_DIGITS.fullmatch(raw) or len(raw) > len(str(maximum)):
        return None
    value = int(raw)
    return value if value <= maximum else None


def parse_id(raw: Any) -> int | None:
    """An id given as text or number (a path segment, a form field, a JSON value), or None if it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 1 <= raw <= INT64_MAX else None
    value = ascii_int(raw if isinstance(raw, str) else None)
    return value if value else None
