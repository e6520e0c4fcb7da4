"""A person's name as every record prints it: one precedence everywhere.

An officer's name from the enforcement certificate register comes first (it is the name the law knows),
then the account's display name, the full name, the user name. Records that copy a name (an approval's
``actor_name``, a timeline entry, a ledger event's actor) all take it from here, so one person is never
named two ways.
"""

from __future__ import annotations

from typing import Any


def display_name(person: Any, *, default: str = "", max_length: int | None = None) -> str:
    """The name of a user (or of a label given as text); ``default`` for nobody."""
    if person is None:
        name = default
    elif isinstance(person, str):
        name = person
    else:
        officer = getattr(person, "officer", None)
        full = person.get_full_name() if callable(getattr(person, "get_full_name", None)) else ""
        name = (
            (getattr(officer, "name", "") if officer is not None else "")
            or getattr(person, "display_name", "")
            or full
            or getattr(person, "username", "")
            or str(person)
        )
    return name[:max_length] if max_length is not None else name
