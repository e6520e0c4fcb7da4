"""Off-site replication (clause store-offsite-backup): incremental copies, damage found by name, the restore drill."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from liuhen.ledger import checkpoints, replication, services, tree
from liuhen.ledger.blobstore import backends
from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.blobstore.backends.local import LocalBlobStore
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.blobstore.tests.conftest import s3_server  # noqa: F401  (session fixture)
from liuhen.ledger.blobstore.verification import verify_blobs
from liuhen.ledger.models import Checkpoint, Event
from liuhen.ledger.records import verify_records
from liuhen.ledger.replica_targets import ReplicationError
from liuhen.ledger.replication import replicate, restore, verify_replica
from liuhen.ledger.snapshots import snapshot_models
from liuhen.ledger.verification import verify_ledger


@pytest.fixture(autouse=True)
def primary_store(settings, ledger_data_dir: Path) -> Path:
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = ledger_data_dir / "blobs"
    return settings.LIUHEN_BLOB_DIR


@pytest.fixture
def replica_dir(tmp_path: Path) -> Path:
    return tmp_path / "offsite"


def _codes(findings) -> set[str]:
    return {f.code for f in findings}


def _blob_file(replica: Path, key: str) -> Path:
    return LocalBlobStore(replica / "blobs").path(key)


def _segments(replica: Path) -> list[Path]:
    return sorted((replica / "ledger").glob("events-*.jsonl"))


@pytest.mark.clause("store-offsite-backup")
def test_replicate__incremental_runs_copy_only_what_is_new(db, append, replica_dir):
    first = [blob_put(actor="测试", stream=f"原始文件 {i}".encode()) for i in range(3)]
    append(5)
    stats = replicate(target=str(replica_dir))
    assert (stats["blobs_copied"], stats["events_copied"]) == (3, 8)  # 3 blob.stored + 5 appended
    assert stats["segment"] == "events-000000000000-000000000008.jsonl"
    assert stats["snapshot"] == "snapshot-000000000008.jsonl.gz"
    assert all(_blob_file(replica_dir, b.sha256).is_file() for b in first)
    assert verify_replica(target=str(replica_dir)) == []

    again = replicate(target=str(replica_dir))
    assert (again["blobs_copied"], again["events_copied"]) == (0, 1)  # only the ledger.replicated event
    assert again["segment"] == "events-000000000008-000000000009.jsonl"

    new = blob_put(actor="测试", stream=b"new evidence")
    third = replicate(target=str(replica_dir))
    assert (third["blobs_copied"], third["blobs_in_replica"], third["events_copied"]) == (1, 4, 2)
    assert _blob_file(replica_dir, new.sha256).is_file()
    assert [p.name for p in _segments(replica_dir)] == [
        "events-000000000000-000000000008.jsonl",
        "events-000000000008-000000000009.jsonl",
        "events-000000000009-000000000011.jsonl",
    ]
    stats = {}
    assert verify_replica(target=str(replica_dir), stats=stats) == []
    assert (stats["blobs"], stats["events"], stats["segments"], stats["snapshots"]) == (4, 11, 3, 3)
    # Every run leaves its trace, naming what it wrote and the snapshot's digest.
    events = Event.objects.filter(action="ledger.replicated").order_by("seq")
    assert events.count() == 3
    payload = json.loads(events.last().payload)
    assert payload["target"] == str(replica_dir.resolve())
    assert payload["blobs_copied"] == 1 and payload["tree_size"] == 11 and len(payload["snapshot_sha256"]) == 64


@pytest.mark.clause("store-offsite-backup")
def test_verify_replica__flipped_byte_in_a_replica_blob_is_named(db, append, replica_dir):
    blob = blob_put(actor="测试", stream=b"A" * 1000)
    replicate(target=str(replica_dir))
    path = _blob_file(replica_dir, blob.sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[500] ^= 0x01
    path.write_bytes(bytes(data))
    findings = verify_replica(target=str(replica_dir))
    assert [(f.code, f.item) for f in findings] == [("replica_blob_changed", f"replica:blob:{blob.sha256}")]


@pytest.mark.clause("store-offsite-backup")
def test_verify_replica__deleted_replica_blob_is_named(db, replica_dir):
    kept = blob_put(actor="测试", stream=b"kept")
    lost = blob_put(actor="测试", stream=b"lost")
    replicate(target=str(replica_dir))
    _blob_file(replica_dir, lost.sha256).unlink()
    findings = verify_replica(target=str(replica_dir))
    assert [(f.code, f.item) for f in findings] == [("replica_blob_missing", f"replica:blob:{lost.sha256}")]
    assert kept.sha256 not in {f.item for f in findings}


@pytest.mark.clause("store-offsite-backup")
def test_verify_replica__edited_segment_line_is_named_and_breaks_the_checkpoint(db, append, replica_dir):
    append(6)
    replicate(target=str(replica_dir))
    segment = _segments(replica_dir)[0]
    lines = segment.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[3])
    row["actor_label"] = "别人"
    lines[3] = json.dumps(row, ensure_ascii=False)
    segment.chmod(0o644)
    segment.write_text("\n".join(lines) + "\n", encoding="utf-8")
    findings = verify_replica(target=str(replica_dir))
    assert ("replica_event_edited", "replica:event:#3") in {(f.code, f.item) for f in findings}
    assert ("replica_checkpoint_mismatch", "replica:checkpoint:size=6") in {(f.code, f.item) for f in findings}


@pytest.mark.clause("store-offsite-backup")
def test_verify_replica__rewritten_hashes_still_fail_the_signed_checkpoint(db, append, replica_dir):
    """An editor who also recomputes the line's own hashes cannot forge the signed root."""
    append(4)
    replicate(target=str(replica_dir))
    segment = _segments(replica_dir)[0]
    lines = segment.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[-1])
    row["object_id"] = "999"
    event = replication._event_from_row(row)
    row["leaf_hash"] = tree.leaf_hash(tree.entry_bytes(event))
    lines[-1] = json.dumps(row, ensure_ascii=False)
    segment.chmod(0o644)
    segment.write_text("\n".join(lines) + "\n", encoding="utf-8")
    codes = _codes(verify_replica(target=str(replica_dir)))
    assert "replica_checkpoint_mismatch" in codes


@pytest.mark.clause("store-offsite-backup")
def test_verify_replica__missing_segments_are_named(db, append, replica_dir):
    for n in (3, 2, 2):
        append(n)
        replicate(target=str(replica_dir))
    _, middle, last = _segments(replica_dir)
    middle.unlink()
    findings = verify_replica(target=str(replica_dir))
    gap = [f for f in findings if f.code == "replica_segment_gap"]
    assert [f.item for f in gap] == [f"replica:segment:{last.name}"]
    assert gap[0].detail == {"missing_from": 3, "missing_to": 5}
    assert "replica_segment_missing" in _codes(findings)  # the checkpoints reach past the gap

    with pytest.raises(ReplicationError) as refused:
        replicate(target=str(replica_dir))
    assert refused.value.code == "replica_segment_gap"


@pytest.mark.clause("store-offsite-backup")
def test_verify_replica__last_segment_deleted_is_found_by_the_checkpoint(db, append, replica_dir):
    append(3)
    replicate(target=str(replica_dir))
    append(2)
    replicate(target=str(replica_dir))
    _segments(replica_dir)[-1].unlink()
    findings = verify_replica(target=str(replica_dir))
    missing = {f.item for f in findings if f.code == "replica_segment_missing"}
    assert "replica:checkpoint:size=6" in missing  # 3 + 1 replicated + 2


def test_verify_replica__behind_the_primary_checkpoint(db, append, replica_dir):
    append(2)
    replicate(target=str(replica_dir))
    append(3)
    checkpoints.checkpoint_create()
    findings = verify_replica(target=str(replica_dir))
    assert [(f.code, f.detail["events_behind"]) for f in findings] == [("replica_behind", 3)]


def test_verify_replica__edited_snapshot_is_found_by_its_recorded_digest(db, append, replica_dir):
    append(2)
    replicate(target=str(replica_dir))
    snapshot = next((replica_dir / "db").glob("snapshot-*.jsonl.gz"))
    snapshot.chmod(0o644)
    rows = gzip.decompress(snapshot.read_bytes()).replace(b'"\\u6d4b\\u8bd5"', b'"\\u522b\\u4eba"')
    snapshot.write_bytes(gzip.compress(rows + b"\n"))
    findings = verify_replica(target=str(replica_dir))
    assert [(f.code, f.item) for f in findings] == [("replica_snapshot_changed", f"replica:snapshot:{snapshot.name}")]


def test_replicate__refuses_bad_targets_with_stable_codes(db, settings, tmp_path):
    for target, code in [
        ("", "replica_target_invalid"),
        ("ftp://example.org/x", "replica_target_invalid"),
        ("s3://", "replica_target_invalid"),
        (str(settings.DATA_DIR / "backup"), "replica_target_invalid"),
    ]:
        with pytest.raises(ReplicationError) as refused:
            replicate(target=target)
        assert refused.value.code == code, target
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ReplicationError) as refused:
        replicate(target=str(tmp_path / "a-file"))
    assert refused.value.code == "replica_target_invalid"
    assert "文件夹" in refused.value.message


def test_replicate__refuses_a_replica_of_another_deployment(db, append, replica_dir):
    append(1)
    replicate(target=str(replica_dir))
    (replica_dir / "ledger" / "public-key.txt").write_text("other.example/ledger+01234567+AAAA\n")
    with pytest.raises(ReplicationError) as refused:
        replicate(target=str(replica_dir))
    assert refused.value.code == "replica_key_mismatch"


def test_replicate_command__chinese_output_and_error_codes(db, append, replica_dir, capsys):
    append(1)
    call_command("replicate", "--to", str(replica_dir))
    assert "已复制到异地副本" in capsys.readouterr().out
    with pytest.raises(CommandError, match="replica_target_invalid"):
        call_command("replicate", "--to", "ftp://nowhere")


def test_restore__refuses_a_database_that_is_not_empty(db, append, replica_dir):
    append(1)
    replicate(target=str(replica_dir))
    with pytest.raises(ReplicationError) as refused:
        restore(source=str(replica_dir))
    assert refused.value.code == "restore_database_not_empty"
    assert "ledger.Event" in refused.value.detail["tables"]
    with pytest.raises(CommandError, match="restore_database_not_empty"):
        call_command("restore", "--from", str(replica_dir))


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in snapshot_models()}


def _small_deployment() -> list[str]:
    from liuhen.org import services as org
    from liuhen.org.rules import Role

    agency = org.agency_create(actor=None, code="drill", name="演练执法局", profile_id="national-baseline")
    dept = org.department_create(actor=None, agency=agency, code="enf", name="执法科")
    admin = org.user_create(
        actor=None, agency=agency, username="drill.admin", display_name="管理员", password="Drill-pass-1"
    )
    org.role_grant(actor=None, user=admin, role=Role.SECURITY_ADMIN)
    clerk = org.user_create(
        actor=None,
        agency=agency,
        username="drill.clerk",
        display_name="记录员",
        password="Drill-pass-2",
        department=dept,
    )
    org.role_grant(actor=None, user=clerk, role=Role.RECORDS_KEEPER)
    keys = [blob_put(actor=clerk, stream=os.urandom(3000 + i), agency_id=agency.pk).sha256 for i in range(4)]
    with transaction.atomic():
        for i in range(3):
            services.record(actor=clerk, action="user.logged_in", obj_type="user", obj_id=clerk.pk, payload={"i": i})
    return keys


@pytest.mark.clause("store-offsite-backup")
@pytest.mark.django_db(transaction=True)
def test_restore_drill__destroy_the_primary_restore_from_the_replica_and_verify(
    settings, ledger_data_dir, primary_store, replica_dir
):
    keys = _small_deployment()
    checkpoints.checkpoint_create()
    head_before = tree.tree_root()
    leaves_before = list(Event.objects.order_by("seq").values_list("leaf_hash", flat=True))
    before = _counts()
    replicate(target=str(replica_dir))
    assert verify_replica(target=str(replica_dir)) == []

    # Disaster: the database, the originals and the witness file are gone (the signing key was kept
    # apart, as the operator guide requires).
    call_command("flush", interactive=False, verbosity=0)  # lifts the ledger's and the blob table's guards
    shutil.rmtree(primary_store)
    shutil.rmtree(ledger_data_dir / "ledger")
    assert Event.objects.count() == 0
    backends._stores.clear()  # the restore runs in a new process, on a new disk

    stats = restore(source=str(replica_dir))
    assert stats["blobs_copied"] == len(keys) and stats["tree_size"] == head_before[0]

    after = _counts()
    assert after["ledger.Event"] == before["ledger.Event"] + 1  # + ledger.restored
    assert after["ledger.Checkpoint"] == before["ledger.Checkpoint"] + 1  # signed after the restore
    for label in ("ledger.Event", "ledger.Checkpoint", "ledger.TreeNode"):
        after.pop(label), before.pop(label)
    assert after == before
    assert list(Event.objects.order_by("seq").values_list("leaf_hash", flat=True))[:-1] == leaves_before
    assert tree.tree_root(head_before[0]) == head_before
    store = get_store()
    assert all(store.exists(k) for k in keys)
    from liuhen.org.models import User

    assert User.objects.get(username="drill.clerk").check_password("Drill-pass-2")
    assert set(User.objects.get(username="drill.admin").role_grants.values_list("role", flat=True)) == {
        "security_admin"
    }
    assert verify_ledger() == []
    assert verify_blobs() == []
    assert verify_records() == []
    # The witness file is back: every checkpoint the replica carried, and the one signed after restoring.
    witness = checkpoints.witness_path().read_text(encoding="utf-8").splitlines()
    assert len(witness) == Checkpoint.objects.count()
    assert verify_replica(target=str(replica_dir)) == []


@pytest.mark.clause("store-offsite-backup")
def test_replicate_to_s3__incremental_and_verified(db, settings, append, s3_server):  # noqa: F811
    bucket = s3_server.new_bucket(object_lock=False)
    settings.LIUHEN_S3_ENDPOINT = s3_server.endpoint
    settings.LIUHEN_S3_ACCESS_KEY = s3_server.access_key
    settings.LIUHEN_S3_SECRET_KEY = s3_server.secret_key
    target = f"s3://{bucket}/offsite/liuhen"
    blobs = [blob_put(actor="测试", stream=f"s3 {i}".encode()) for i in range(2)]
    append(3)
    first = replicate(target=target)
    assert (first["blobs_copied"], first["events_copied"]) == (2, 5)
    assert first["target"] == target + "/"
    second = replicate(target=target)
    assert (second["blobs_copied"], second["events_copied"]) == (0, 1)
    assert verify_replica(target=target) == []
    client = s3_server.client()
    key = blobs[0].sha256
    client.delete_object(Bucket=bucket, Key=f"offsite/liuhen/blobs/{key[:2]}/{key[2:4]}/{key}")
    findings = verify_replica(target=target)
    assert [(f.code, f.item) for f in findings] == [("replica_blob_missing", f"replica:blob:{key}")]


def test_verify_all__with_a_replica_reports_it_in_its_own_section(db, append, replica_dir):
    from liuhen.ledger.integrity import verify_all

    blob = blob_put(actor="测试", stream=b"for the report")
    append(2)
    replicate(target=str(replica_dir))
    result = verify_all(replica=str(replica_dir))
    assert result.ok and result.stats["replica"]["blobs"] == 1
    _blob_file(replica_dir, blob.sha256).unlink()
    result = verify_all(replica=str(replica_dir))
    assert [f.code for f in result.findings] == ["replica_blob_missing"]
    assert "异地副本" in result.text_report()
