"""``flush`` that can empty a *test* database despite the append-only triggers.

Django's test runner flushes the database after each transactional test (``live_server`` browser
journeys). On a test database the guards of the ledger and of the write-once tables (``liuhen.ledger.guards``)
are dropped for the flush and put back after it; on any other database this command behaves like
Django's and the triggers refuse to empty those tables.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from liuhen.ledger import guards


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if not guards.is_test_database(connection):
            return super().handle(**options)
        guards.drop(connection)
        try:
            return super().handle(**options)
        finally:
            guards.create(connection)
