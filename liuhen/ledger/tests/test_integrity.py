"""``manage.py verify`` end to end: blobs, ledger, record rows; reports for people and programs; the API."""

from __future__ import annotations

import contextlib
import importlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from liuhen.ledger import checkpoints, guards, services
from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.blobstore.services import blob_put
from liuhen.ledger.integrity import verify_all
from liuhen.ledger.models import VerificationReport
from liuhen.ledger.records import verify_records
from liuhen.org.rules import Role

_blob_guards = importlib.import_module("liuhen.ledger.blobstore.migrations.0002_append_only_triggers")


def _blob_triggers(up: bool) -> None:
    kind = "UP" if up else "DOWN"
    statements = getattr(_blob_guards, f"{'POSTGRES' if connection.vendor == 'postgresql' else 'SQLITE'}_{kind}")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@contextlib.contextmanager
def attacker():
    """Someone with database rights: drop the triggers, do the damage, put the triggers back."""
    guards.drop(connection)
    _blob_triggers(up=False)
    try:
        yield
    finally:
        _blob_triggers(up=True)
        guards.create(connection)


def _found(findings) -> set[tuple[str, str]]:
    return {(f.code, f.item) for f in findings}


@pytest.fixture
def blob_settings(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "configured-blobs"
    return settings.LIUHEN_BLOB_DIR


@pytest.fixture
def deployment(db, blob_settings, append, django_capture_on_commit_callbacks):
    """Three originals, some other events and a signed checkpoint."""
    blobs = [blob_put(actor="采集站", stream=f"原始文件 {i}".encode() * 1000) for i in range(3)]
    append(4)
    with django_capture_on_commit_callbacks(execute=True):
        checkpoints.checkpoint_create()
    return blobs


def _run(*args: str) -> tuple[str, CommandError | None]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("verify", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.mark.clause("integ-no-tamper-original")
def test_record_rows__intact_rows_match_their_events(deployment):
    stats: dict = {}
    assert verify_records(stats=stats) == []
    assert stats["record_rows"] == 3 and stats["record_events"] == 3


@pytest.mark.clause("integ-no-tamper-original", "resp-tamper-delete")
def test_record_rows__edited_forged_and_deleted_rows_are_named(deployment):
    edited, deleted = deployment[0], deployment[1]
    forged = "ab" * 32
    with attacker(), connection.cursor() as cursor:
        cursor.execute("UPDATE blobstore_blob SET size = 1 WHERE sha256 = %s", [edited.pk])
        cursor.execute("DELETE FROM blobstore_blob WHERE sha256 = %s", [deleted.pk])
        cursor.execute(
            "INSERT INTO blobstore_blob (sha256, sm3, size, backend, stored_at, first_stored_by_label)"
            " VALUES (%s, %s, 1, 'local', CURRENT_TIMESTAMP, 'x')",
            [forged, "cd" * 32],
        )
    found = _found(verify_records())
    assert found == {
        ("record_row_edited", f"record:blobstore.Blob:{edited.pk}"),
        ("record_missing", f"record:blobstore.Blob:{deleted.pk}"),
        ("record_without_event", f"record:blobstore.Blob:{forged}"),
    }


def test_verify_all__an_intact_deployment_passes(deployment):
    result = verify_all()
    assert result.ok, result.text_report()
    assert result.stats["blobs"] == 3 and result.stats["blobs_rehashed"] == 3
    assert result.summary().startswith("核验通过")


@pytest.mark.clause("integ-no-tamper-original", "resp-tamper-delete", "integ-audit-trail-traceability")
def test_verify_command__passes_then_names_a_changed_blob_and_keeps_both_reports(deployment):
    out, error = _run()
    assert error is None, out
    assert "结论：通过" in out and "原始文件 3 个" in out
    first = VerificationReport.objects.get()
    assert first.ok and first.stats["events"] >= 7

    path = get_store().path(deployment[2].pk)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))

    out, error = _run()
    assert error is not None and error.returncode == 1
    assert "结论：未通过" in out and f"blob_changed blob:{deployment[2].pk}" in out
    latest = VerificationReport.objects.order_by("-id").first()
    assert not latest.ok and latest.findings[0]["code"] == "blob_changed"


def test_verify_command__json_report_names_each_finding(deployment, tmp_path):
    get_store().path(deployment[0].pk).unlink()
    target = tmp_path / "report.json"
    out, error = _run("--json", "-", "--sample", "50%")
    assert error is not None and error.returncode == 1
    report = json.loads(out)
    assert report["format"] == "liuhen-verify/1" and report["ok"] is False and report["sample"] == 0.5
    assert {"code": "blob_missing", "item": f"blob:{deployment[0].pk}"}.items() <= report["findings"][0].items()
    _run("--json", str(target))
    assert json.loads(target.read_text(encoding="utf-8"))["findings"][0]["code"] == "blob_missing"


@pytest.mark.parametrize("sample", ["0", "1.5", "abc", "-5%"])
def test_verify_command__bad_sample_is_refused_in_chinese(db, sample):
    _out, error = _run(f"--sample={sample}")
    assert error is not None and error.returncode == 2 and "抽样比例" in str(error)
    assert not VerificationReport.objects.exists()


def test_verify_command__a_broken_ledger_is_reported_not_hidden(deployment):
    with attacker():
        from liuhen.ledger.models import Event

        Event.objects.filter(seq=2)._raw_delete(connection.alias)
    out, error = _run()
    assert error is not None and error.returncode == 1
    assert "ledger_seq_gap event:#3" in out


def _run_queued_tasks() -> None:
    """What the worker does with each queued task (the real db_worker closes the test's connection)."""
    from django_tasks_db.models import DBTaskResult

    for row in DBTaskResult.objects.all():
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])


@pytest.fixture
def agency(make_agency):
    return make_agency("verify-a")


def test_api__auditor_queues_a_run_and_reads_the_report(client, agency, make_user, deployment):
    auditor = make_user(agency, Role.AUDIT_ADMIN)
    client.force_login(auditor)
    assert client.get("/api/ledger/verifications/latest").json()["code"] == "verification_report_not_found"
    r = client.post("/api/ledger/verifications", {"sample": None}, content_type="application/json")
    assert r.status_code == 202, r.content
    assert r.json()["task_id"]
    _run_queued_tasks()
    report = client.get("/api/ledger/verifications/latest").json()
    assert report["ok"] is True and report["stats"]["blobs_rehashed"] == 3
    assert client.get(f"/api/ledger/verifications/{report['id']}").json()["summary"].startswith("核验通过")
    actions = list(services.Event.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["ledger.verify_requested", "ledger.verified"]


def test_api__bad_sample_and_officers_are_refused(client, agency, make_user, db):
    client.force_login(make_user(agency, Role.SUPERVISOR))
    r = client.post("/api/ledger/verifications", {"sample": 3}, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "verify_argument_invalid"
    client.force_login(make_user(agency, Role.OFFICER))
    r = client.post("/api/ledger/verifications", {}, content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert client.get("/api/ledger/verifications/latest").status_code == 403
    assert client.get("/api/ledger/verifications/1").status_code == 404  # no such report: 404 for every role


def test_audit_page__auditor_starts_a_run_and_sees_its_report(client, agency, make_user, deployment):
    client.force_login(make_user(agency, Role.AUDIT_ADMIN))
    r = client.post("/ledger/verify", {"scope": "full"}, follow=True)
    assert "全部核验已排队" in r.content.decode()
    _run_queued_tasks()
    body = client.get("/ledger/audit/").content.decode()
    assert "核验通过：原始文件 3 个（全部重算）" in body


def test_audit_page__only_the_auditor_may_start_a_run(client, agency, make_user, db):
    client.force_login(make_user(agency, Role.SYSTEM_ADMIN))
    assert client.post("/ledger/verify", {"scope": "sample"}).status_code == 403
