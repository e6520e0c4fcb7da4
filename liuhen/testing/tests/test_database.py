"""The same suite runs on SQLite and PostgreSQL; tests marked ``postgres`` run only in the PostgreSQL pass."""

from __future__ import annotations

import pytest
from django.db import connection

from liuhen.org.models import Agency


@pytest.mark.postgres
def test_postgres_pass__really_uses_postgresql(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("select current_setting('server_encoding')")
        assert cursor.fetchone()[0] == "UTF8"


def test_chinese_text__round_trips_on_either_database(make_agency):
    agency = make_agency(code="xg-wl")
    assert Agency.objects.get(pk=agency.pk).name == "xg-wl 测试局"
    assert Agency.objects.filter(name__contains="测试局").count() == 1
