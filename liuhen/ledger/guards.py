"""Database triggers that keep the ledger append-only even against a bug or a stray SQL statement.

Clause integ-audit-trail-traceability ("trail entries cannot be edited or deleted"). The event, tree
node, checkpoint, cosignature and verification report tables refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL); the head row may only move forward. Someone with the database owner's rights can still
drop a trigger: that is what ``verify`` and the signed checkpoints are for.

Created by migration 0002 through :func:`create`. SQLite drops a table's triggers when Django
rebuilds the table, so a later migration that alters one of these tables must call :func:`create`
again (``test_guards`` fails if a trigger is missing).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

APPEND_ONLY_TABLES = (
    "ledger_event",
    "ledger_treenode",
    "ledger_checkpoint",
    "ledger_verificationreport",
    "ledger_cosignature",  # since migration 0004 (witnesses, ADR 0013)
)
HEAD_TABLE = "ledger_ledgerhead"

_HEAD_BACKWARDS = (
    "NEW.id <> OLD.id OR NEW.size < OLD.size OR NEW.checkpoint_size < OLD.checkpoint_size"
    " OR (NEW.size = OLD.size AND (NEW.chain_hash <> OLD.chain_hash OR NEW.frontier <> OLD.frontier))"
)


def _sqlite_create(tables: Sequence[str] = APPEND_ONLY_TABLES) -> list[str]:
    sql = []
    for table in tables:
        for op in ("UPDATE", "DELETE"):
            sql.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'liuhen ledger: {table} is append-only, {op} refused'); END"
            )
    sql.append(
        f"CREATE TRIGGER IF NOT EXISTS {HEAD_TABLE}_forward_only BEFORE UPDATE ON {HEAD_TABLE} "
        f"WHEN {_HEAD_BACKWARDS} "
        f"BEGIN SELECT RAISE(ABORT, 'liuhen ledger: the ledger head only moves forward'); END"
    )
    sql.append(
        f"CREATE TRIGGER IF NOT EXISTS {HEAD_TABLE}_no_delete BEFORE DELETE ON {HEAD_TABLE} "
        f"BEGIN SELECT RAISE(ABORT, 'liuhen ledger: the ledger head cannot be deleted'); END"
    )
    return sql


def _sqlite_drop() -> list[str]:
    names = [f"{t}_no_{op}" for t in APPEND_ONLY_TABLES for op in ("update", "delete")]
    names += [f"{HEAD_TABLE}_forward_only", f"{HEAD_TABLE}_no_delete"]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


_PG_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION liuhen_ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'liuhen ledger: % is append-only, % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END $$""",
    f"""CREATE OR REPLACE FUNCTION liuhen_ledger_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'liuhen ledger: the ledger head cannot be deleted' USING ERRCODE = 'restrict_violation';
  END IF;
  IF {_HEAD_BACKWARDS} THEN
    RAISE EXCEPTION 'liuhen ledger: the ledger head only moves forward' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$""",
]


def _pg_create(tables: Sequence[str] = APPEND_ONLY_TABLES) -> list[str]:
    sql = list(_PG_FUNCTIONS)
    for table in tables:
        sql.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION liuhen_ledger_refuse()"
        )
        sql.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION liuhen_ledger_refuse()"
        )
    sql.append(
        f"CREATE TRIGGER {HEAD_TABLE}_forward_only BEFORE UPDATE OR DELETE ON {HEAD_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION liuhen_ledger_head_guard()"
    )
    sql.append(
        f"CREATE TRIGGER {HEAD_TABLE}_no_truncate BEFORE TRUNCATE ON {HEAD_TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION liuhen_ledger_refuse()"
    )
    return sql


def _pg_drop(tables: Sequence[str] = APPEND_ONLY_TABLES) -> list[str]:
    sql = []
    for table in tables:
        sql.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        sql.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    sql.append(f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_forward_only ON {HEAD_TABLE}")
    sql.append(f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_truncate ON {HEAD_TABLE}")
    return sql


def statements(vendor: str, *, drop: bool = False, tables: Sequence[str] = APPEND_ONLY_TABLES) -> list[str]:
    if vendor == "sqlite":
        return _sqlite_drop() if drop else _sqlite_create(tables)
    if vendor == "postgresql":
        return _pg_drop(tables) if drop else _pg_drop(tables) + _pg_create(tables)
    raise NotImplementedError(f"no ledger guards for database vendor {vendor!r}")


def _ledger_statements(connection: Any, *, drop: bool = False) -> list[str]:
    """``statements`` for the ledger tables this database has: migration 0003 runs before 0004 creates
    ``ledger_cosignature``, and an append-only table added later is guarded by its own migration."""
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    tables = [t for t in APPEND_ONLY_TABLES if t in present]
    return statements(connection.vendor, drop=drop, tables=tables)


def create(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _ledger_statements(connection):
            cursor.execute(sql)


def drop(connection: Any) -> None:
    """Remove the guards. Only for tests that simulate an attacker, and for flushing a test database."""
    with connection.cursor() as cursor:
        for sql in _ledger_statements(connection, drop=True):
            cursor.execute(sql)


def installed(connection: Any) -> int:
    """How many guard triggers the database holds."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ledger_%'")
        else:
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text LIKE 'ledger_%'"
            )
        return int(cursor.fetchone()[0])


def expected_count(vendor: str) -> int:
    return sum(1 for sql in statements(vendor) if sql.startswith("CREATE TRIGGER"))


def is_test_database(connection: Any) -> bool:
    """True for the throwaway databases Django's test runner creates (``test_*`` or in-memory SQLite)."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return True
    return PurePath(name).name.startswith("test_")
