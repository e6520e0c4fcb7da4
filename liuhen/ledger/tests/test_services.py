"""record() grows the tree in the caller's transaction; checkpoints are signed, consistent, scheduled."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from liuhen.ledger import checkpoints, merkle, proofs, services, signing, tree
from liuhen.ledger.models import Checkpoint, Event, LedgerHead, TreeNode


def _leaves() -> list[bytes]:
    return [bytes.fromhex(h) for h in Event.objects.order_by("seq").values_list("leaf_hash", flat=True)]


def test_record__refused_outside_a_transaction(transactional_db):
    with pytest.raises(services.LedgerError) as err:
        services.record(actor=None, action="user.logged_in", obj_type="user", obj_id=1)
    assert err.value.code == "ledger_outside_transaction"


def test_record__refuses_an_unregistered_action(db):
    with transaction.atomic(), pytest.raises(services.LedgerError) as err:
        services.record(actor=None, action="user.teleported", obj_type="user", obj_id=1)
    assert err.value.code == "ledger_unknown_action"


@pytest.mark.clause("integ-audit-trail-traceability")
def test_record__event_and_tree_roll_back_with_the_callers_change(append):
    append(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(actor=None, action="user.logged_in", obj_type="user", obj_id=9)
        raise RuntimeError("the business change failed")
    head = LedgerHead.objects.get()
    assert (head.size, Event.objects.count(), TreeNode.objects.count()) == (3, 3, 1)


def test_record__stores_every_complete_subtree_and_the_head_root(append):
    append(13)
    leaves = _leaves()
    want = merkle.memory_fetch(leaves)
    stored = {(n.level, n.index): bytes.fromhex(n.hash) for n in TreeNode.objects.all()}
    assert len(stored) == 13 - (13).bit_count()
    assert stored == want(stored.keys())
    size, root = tree.tree_root()
    assert size == 13
    assert root == merkle.root(13, want) == merkle.root(13, tree.tree_fetch)


def test_tree_fetch__proofs_from_the_database_verify(append):
    append(21)
    leaves = _leaves()
    _, root = tree.tree_root()
    for i in (0, 7, 20):
        merkle.verify_inclusion(i, 21, leaves[i], merkle.inclusion_proof(i, 21, tree.tree_fetch), root)
    proof = merkle.consistency_proof(6, 21, tree.tree_fetch)
    merkle.verify_consistency(6, 21, tree.tree_root(6)[1], root, proof)


def test_checkpoint_create__signs_a_c2sp_note_with_the_deployment_key(append, ledger_data_dir):
    append(5)
    cp = checkpoints.checkpoint_create()
    body, sig = cp.note.split("\n\n")
    assert body.split("\n") == [signing.origin(), "5", tree.tree_root()[1] and body.split("\n")[2]]
    assert sig.startswith("\u2014 liuhen.local/ledger ")
    opened = signing.open_checkpoint(cp.note, [signing.deployment_verifier()])
    assert (opened.size, opened.root.hex()) == (5, cp.root_hash)
    key = ledger_data_dir / "keys" / "ledger-ed25519.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    assert LedgerHead.objects.get().checkpoint_size == 5


def test_checkpoint_create__returns_the_last_one_when_nothing_was_appended(append):
    assert checkpoints.checkpoint_create() is None  # empty ledger
    append(2)
    first = checkpoints.checkpoint_create()
    assert checkpoints.checkpoint_create() == first
    assert Checkpoint.objects.count() == 1


def test_checkpoint_create__refuses_a_tree_that_does_not_extend_the_last_checkpoint(append):
    from django.db import connection

    from liuhen.ledger import guards

    append(6)
    checkpoints.checkpoint_create()
    append(3)
    guards.drop(connection)
    TreeNode.objects.filter(level=2, index=0).update(hash="00" * 32)  # history below the checkpoint rewritten
    guards.create(connection)
    with pytest.raises(services.LedgerError) as err:
        checkpoints.checkpoint_create()
    assert err.value.code == "ledger_inconsistent"
    assert Checkpoint.objects.count() == 1


def test_checkpoint_create__witness_file_gets_a_copy_after_commit(append, django_capture_on_commit_callbacks):
    append(4)
    with django_capture_on_commit_callbacks(execute=True):
        cp = checkpoints.checkpoint_create()
    lines = checkpoints.witness_path().read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"size": 4, "root": cp.root_hash, "note": cp.note}]


def test_record__queues_a_checkpoint_every_n_events(append, settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.LIUHEN_CHECKPOINT_EVERY_EVENTS = 4
    with django_capture_on_commit_callbacks(execute=True):
        append(1)
    delayed = DBTaskResult.objects.get()
    assert delayed.task_path == "liuhen.ledger.checkpoints.checkpoint_create_task" and delayed.run_after is not None
    with django_capture_on_commit_callbacks(execute=True):
        append(3)  # pending reaches 4
    assert DBTaskResult.objects.count() == 2


def test_checkpoint_task__signs(append):
    from liuhen.ledger.checkpoints import checkpoint_create_task

    append(3)
    assert checkpoint_create_task.call() == 3
    assert Checkpoint.objects.get().size == 3


def test_checkpoint_due__by_count_and_by_time(append, settings):
    import datetime as dt

    from django.utils import timezone

    settings.LIUHEN_CHECKPOINT_EVERY_EVENTS = 10
    settings.LIUHEN_CHECKPOINT_EVERY_MINUTES = 5
    assert not checkpoints.checkpoint_due()
    append(2)
    assert checkpoints.checkpoint_due()  # never signed
    checkpoints.checkpoint_create()
    append(2)
    assert not checkpoints.checkpoint_due()
    assert checkpoints.checkpoint_due(now=timezone.now() + dt.timedelta(minutes=6))
    append(8)
    assert checkpoints.checkpoint_due()


def test_proof_bundle_export__only_for_auditors_and_own_agency(append, make_agency, make_user):
    from liuhen.core.errors import NotFound, PermissionDenied
    from liuhen.org.rules import Role

    agency, other = make_agency("a1"), make_agency("a2")
    auditor = make_user(agency, Role.AUDIT_ADMIN)
    officer = make_user(agency, Role.OFFICER)
    base = tree.head().size
    append(3, agency_id=agency.pk)
    append(1, agency_id=other.pk)
    with pytest.raises(PermissionDenied):
        proofs.proof_bundle_export(actor=officer, seq=base)
    with pytest.raises(NotFound):
        proofs.proof_bundle_export(actor=auditor, seq=base + 3)
    bundle = proofs.proof_bundle_export(actor=auditor, seq=base + 1)
    assert bundle["tree_size"] == base + 4 and bundle["leaf_index"] == base + 1
    assert Event.objects.filter(action="ledger.proof_exported", object_id=str(base + 1)).exists()


def test_migration_builds_the_tree_for_events_recorded_before_it(append):
    import importlib

    from django.apps import apps
    from django.db import connection

    from liuhen.ledger import guards

    migration = importlib.import_module("liuhen.ledger.migrations.0003_rebuild_tree_and_guards")
    append(11)
    want = tree.tree_root()
    nodes = dict(TreeNode.objects.values_list("pk", "hash"))
    guards.drop(connection)
    TreeNode.objects.all().delete()
    LedgerHead.objects.filter(pk=1).update(frontier="")
    migration.rebuild_tree(apps, None)
    guards.create(connection)
    assert tree.tree_root() == want
    assert dict(TreeNode.objects.values_list("pk", "hash")) == nodes


def test_vkey_whose_base64_holds_a_plus_sign_parses():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    for _ in range(200):
        raw = (
            Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        vkey = signing.vkey_for("liuhen.local/ledger", raw)
        if "+" in vkey.split("+", 2)[2]:
            break
    assert signing.Verifier.parse(vkey).public_key == raw
