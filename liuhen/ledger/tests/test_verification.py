"""Fault injection: every way of rewriting the ledger beneath the application is found and named."""

from __future__ import annotations

import contextlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.utils import timezone

from liuhen.ledger import checkpoints, guards, integrity, merkle, signing, tree
from liuhen.ledger.models import Checkpoint, Event, LedgerHead, TreeNode
from liuhen.ledger.verification import verify_ledger

pytestmark = pytest.mark.clause("integ-audit-trail-traceability")


@contextlib.contextmanager
def attacker():
    """Someone with database rights: drop the triggers, do the damage, put the triggers back."""
    guards.drop(connection)
    try:
        yield
    finally:
        guards.create(connection)


def _found(findings) -> set[tuple[str, str]]:
    return {(f.code, f.item) for f in findings}


@pytest.fixture
def ledger(append, django_capture_on_commit_callbacks):
    """12 events with checkpoints at 5 and 12 (also in the witness file)."""
    append(5)
    with django_capture_on_commit_callbacks(execute=True):
        checkpoints.checkpoint_create()
    append(7)
    with django_capture_on_commit_callbacks(execute=True):
        checkpoints.checkpoint_create()
    return 12


def test_an_intact_ledger_has_no_findings(ledger):
    stats: dict = {}
    assert verify_ledger(stats=stats) == []
    assert stats["events"] == 12 and stats["checkpoints"] == 2 and stats["witnessed"] == 2


def test_edited_row_is_named(ledger):
    with attacker():
        Event.objects.filter(seq=3).update(object_id="999")
    found = _found(verify_ledger())
    assert ("ledger_row_edited", "event:#3") in found
    assert ("checkpoint_root_mismatch", "checkpoint:size=5") in found


def test_edited_row_with_recomputed_hashes_is_caught_by_the_tree_and_checkpoints(ledger):
    event = Event.objects.get(seq=3)
    event.object_id = "999"
    with attacker():
        Event.objects.filter(seq=3).update(object_id="999", leaf_hash=tree.leaf_hash(tree.entry_bytes(event)))
    found = _found(verify_ledger())
    assert ("ledger_row_edited", "event:#3") not in found
    assert ("checkpoint_root_mismatch", "checkpoint:size=5") in found
    assert ("tree_node_mismatch", "tree:level=1,index=1") in found


def test_edited_payload_is_named(ledger):
    with attacker():
        Event.objects.filter(seq=7).update(payload='{"i":70}')
    assert ("ledger_payload_edited", "event:#7") in _found(verify_ledger())


def test_deleted_row_is_named(ledger):
    with attacker():
        Event.objects.filter(seq=4).delete()
    found = _found(verify_ledger())
    assert ("ledger_seq_gap", "event:#5") in found
    assert ("ledger_truncated", "ledger:head") in found


def test_reordered_rows_are_named(ledger):
    with attacker():
        Event.objects.filter(seq=2).update(seq=-1)
        Event.objects.filter(seq=3).update(seq=2)
        Event.objects.filter(seq=-1).update(seq=3)
    found = _found(verify_ledger())
    assert ("ledger_rows_reordered", "event:#3") in found


def test_truncated_ledger_is_named(ledger):
    with attacker():
        Event.objects.filter(seq__gte=9).delete()
    found = _found(verify_ledger())
    assert ("ledger_truncated", "ledger:head") in found
    assert ("ledger_behind_checkpoint", "checkpoint:size=12") in found


def test_database_restored_from_an_older_copy_is_named_by_the_witness_file(ledger):
    """Everything in the database agrees with itself at size 5; only the copy outside remembers 12."""
    with attacker():
        Event.objects.filter(seq__gte=5).delete()
        Checkpoint.objects.filter(size__gt=5).delete()
        frontier = merkle.Frontier()
        for leaf in Event.objects.order_by("seq").values_list("leaf_hash", flat=True):
            frontier.append(bytes.fromhex(leaf))
        keep = {TreeNode.key(lvl, idx) for lvl, idx in merkle.decompose(0, 5)} | {
            TreeNode.key(1, 0),
            TreeNode.key(1, 1),
        }
        TreeNode.objects.exclude(pk__in=keep).delete()
        LedgerHead.objects.filter(pk=1).update(
            size=5,
            checkpoint_size=5,
            frontier=frontier.dump(),
            chain_hash=Event.objects.get(seq=4).chain_hash,
        )
    found = verify_ledger()
    assert _found(found) == {("ledger_behind_checkpoint", "witness:size=12")}
    # ... and a checkpoint kept by an auditor or a replica names it too
    note = checkpoints.witness_path().read_text().splitlines()[-1]
    import json

    checkpoints.witness_path().unlink()
    assert _found(verify_ledger(known_checkpoints=[json.loads(note)["note"]])) == {
        ("ledger_behind_checkpoint", "known:size=12")
    }


def _forge(size: int, root: bytes, key: Ed25519PrivateKey | None = None) -> None:
    note = signing.sign_note(signing.checkpoint_body(signing.origin(), size, root), key=key)
    Checkpoint.objects.create(size=size, root_hash=root.hex(), note=note, key_id="", created_at=timezone.now())


def test_two_checkpoints_of_one_size_with_different_roots_are_named(ledger):
    _forge(12, b"\x07" * 32)  # signed with the real key: the key itself was misused
    found = _found(verify_ledger())
    assert ("checkpoint_fork", "checkpoint:size=12") in found
    assert ("checkpoint_root_mismatch", "checkpoint:size=12") in found


def test_checkpoint_signed_by_another_key_is_named(ledger):
    _forge(12, tree.tree_root()[1], key=Ed25519PrivateKey.generate())
    found = _found(verify_ledger())
    assert found == {("checkpoint_unknown_key", "checkpoint:size=12")}


def test_checkpoint_with_an_edited_note_is_named(ledger):
    cp = Checkpoint.objects.get(size=5)
    with attacker():
        Checkpoint.objects.filter(pk=cp.pk).update(note=cp.note.replace("\n5\n", "\n4\n"))
    assert ("checkpoint_bad_signature", "checkpoint:size=5") in _found(verify_ledger())


def test_checkpoints_checked_against_a_key_the_caller_trusts(ledger):
    other = signing.Verifier("liuhen.local/ledger", b"\x01" * 32).vkey
    found = _found(verify_ledger(public_keys=[other]))
    assert ("checkpoint_unknown_key", "checkpoint:size=5") in found
    assert verify_ledger(public_keys=[signing.deployment_verifier().vkey]) == []


def test_edited_tree_node_is_named(ledger):
    with attacker():
        TreeNode.objects.filter(pk=TreeNode.key(2, 0)).update(hash="ab" * 32)
    found = _found(verify_ledger())
    assert ("tree_node_mismatch", "tree:level=2,index=0") in found
    assert ("checkpoint_inconsistent", "checkpoint:size=12") in found


def test_verification_report_save_keeps_findings_and_leaves_a_trace(ledger):
    with attacker():
        Event.objects.filter(seq=3).update(object_id="999")
    findings = verify_ledger()
    report = integrity.verification_report_save(findings=findings, summary="发现问题", stats={"events": 12})
    assert not report.ok and report.findings[0]["code"] == findings[0].code
    assert Event.objects.filter(action="ledger.verified", object_id=str(report.pk)).exists()
