"""Chinese labels for the archive's stored codes (batch status, item state, record kind, approver role)."""

from __future__ import annotations

from django import template

from liuhen.archive.models import DisposalItemState, DisposalStatus, ObjectType
from liuhen.org.rules import ROLE_LABELS

register = template.Library()

_LABELS: dict[str, str] = {
    **dict(DisposalStatus.choices),
    **dict(DisposalItemState.choices),
    **dict(ObjectType.choices),
    **ROLE_LABELS,
}


@register.filter
def archive_label(code: str) -> str:
    """The Chinese label of a code (or of comma-separated codes), or the code itself where none is known."""
    return "、".join(_LABELS.get(part, part) for part in str(code).split(","))
