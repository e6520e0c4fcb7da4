"""The database snapshot a replica carries (clause store-offsite-backup): every table, restorable as it was.

Django's ``dumpdata``/``loaddata`` would do, but its JSON encoder cuts datetimes to milliseconds, and
a ledger event's leaf hash commits to ``recorded_at`` to the microsecond: a restored ledger would no
longer match its own checkpoints. So the rows go through Django's JSON Lines serializer with an encoder
that keeps every digit, in ``dumpdata``'s dependency order, with natural keys for references to
content types and permissions (``migrate`` recreates those, with ids of its own).
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

# Rebuilt by ``migrate`` (contenttypes, permissions), or not worth carrying (sessions, queued tasks).
EXCLUDED = ("contenttypes", "auth.permission", "sessions", "django_tasks_database")


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def included(model: type[models.Model]) -> bool:
    meta = model._meta
    return (
        meta.app_label not in EXCLUDED
        and meta.label_lower not in EXCLUDED
        and meta.managed
        and not meta.proxy
        and not meta.swapped
    )


def snapshot_models() -> list[type[models.Model]]:
    """Every table the snapshot holds, each after the tables its natural keys point to."""
    app_list = [(config, None) for config in apps.get_app_configs() if config.models_module is not None]
    return [m for m in serializers.sort_dependencies(app_list, allow_cycles=True) if included(m)]


def dump(path: Path) -> dict[str, int]:
    """Write every included row to ``path`` (gzip JSON Lines). Run inside the caller's transaction."""
    counts: dict[str, int] = {}
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for model in snapshot_models():
            rows = model._default_manager.order_by(model._meta.pk.name)
            counts[model._meta.label] = rows.count()
            serializers.serialize(
                "jsonl",
                rows.iterator(chunk_size=2000),
                stream=fh,
                use_natural_foreign_keys=True,
                cls=ExactEncoder,
            )
    return counts


def load(path: Path) -> int:
    """Insert every row of the snapshot ``path``; run inside the caller's transaction. Returns the row count."""
    loaded = 0
    touched: set[type[models.Model]] = set()
    deferred = []
    with gzip.open(path, "rt", encoding="utf-8") as fh, connection.constraint_checks_disabled():
        for obj in serializers.deserialize("jsonl", fh, handle_forward_references=True):
            obj.save()
            if obj.deferred_fields:
                deferred.append(obj)
            touched.add(type(obj.object))
            loaded += 1
        for obj in deferred:
            obj.save_deferred_fields()
    connection.check_constraints(table_names=[m._meta.db_table for m in touched])
    sql = connection.ops.sequence_reset_sql(no_style(), list(touched))
    if sql:
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)
    return loaded
