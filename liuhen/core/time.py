"""Beijing time: how Liuhen shows and reads times (STYLE: stored in UTC, shown in Asia/Shanghai).

China has kept UTC+8 all year since 1991, so a fixed offset is exact for every date a record can
carry and needs no time-zone database. Dates that count as working days go through
``liuhen.policy.calendar``; this module only converts.
"""

from __future__ import annotations

import datetime as dt

BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


def beijing(value: dt.datetime) -> dt.datetime:
    """An aware moment in Beijing time (a naive one is taken as UTC, as the database stores it)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BEIJING)


def as_beijing(naive: dt.datetime) -> dt.datetime:
    """A wall-clock time read without a zone (a camera's EXIF, a typed time), taken as Beijing time."""
    return naive.replace(tzinfo=BEIJING) if naive.tzinfo is None else naive


def beijing_date(value: dt.datetime) -> dt.date:
    """The calendar date in Beijing of an aware moment."""
    return beijing(value).date()


def beijing_text(value: dt.datetime | None, *, seconds: bool = False, missing: str = "未知") -> str:
    """``2026-12-02 10:30`` (``:05`` with ``seconds``) in Beijing time, or ``missing``."""
    if value is None:
        return missing
    return beijing(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
