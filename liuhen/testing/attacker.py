"""Tests that play someone with database rights: drop every guard trigger, do the damage, put them back.

The append-only ledger tables and the write-once record tables refuse UPDATE and DELETE at the
database (``liuhen.ledger.guards``); an attacker who owns the database can drop those triggers, and
then only ``verify`` stands between them and an unnoticed edit. Tests of ``verify`` use this.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection


@contextlib.contextmanager
def attacker() -> Iterator[None]:
    from liuhen.ledger import guards

    guards.drop(connection)
    try:
        yield
    finally:
        guards.create(connection)
