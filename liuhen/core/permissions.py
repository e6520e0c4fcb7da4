"""The permission-policy base: one object per protected kind answers who may see and do what.

After Wagtail's ``permission_policy`` (wagtail/permission_policies): each protected kind — lead, case,
document, delivery, AV record, upload, device, case file, evidence disc, retention record, ledger — has
one :class:`PermissionPolicy` in its app (``<app>/policies.py``), and every service, selector, view,
API endpoint, template and navigation item asks it. Nothing else decides.

- ``visible(user)``: the objects of the kind the user may see (a queryset; lists and lookups use it).
- ``user_can(user, action, obj=None)``: may the user do ``action`` (to ``obj``)? ``refusal`` says why not,
  as a :class:`DomainError` with a stable code and a Chinese message naming the way out.
- ``get(user, pk, action="view")``: the object, or 404 when it is not in the user's agency (or does
  not exist), or 403 with a code when it is but the user may not ``action`` it.

Rights that come from elsewhere — an approved access request that lets a colleague view a case for a
week (the access app), a supervision scope — plug in through :func:`register_grant`: a grant hook is
asked only when the kind's own rule refuses, and may allow that one (user, kind, action, object).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, TypeVar

from django.db import models

from liuhen.core.errors import DomainError, NotFound, PermissionDenied

M = TypeVar("M", bound=models.Model)

#: (user, kind, action, obj) -> True to allow what the kind's own rule refused.
GrantHook = Callable[[Any, str, str, Any], bool]
_GRANTS: list[GrantHook] = []
_POLICIES: dict[str, PermissionPolicy[Any]] = {}


def register_grant(hook: GrantHook) -> GrantHook:
    """Add a source of rights beyond the kinds' own rules (idempotent; usable as a decorator)."""
    if hook not in _GRANTS:
        _GRANTS.append(hook)
    return hook


def unregister_grant(hook: GrantHook) -> None:
    if hook in _GRANTS:
        _GRANTS.remove(hook)


def policy_for(kind: str) -> PermissionPolicy[Any]:
    """The registered policy of a kind (templates and navigation name kinds as text)."""
    return _POLICIES[kind]


def registered() -> list[PermissionPolicy[Any]]:
    return [_POLICIES[k] for k in sorted(_POLICIES)]


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


class PermissionPolicy(Generic[M]):
    """The rules of one protected kind. Subclasses set ``kind``, ``label``, ``model`` and ``actions``
    and implement :meth:`rule` and :meth:`visible`; ``in_agency`` follows ``agency_field``."""

    kind: ClassVar[str]
    label: ClassVar[str]  # Chinese name of the kind, for messages: 案件, 文书 ...
    model: ClassVar[type[models.Model]]
    actions: ClassVar[dict[str, str]] = {"view": "查看"}  # action -> Chinese verb
    agency_field: ClassVar[str | None] = "agency_id"  # lookup from the object to its agency id
    not_found: ClassVar[type[DomainError]] = NotFound
    not_found_code: ClassVar[str] = "not_found"

    def __init__(self) -> None:
        _POLICIES[self.kind] = self

    # -- what a kind says ----------------------------------------------------------------------

    def rule(self, user: Any, action: str, obj: M | None) -> DomainError | None:
        """Why the user may not do ``action`` (to ``obj``, or to the kind at all when None); None allows."""
        raise NotImplementedError

    def visible(self, user: Any) -> models.QuerySet[M]:
        """The objects the user may see."""
        raise NotImplementedError

    def in_agency(self, user: Any) -> models.QuerySet[M]:
        """Every object of the user's agency, seen or not: outside it an object is "not found"."""
        manager = self.model._default_manager
        if not _authenticated(user):
            return manager.none()
        if self.agency_field is None:
            return manager.all()
        return manager.filter(**{self.agency_field: getattr(user, "agency_id", None)})

    # -- what everyone asks --------------------------------------------------------------------

    def refusal(self, user: Any, action: str, obj: M | None = None) -> DomainError | None:
        if action not in self.actions:
            raise ValueError(f"{self.kind}: unknown action {action!r} (known: {', '.join(self.actions)})")
        if not _authenticated(user):
            return PermissionDenied("请先登录", code="not_authenticated")
        refused = self.rule(user, action, obj)
        if refused is not None and obj is not None and any(grant(user, self.kind, action, obj) for grant in _GRANTS):
            return None
        return refused

    def user_can(self, user: Any, action: str, obj: M | None = None) -> bool:
        return self.refusal(user, action, obj) is None

    def require(self, user: Any, action: str, obj: M | None = None) -> None:
        refused = self.refusal(user, action, obj)
        if refused is not None:
            raise refused

    def missing(self, **detail: Any) -> DomainError:
        return self.not_found(f"{self.label}不存在或无权查看", code=self.not_found_code, **detail)

    def get(self, user: Any, pk: Any, *, action: str = "view", queryset: models.QuerySet[M] | None = None) -> M:
        """The object ``pk`` for ``action``: 404 outside the user's agency, then 403 (with a code) when
        the user may not ``action`` it."""
        base = queryset if queryset is not None else self.in_agency(user)
        try:
            obj = base.get(pk=pk)
        except (self.model.DoesNotExist, ValueError, TypeError, OverflowError):
            raise self.missing(id=str(pk)[:40]) from None
        self.require(user, action, obj)
        return obj

    def filter_visible(self, user: Any, objects: Iterable[M]) -> list[M]:
        """Of ``objects``, those the user may see (for lists built without a queryset)."""
        return [o for o in objects if self.user_can(user, "view", o)]
