"""Templates ask the permission policies too: ``{% load permissions %}`` then
``{% user_can request.user "evidence_disc" "request" as may %}`` (a kind by name, an action, optionally an
object), so no template checks roles itself."""

from __future__ import annotations

from typing import Any

from django import template

from liuhen.core.permissions import policy_for

register = template.Library()


@register.simple_tag
def user_can(user: Any, kind: str, action: str, obj: Any = None) -> bool:
    return policy_for(kind).user_can(user, action, obj)
