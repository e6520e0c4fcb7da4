"""The ledger tables refuse UPDATE and DELETE at the database, through the ORM and through raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from liuhen.ledger import checkpoints, guards, integrity
from liuhen.ledger.models import Checkpoint, Cosignature, Event, LedgerHead, TreeNode, VerificationReport


@pytest.fixture
def filled(append, witnesses):
    from liuhen.ledger.cosigning import cosignature_record

    append(5)
    cp = checkpoints.checkpoint_create()
    cosignature_record(checkpoint=cp.note, cosignature=witnesses[0].cosign(cp))
    integrity.verification_report_save(findings=[], summary="ok")
    return Event.objects.order_by("seq").first()


def _refused(fn) -> None:
    with pytest.raises(DatabaseError) as err, transaction.atomic():
        fn()
    assert "liuhen ledger" in str(err.value)


def test_every_guard_trigger_is_installed(db):
    assert guards.installed(connection) == guards.expected_count(connection.vendor)


@pytest.mark.clause("integ-audit-trail-traceability")
@pytest.mark.parametrize("model", [Event, TreeNode, Checkpoint, Cosignature, VerificationReport])
def test_orm_update_and_delete_are_refused(filled, model):
    row = model.objects.order_by("pk").first()
    assert row is not None
    field = {
        "Event": "action",
        "TreeNode": "hash",
        "Checkpoint": "note",
        "Cosignature": "line",
        "VerificationReport": "summary",
    }
    _refused(lambda: model.objects.filter(pk=row.pk).update(**{field[model.__name__]: "x"}))
    _refused(lambda: model.objects.filter(pk=row.pk).delete())
    _refused(lambda: row.delete())


@pytest.mark.clause("integ-audit-trail-traceability")
@pytest.mark.parametrize("table", guards.APPEND_ONLY_TABLES)
def test_raw_sql_update_and_delete_are_refused(filled, table):
    def run(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    column = "summary" if table == "ledger_verificationreport" else ("hash" if table == "ledger_treenode" else "id")
    _refused(lambda: run(f"UPDATE {table} SET {column} = {column}"))
    _refused(lambda: run(f"DELETE FROM {table}"))
    assert Event.objects.count() == 7


def test_head_only_moves_forward(filled):
    head = LedgerHead.objects.get()
    _refused(lambda: LedgerHead.objects.filter(pk=1).update(size=head.size - 1))
    _refused(lambda: LedgerHead.objects.filter(pk=1).update(checkpoint_size=0))
    _refused(lambda: LedgerHead.objects.filter(pk=1).update(chain_hash="0" * 64))
    _refused(lambda: LedgerHead.objects.filter(pk=1).delete())
    with connection.cursor() as cursor:
        _refused(lambda: cursor.execute("DELETE FROM ledger_ledgerhead"))
    assert LedgerHead.objects.get().size == head.size


def test_guards_can_be_dropped_and_restored(filled):
    guards.drop(connection)
    assert guards.installed(connection) == 0
    Event.objects.filter(pk=filled.pk).update(action="user.logged_out")
    guards.create(connection)
    assert guards.installed(connection) == guards.expected_count(connection.vendor)
    _refused(lambda: Event.objects.filter(pk=filled.pk).update(action="user.logged_in"))


def test_flush_of_a_test_database_empties_the_ledger_and_keeps_the_guards(transactional_db, append):
    from django.core.management import call_command

    append(3)
    call_command("flush", verbosity=0, interactive=False)
    assert Event.objects.count() == 0
    assert guards.installed(connection) == guards.expected_count(connection.vendor)


def test_flush_of_a_real_database_is_refused_by_the_guards(transactional_db, append, monkeypatch):
    from django.core.management import CommandError, call_command

    append(2)
    monkeypatch.setattr(guards, "is_test_database", lambda connection: False)
    with pytest.raises(CommandError):
        call_command("flush", verbosity=0, interactive=False)
    monkeypatch.undo()
    assert Event.objects.count() == 2


def test_flush_of_a_test_database_empties_the_blob_table_and_keeps_its_guards(transactional_db, settings, tmp_path):
    from django.core.management import call_command
    from django.db import DatabaseError

    from liuhen.ledger.blobstore.models import Blob
    from liuhen.ledger.blobstore.services import blob_put

    settings.LIUHEN_STORAGE, settings.LIUHEN_BLOB_DIR = "local", tmp_path / "blobs"
    blob_put(actor="测试", stream=b"flush me")
    call_command("flush", verbosity=0, interactive=False)
    assert Blob.objects.count() == 0
    blob_put(actor="测试", stream=b"again")
    with connection.cursor() as cursor, pytest.raises(DatabaseError):
        cursor.execute("DELETE FROM blobstore_blob")
