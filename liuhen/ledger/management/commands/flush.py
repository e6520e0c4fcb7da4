"""``flush`` that can empty a *test* database despite the append-only triggers.

Django's test runner flushes the database after each transactional test (``live_server`` browser
journeys). On a test database the guards of the ledger and of the blob table are dropped for the
flush and put back after it; on any other database this command behaves like Django's and the
triggers refuse to empty those tables.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from liuhen.ledger import guards

_BLOB_GUARDS = importlib.import_module("liuhen.ledger.blobstore.migrations.0002_append_only_triggers")


def _blob_guards(connection: Any, *, up: bool) -> None:
    prefix = {"sqlite": "SQLITE", "postgresql": "POSTGRES"}.get(connection.vendor)
    if prefix is None:
        return
    with connection.cursor() as cursor:
        for sql in getattr(_BLOB_GUARDS, f"{prefix}_{'UP' if up else 'DOWN'}"):
            cursor.execute(sql)


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if not guards.is_test_database(connection):
            return super().handle(**options)
        guards.drop(connection)
        _blob_guards(connection, up=False)
        try:
            return super().handle(**options)
        finally:
            _blob_guards(connection, up=True)
            guards.create(connection)
