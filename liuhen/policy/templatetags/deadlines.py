"""Showing due dates: a provisional date always carries a visible badge "暂定（2027年节假日未录入）".

A date computed over a year whose holidays nobody entered rests on weekends alone (see
``liuhen.policy.calendar``); every page that shows it must say so. Use::

    {% load deadlines %}
    {{ result|due_date }}                          {# a calendar.DueDate #}
    {% due_date_badge case.due case.due_provisional case.due_unknown_years %}  {# stored fields #}
    {{ result|provisional_badge }}                 {# just the badge, or nothing #}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from liuhen.policy.calendar import provisional_note

register = template.Library()

DEFAULT_FORMAT = "Y-m-d"


def _years(unknown_years: Iterable[int] | str | None, fallback: dt.date | None) -> list[int]:
    if isinstance(unknown_years, str):
        unknown_years = [int(y) for y in unknown_years.replace("、", ",").split(",") if y.strip().isdigit()]
    years = sorted({int(y) for y in unknown_years or ()})
    if not years and fallback is not None:
        years = [fallback.year]
    return years


def _badge(provisional: bool, unknown_years: Iterable[int] | str | None, due: dt.date | None) -> SafeString:
    if not provisional:
        return mark_safe("")
    note = provisional_note(_years(unknown_years, due))
    return format_html(
        '<span class="lh-badge-provisional" data-testid="provisional-badge" '
        'title="该年度的法定节假日尚未录入，按双休日暂算；录入后期限可能变化">{}</span>',
        note,
    )


def _render(due: dt.date | None, provisional: bool, unknown_years: Any, fmt: str) -> SafeString:
    if due is None:
        return mark_safe("—")
    text = date_format(due, fmt or DEFAULT_FORMAT)
    badge = _badge(provisional, unknown_years, due)
    if not badge:
        return format_html('<span class="lh-due">{}</span>', text)
    return format_html('<span class="lh-due lh-due-provisional">{}</span> {}', text, badge)


@register.filter
def due_date(value: Any, fmt: str = DEFAULT_FORMAT) -> SafeString:
    """A ``DueDate`` (or anything with ``due``, ``provisional``, ``unknown_years``) as a date plus badge.

    A plain date renders without a badge: it carries no provisional flag, so use the tag for stored values.
    """
    if value is None or value == "":
        return mark_safe("—")
    if isinstance(value, dt.date):
        return _render(value, False, (), fmt)
    return _render(
        getattr(value, "due", None),
        bool(getattr(value, "provisional", False)),
        getattr(value, "unknown_years", ()),
        fmt,
    )


@register.simple_tag
def due_date_badge(
    due: dt.date | None, provisional: bool = False, unknown_years: Any = None, fmt: str = DEFAULT_FORMAT
) -> SafeString:
    """A stored due date and its stored provisional flag (unknown years default to the due date's year)."""
    return _render(due, bool(provisional), unknown_years, fmt)


@register.filter
def provisional_badge(value: Any) -> SafeString:
    """Only the badge for a ``DueDate``/``DayInfo``-like value; empty when it is not provisional."""
    unknown = getattr(value, "unknown_years", None)
    if unknown is None and getattr(value, "day", None) is not None:
        unknown = [value.day.year]
    return _badge(bool(getattr(value, "provisional", False)), unknown, getattr(value, "due", None))
