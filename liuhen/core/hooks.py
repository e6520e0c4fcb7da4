"""Explicit extension points: a lower app offers a hook, a higher app registers a callback in ready().

Instead of Django signals whose receivers write ledger events from wherever a row happens to be saved,
a hook is called by name, by the service that does the act, inside its transaction — so a reader of
the service sees that something more happens, and the test of the act proves it. (The same way
``liuhen.cases.requirements.register_provider`` lets documents and media add a stage's requirements.)

The kernel's own hooks:

- ``record_stored(obj=, actor=)``: a record whose keeping is governed by retention was stored (a blob, a
  finalised text record, an AV original or a derivative). The archive gives it its retention class.
- ``deletion_refused(model=, pks=, via=)``: someone tried to delete write-once rows through the ORM; the
  refusal is raised right after. The archive logs the attempt in the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Callback = Callable[..., Any]


class Hook:
    """A named list of callbacks, called in the order registered with the hook's keyword arguments."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc
        self._callbacks: list[Callback] = []

    def register(self, callback: Callback) -> Callback:
        """Add a callback (idempotent; usable as a decorator)."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def unregister(self, callback: Callback) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    @property
    def callbacks(self) -> tuple[Callback, ...]:
        return tuple(self._callbacks)

    def __call__(self, **kwargs: Any) -> None:
        for callback in list(self._callbacks):
            callback(**kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._callbacks)} callbacks>"


record_stored = Hook(
    "record_stored", "A record kept under retention was stored: obj (the row), actor (who stored it, or None)."
)
deletion_refused = Hook(
    "deletion_refused", "Write-once rows were about to be deleted through the ORM: model (label), pks, via."
)
