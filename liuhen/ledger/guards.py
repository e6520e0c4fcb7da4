"""Database triggers that keep the ledger append-only and the write-once record tables unchanged,
even against a bug or a stray SQL statement.

Clauses integ-audit-trail-traceability ("trail entries cannot be edited or deleted") and
integ-no-tamper-original. The event, tree node, checkpoint and verification report tables refuse
UPDATE and DELETE (and TRUNCATE on PostgreSQL); the head row may only move forward. Every write-once
table registered in ``liuhen.ledger.records`` refuses UPDATE and DELETE too (a table that changes but
keeps some columns for ever refuses a change of those). Someone with the database owner's rights can
still drop a trigger: that is what ``verify`` (which also names a missing trigger) and the signed
checkpoints are for.

The ledger's triggers were first created by migration 0003 (:func:`create_ledger`). Every guard is
(re)installed after each ``migrate`` by a ``post_migrate`` receiver (``LedgerConfig.ready``) through
:func:`create`, which is idempotent: SQLite drops a table's triggers when Django rebuilds the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from liuhen.ledger import records

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
    """The ledger tables' guards (migration 0003 installs these; ``create`` adds the write-once tables')."""
    if vendor == "sqlite":
        return _sqlite_drop() if drop else _sqlite_create(tables)
    if vendor == "postgresql":
        return _pg_drop(tables) if drop else _pg_drop(tables) + _pg_create(tables)
    raise NotImplementedError(f"no ledger guards for database vendor {vendor!r}")


# --- write-once record tables ---------------------------------------------------------------------
# Every table registered in ``liuhen.ledger.records`` refuses UPDATE and DELETE (TRUNCATE too on
# PostgreSQL); a table that changes but keeps some columns for ever (``columns``) refuses a change of
# those and any DELETE. Approved disposal removes blob *content*, never these rows.


@dataclass(frozen=True)
class RowGuard:
    table: str
    fixed: tuple[str, ...] | None  # None: the whole row

    def trigger_names(self, vendor: str) -> list[str]:
        if vendor == "sqlite":
            return [
                f"{self.table}_no_update" if self.fixed is None else f"{self.table}_fixed_columns",
                f"{self.table}_no_delete",
            ]
        return [f"{self.table}_write_once", f"{self.table}_write_once_truncate"]


def row_guards() -> list[RowGuard]:
    guards_: list[RowGuard] = []
    for spec in records.registered():
        model = spec.model_class()
        fixed = None
        if spec.columns is not None:
            by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
            fixed = tuple(by_attname[name] for name in spec.columns)
        guards_.append(RowGuard(model._meta.db_table, fixed))
    return guards_


def _row_message(table: str, op: str) -> str:
    return f"liuhen write-once: {table} is append-only (rows are never changed or deleted), {op} refused"


def _row_sqlite_create(guard: RowGuard) -> list[str]:
    t = guard.table
    if guard.fixed is None:
        change = (
            f"CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t} "
            f"BEGIN SELECT RAISE(ABORT, '{_row_message(t, 'UPDATE')}'); END"
        )
    else:
        when = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in guard.fixed)
        change = (
            f"CREATE TRIGGER IF NOT EXISTS {t}_fixed_columns BEFORE UPDATE ON {t} WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, 'liuhen write-once: fixed columns of {t} cannot change, UPDATE refused'); END"
        )
    delete = (
        f"CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t} "
        f"BEGIN SELECT RAISE(ABORT, '{_row_message(t, 'DELETE')}'); END"
    )
    return [change, delete]


_PG_ROW_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION liuhen_write_once_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'liuhen write-once: % is append-only (rows are never changed or deleted), % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END $$""",
    """CREATE OR REPLACE FUNCTION liuhen_fixed_columns() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  col text;
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'liuhen write-once: % rows are never deleted, % refused', TG_TABLE_NAME, TG_OP
      USING ERRCODE = 'restrict_violation';
  END IF;
  FOREACH col IN ARRAY TG_ARGV LOOP
    IF to_jsonb(NEW) -> col IS DISTINCT FROM to_jsonb(OLD) -> col THEN
      RAISE EXCEPTION 'liuhen write-once: column % of % cannot change, UPDATE refused', col, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
    END IF;
  END LOOP;
  RETURN NEW;
END $$""",
]


def _row_pg_drop(guard: RowGuard) -> list[str]:
    t = guard.table
    # ``{t}_no_change``: the blob table's guard from its own migration (blobstore 0002), replaced here.
    return [f"DROP TRIGGER IF EXISTS {name} ON {t}" for name in (*guard.trigger_names("postgresql"), f"{t}_no_change")]


def _row_pg_create(guard: RowGuard) -> list[str]:
    t = guard.table
    if guard.fixed is None:
        row = f"CREATE TRIGGER {t}_write_once BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION liuhen_write_once_refuse()"
    else:
        args = ", ".join(f"'{c}'" for c in guard.fixed)
        row = f"CREATE TRIGGER {t}_write_once BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION liuhen_fixed_columns({args})"
    truncate = (
        f"CREATE TRIGGER {t}_write_once_truncate BEFORE TRUNCATE ON {t} "
        "FOR EACH STATEMENT EXECUTE FUNCTION liuhen_write_once_refuse()"
    )
    return [row, truncate]


def _existing_tables(connection: Any) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def row_statements(connection: Any, *, drop: bool = False) -> list[str]:
    """Guards of the write-once tables that exist in this database (a migration may run before some)."""
    tables = _existing_tables(connection)
    present = [g for g in row_guards() if g.table in tables]
    if connection.vendor == "sqlite":
        if drop:
            return [
                f"DROP TRIGGER IF EXISTS {name}"
                for g in present
                for name in (f"{g.table}_no_update", f"{g.table}_fixed_columns", f"{g.table}_no_delete")
            ]
        return [sql for g in present for sql in _row_sqlite_create(g)]
    if connection.vendor == "postgresql":
        dropped = [sql for g in present for sql in _row_pg_drop(g)]
        if drop:
            return dropped
        return dropped + _PG_ROW_FUNCTIONS + [sql for g in present for sql in _row_pg_create(g)]
    raise NotImplementedError(f"no write-once guards for database vendor {connection.vendor!r}")


def _ledger_statements(connection: Any, *, drop: bool = False) -> list[str]:
    """``statements`` for the ledger tables this database has: migration 0003 runs before 0004 creates
    ``ledger_cosignature``, and an append-only table added later is guarded by its own migration."""
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    tables = [t for t in APPEND_ONLY_TABLES if t in present]
    return statements(connection.vendor, drop=drop, tables=tables)


def create(connection: Any) -> None:
    """Install every guard: the ledger's and those of the write-once tables that exist (idempotent)."""
    with connection.cursor() as cursor:
        for sql in _ledger_statements(connection) + row_statements(connection):
            cursor.execute(sql)


def drop(connection: Any) -> None:
    """Remove every guard. Only for tests that simulate an attacker, and for flushing a test database."""
    with connection.cursor() as cursor:
        for sql in _ledger_statements(connection, drop=True) + row_statements(connection, drop=True):
            cursor.execute(sql)


def create_ledger(connection: Any) -> None:
    """The ledger tables' guards alone (migration 0003, written before the write-once tables had any)."""
    with connection.cursor() as cursor:
        for sql in _ledger_statements(connection):
            cursor.execute(sql)


def drop_ledger(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _ledger_statements(connection, drop=True):
            cursor.execute(sql)


def _trigger_names(connection: Any) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


def installed(connection: Any) -> int:
    """How many ledger guard triggers the database holds."""
    names = _trigger_names(connection)
    return sum(1 for name in names if name.startswith("ledger_"))


def expected_count(vendor: str) -> int:
    return sum(1 for sql in statements(vendor) if sql.startswith("CREATE TRIGGER"))


def missing(connection: Any) -> list[tuple[str, str]]:
    """(table, trigger) of every guard that should be there and is not: ``verify`` reports them."""
    names = _trigger_names(connection)
    tables = _existing_tables(connection)
    expected: list[tuple[str, str]] = []
    for sql in statements(connection.vendor):
        if sql.startswith("CREATE TRIGGER"):
            words = sql.split()
            name = words[5] if words[2:5] == ["IF", "NOT", "EXISTS"] else words[2]
            expected.append((words[words.index("ON") + 1], name))
    for guard in row_guards():
        if guard.table in tables:
            expected += [(guard.table, name) for name in guard.trigger_names(connection.vendor)]
    return [(table, name) for table, name in expected if name not in names]


def is_test_database(connection: Any) -> bool:
    """True for the throwaway databases Django's test runner creates (``test_*`` or in-memory SQLite)."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return True
    return PurePath(name).name.startswith("test_")
