"""Ten ways of forging beneath the application, each named by ``manage.py verify`` (exit 1, a report,
never a traceback), and the write-once tables' own guards.

Clauses integ-no-tamper-original, integ-audit-trail-traceability, resp-tamper-delete. Each tampering
is done as someone with the database owner's rights would: the guard triggers are dropped first
(``liuhen.testing.attacker``), then put back, so only ``verify`` stands between them and success.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from liuhen.core.writeonce import WriteOnce
from liuhen.ledger import checkpoints, guards, merkle, records, services, signing, tree
from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.blobstore.models import Blob
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.models import Checkpoint, Event, LedgerHead, TreeNode
from liuhen.testing.attacker import attacker

pytestmark = pytest.mark.clause("integ-no-tamper-original", "integ-audit-trail-traceability", "resp-tamper-delete")


@pytest.fixture
def deployment(db, settings, tmp_path, append, django_capture_on_commit_callbacks):
    """Three originals and 20 other events, signed at 8 and at the end (also in the witness file)."""
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    blobs = [blob_put(actor="采集站", stream=f"原始文件 {i}".encode() * 500) for i in range(3)]
    append(5)
    with django_capture_on_commit_callbacks(execute=True):
        checkpoints.checkpoint_create()
    append(15)
    with django_capture_on_commit_callbacks(execute=True):
        checkpoints.checkpoint_create()
    return blobs


def _verify() -> tuple[int, dict, str]:
    """Run ``manage.py verify --json -``: exit status, the JSON report, the text on stderr."""
    out, err = StringIO(), StringIO()
    status = 0
    try:
        call_command("verify", "--json", "-", stdout=out, stderr=err)
    except CommandError as exc:
        status = exc.returncode
    return status, json.loads(out.getvalue()), err.getvalue()


def _flip_byte(blobs):
    path = get_store().path(blobs[0].pk)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[7] ^= 0x40
    path.write_bytes(bytes(data))
    return {("blob_changed", f"blob:{blobs[0].pk}")}


def _delete_blob(blobs):
    path = get_store().path(blobs[1].pk)
    path.parent.chmod(0o755)
    path.unlink()
    return {("blob_missing", f"blob:{blobs[1].pk}")}


def _extra_blob(blobs):
    fake = "ab" * 32
    path = get_store().path(fake)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"planted")
    return {("blob_untracked", f"blob:{fake}")}


def _edit_event(blobs):
    with attacker():
        Event.objects.filter(seq=10).update(actor_label="别人")
    return {("ledger_row_edited", "event:#10"), ("checkpoint_root_mismatch", "checkpoint:size=23")}


def _delete_event(blobs):
    with attacker():
        Event.objects.filter(seq=12).delete()
    return {("ledger_seq_gap", "event:#13"), ("ledger_chain_broken", "event:#13"), ("ledger_truncated", "ledger:head")}


def _swap_events(blobs):
    with attacker():
        Event.objects.filter(seq=14).update(seq=-1)
        Event.objects.filter(seq=15).update(seq=14)
        Event.objects.filter(seq=-1).update(seq=15)
    return {("ledger_rows_reordered", "event:#15"), ("ledger_chain_broken", "event:#14")}


def _truncate_ledger(blobs):
    with attacker():
        Event.objects.filter(seq__gte=20).delete()
    return {("ledger_truncated", "ledger:head"), ("ledger_behind_checkpoint", "checkpoint:size=23")}


def _older_database(blobs):
    """Every table rolled back to size 8 consistently; only the checkpoint kept outside remembers 23."""
    with attacker():
        Event.objects.filter(seq__gte=8).delete()
        Checkpoint.objects.filter(size__gt=8).delete()
        frontier = merkle.Frontier()
        for leaf in Event.objects.order_by("seq").values_list("leaf_hash", flat=True):
            frontier.append(bytes.fromhex(leaf))
        TreeNode.objects.exclude(
            pk__in=[TreeNode.key(lvl, idx) for lvl in range(1, 4) for idx in range(8 >> lvl)]
        ).delete()
        LedgerHead.objects.filter(pk=1).update(
            size=8, checkpoint_size=8, frontier=frontier.dump(), chain_hash=Event.objects.get(seq=7).chain_hash
        )
    return {("ledger_behind_checkpoint", "witness:size=23")}


def _foreign_checkpoint(blobs):
    size, root = tree.tree_root()
    note = signing.sign_note(signing.checkpoint_body(signing.origin(), size, root), key=Ed25519PrivateKey.generate())
    Checkpoint.objects.create(size=size, root_hash=root.hex(), note=note, key_id="", created_at=timezone.now())
    return {("checkpoint_unknown_key", f"checkpoint:size={size}")}


def _edit_write_once_column(blobs):
    with attacker(), connection.cursor() as cursor:
        cursor.execute("UPDATE blobstore_blob SET first_stored_by_label = '别人' WHERE sha256 = %s", [blobs[2].pk])
    return {("record_row_edited", f"record:blobstore.Blob:{blobs[2].pk}")}


TAMPERINGS = {
    "a flipped byte in a blob": _flip_byte,
    "a deleted blob": _delete_blob,
    "an extra blob": _extra_blob,
    "an edited ledger event": _edit_event,
    "a deleted ledger event": _delete_event,
    "two swapped ledger events": _swap_events,
    "a truncated ledger": _truncate_ledger,
    "an older database with newer checkpoints": _older_database,
    "a checkpoint signed by another key": _foreign_checkpoint,
    "a column of a write-once row edited": _edit_write_once_column,
}


def test_an_untouched_deployment_passes(deployment):
    status, report, _ = _verify()
    assert status == 0 and report["ok"], report["findings"]


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_each_tampering_is_named_by_verify(deployment, name):
    expected = TAMPERINGS[name](deployment)
    status, report, err = _verify()
    assert status == 1 and not report["ok"]
    found = {(f["code"], f["item"]) for f in report["findings"]}
    assert expected <= found, found
    assert "Traceback" not in err and not any(f["code"] == "verify_check_failed" for f in report["findings"])


def test_the_edited_column_is_named(deployment):
    _edit_write_once_column(deployment)
    _, report, _ = _verify()
    (finding,) = [f for f in report["findings"] if f["code"] == "record_row_edited"]
    assert finding["detail"]["columns"] == ["first_stored_by_label"] and finding["detail"]["model"] == "blobstore.Blob"
    assert "first_stored_by_label" in finding["message"]


def test_a_deleted_event_breaks_the_chain_once_with_the_count_after_it(deployment):
    _delete_event(deployment)
    after = Event.objects.filter(seq__gt=13).count()  # before verify appends its own event
    _, report, _ = _verify()
    broken = [f for f in report["findings"] if f["code"] == "ledger_chain_broken"]
    assert len(broken) == 1
    assert broken[0]["detail"]["first_broken"] == 13 and broken[0]["detail"]["events_after"] == after == 9
    assert "其后" in broken[0]["message"]


def test_a_head_rewound_with_the_later_checkpoints_removed_is_a_finding_not_a_crash(deployment):
    """The head says 7 events (a frontier that cannot fit 7), the checkpoint at 23 is gone from the database."""
    with attacker():
        Checkpoint.objects.filter(size__gt=8).delete()
        LedgerHead.objects.filter(pk=1).update(size=7, checkpoint_size=5)
        Event.objects.filter(seq__gte=7).delete()
    status, report, err = _verify()
    assert status == 1 and "Traceback" not in err
    found = {(f["code"], f["item"]) for f in report["findings"]}
    assert ("ledger_head_mismatch", "ledger:head") in found
    assert ("ledger_behind_checkpoint", "witness:size=23") in found


def test_a_dropped_guard_is_named(deployment):
    guards.drop(connection)
    try:
        _, report, _ = _verify()
    finally:
        guards.create(connection)
    found = {f["item"] for f in report["findings"] if f["code"] == "guard_missing"}
    assert (
        "guard:blobstore_blob:" + guards.RowGuard("blobstore_blob", None).trigger_names(connection.vendor)[0] in found
    )
    assert any(item.startswith("guard:ledger_event:") for item in found)


# --- the write-once tables themselves ---------------------------------------------------------------


def _write_once_models() -> list[type]:
    return [m for m in apps.get_models() if issubclass(m, WriteOnce)] + [Blob]


def test_every_write_once_model_is_registered_for_sealing_and_guarding():
    registered = {spec.model for spec in records.registered()}
    missing = [m._meta.label for m in _write_once_models() if m._meta.label not in registered]
    assert missing == [], f"write-once models not registered in liuhen.ledger.records: {missing}"


@pytest.mark.parametrize("spec", [s for s in records.registered() if s.whole_row], ids=lambda s: s.model)
def test_a_whole_row_seal_covers_every_column_of_the_model(spec):
    """Fails when a model gains a column that its seal leaves out."""
    model = spec.model_class()
    columns = {f.attname for f in model._meta.concrete_fields} - {model._meta.pk.attname, spec.event_column}
    assert set(records.sealed_columns(spec)) == columns


def test_every_write_once_table_has_its_guards(db):
    assert guards.missing(connection) == []


def test_the_database_refuses_update_and_delete_of_a_write_once_row(deployment):
    blob = deployment[0]
    for sql in ("UPDATE blobstore_blob SET size = 1 WHERE sha256 = %s", "DELETE FROM blobstore_blob WHERE sha256 = %s"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [blob.pk])
    assert Blob.objects.get(pk=blob.pk).size == blob.size


def test_an_event_that_creates_a_row_carries_the_row_seal(deployment):
    blob = deployment[0]
    event = Event.objects.get(action="blob.stored", object_id=blob.pk)
    seal = json.loads(event.payload)[records.SEAL_KEY]["blobstore.Blob"]
    assert seal == records.seal_row(records.spec_for("blobstore.Blob"), blob.pk)
    assert set(seal["columns"]) == {
        "sm3",
        "size",
        "backend",
        "stored_at",
        "first_stored_by_id",
        "first_stored_by_label",
    }


def test_an_event_for_a_row_not_yet_saved_is_refused(db):
    with pytest.raises(services.LedgerError) as exc, transaction.atomic():
        services.record(actor="测试", action="blob.stored", obj_type="blob", obj_id="cd" * 32, payload={})
    assert exc.value.code == "ledger_row_unsaved"
