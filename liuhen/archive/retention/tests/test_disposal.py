"""Disposal batches: only expired, unheld records; approval by the profile's role, never the proposer;
an interrupted run leaves nothing half-done and a rerun completes; tombstones; verify stays clean.

Clauses integ-no-destroy-within-retention, store-av-retention-min.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from liuhen.archive.models import DisposalItemState, DisposalStatus, Tombstone
from liuhen.archive.retention import disposal
from liuhen.archive.retention import terms as retention
from liuhen.archive.retention.disposal import disposal_approve, disposal_propose, disposal_run
from liuhen.archive.retention.errors import DisposalSelfApproval, RecordHeld, RecordNotExpired
from liuhen.archive.retention.holds import hold_release, hold_set
from liuhen.core.errors import PermissionDenied
from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.blobstore.verification import verify_blobs
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.media.ingest import originals as media
from liuhen.org.rules import Role


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


@pytest.fixture
def staff(staff_for, make_user):
    s = staff_for("dongxihu-culture")
    s.keeper = make_user(s.agency, Role.RECORDS_KEEPER)
    s.supervisor = make_user(s.agency, Role.SUPERVISOR)
    return s


def later(monkeypatch, days: int) -> None:
    """Move 'today' forward (terms are counted in local dates)."""
    day = retention.today() + dt.timedelta(days=days)
    monkeypatch.setattr(retention, "today", lambda: day)
    monkeypatch.setattr(disposal, "today", lambda: day)


def ingest(staff, n: int):
    return [
        media.av_record_ingest(actor=staff.officer, stream=f"clip {i}".encode(), filename=f"c{i}.mp4") for i in range(n)
    ]


def refused_events(via: str | None = None) -> list[Event]:
    rows = Event.objects.filter(action="disposal.early_refused")
    return [e for e in rows if via is None or f'"via":"{via}"' in e.payload]


@pytest.mark.clause("integ-no-destroy-within-retention", "store-av-retention-min")
@pytest.mark.django_db
def test_disposal_before_expiry_is_refused_and_logged(staff, monkeypatch):
    (rec,) = ingest(staff, 1)
    later(monkeypatch, 80)  # 3 months not yet over
    with pytest.raises(RecordNotExpired) as refused:
        disposal_propose(actor=staff.keeper, reason="到期销毁", records=[("av_record", str(rec.pk))])
    assert refused.value.code == "retention_not_expired"
    assert len(refused_events("service")) == 1
    assert get_store().exists(rec.blob_id)


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_a_hold_blocks_disposal_until_lifted(staff, monkeypatch):
    (rec,) = ingest(staff, 1)
    with pytest.raises(PermissionDenied):
        hold_set(actor=staff.officer, obj=rec, reason="投诉处理中")
    hold = hold_set(actor=staff.supervisor, obj=rec, reason="投诉处理中")
    later(monkeypatch, 200)
    with pytest.raises(RecordHeld):
        disposal_propose(actor=staff.keeper, reason="到期", records=[("av_record", str(rec.pk))])
    assert disposal.eligible(staff.agency.pk) == []
    hold_release(actor=staff.agency_head, hold=hold, reason="投诉已办结")
    assert [r.object_id for r in disposal.eligible(staff.agency.pk)] == [str(rec.pk)]


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_approval_by_the_profiles_role_and_never_by_the_proposer(staff, monkeypatch, make_user):
    ingest(staff, 1)
    later(monkeypatch, 200)
    batch = disposal_propose(actor=staff.keeper, reason="到期")
    assert batch.approval_role == "agency_head"
    with pytest.raises(PermissionDenied):
        disposal_approve(actor=staff.department_head, batch_id=batch.pk)
    both = make_user(staff.agency, Role.RECORDS_KEEPER)
    from liuhen.org.models import RoleGrant

    RoleGrant.objects.create(user=both, role=Role.AGENCY_HEAD)
    both.__dict__.pop("role_codes", None)
    own = disposal_propose(actor=both, reason="到期（另一批）")
    with pytest.raises(DisposalSelfApproval):
        disposal_approve(actor=both, batch_id=own.pk)
    with pytest.raises(Exception) as not_approved:
        disposal_run(batch_id=batch.pk)
    assert getattr(not_approved.value, "code", "") == "disposal_not_approved"


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_an_interrupted_batch_leaves_nothing_half_done_and_a_rerun_completes(staff, monkeypatch):
    recs = ingest(staff, 4)
    later(monkeypatch, 200)
    batch = disposal_propose(actor=staff.keeper, reason="保存期满")
    disposal_approve(actor=staff.agency_head, batch_id=batch.pk, opinion="同意销毁")
    real = disposal.remove_content
    calls = {"n": 0}

    def crash_on_third(sha256: str) -> bool:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("power lost")
        return real(sha256)

    monkeypatch.setattr(disposal, "remove_content", crash_on_third)
    with pytest.raises(OSError):
        disposal_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == DisposalStatus.FAILED
    states = {i.object_id: i.state for i in batch.items.all()}
    done = [r for r in recs if states[str(r.pk)] == DisposalItemState.DISPOSED]
    untouched = [r for r in recs if states[str(r.pk)] == DisposalItemState.PENDING]
    assert len(done) == 2 and len(untouched) == 2
    store = get_store()
    for r in done:  # fully disposed: tombstone and content gone
        assert Tombstone.objects.filter(object_id=str(r.pk), sha256=r.blob_id).exists()
        assert not store.exists(r.blob_id)
    for r in untouched:  # untouched: no tombstone, content intact
        assert not Tombstone.objects.filter(object_id=str(r.pk)).exists()
        assert store.exists(r.blob_id)
    assert verify_blobs() == []  # disposed, not missing
    monkeypatch.setattr(disposal, "remove_content", real)
    call_command("disposal_run", str(batch.pk))
    batch.refresh_from_db()
    assert batch.status == DisposalStatus.DONE
    assert Tombstone.objects.filter(batch=batch).count() == 4
    assert not any(store.exists(r.blob_id) for r in recs)
    stats: dict = {}
    assert verify_blobs(stats=stats) == [] and stats["blobs_disposed"] == 4
    assert verify_records() == []  # tombstones match their events; record rows are still there
    stone = Tombstone.objects.get(object_id=str(recs[0].pk))
    assert (stone.sha256, stone.sm3, stone.size) == (recs[0].blob_id, recs[0].sm3, recs[0].size)
    assert stone.approved_by_id == staff.agency_head.pk and stone.reason == "保存期满"
    assert Event.objects.filter(action="disposal.tombstoned").count() == 4
    assert Event.objects.filter(action="disposal.finished", object_id=str(batch.pk)).exists()


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_command_refuses_an_item_lengthened_after_approval_and_logs_it(staff, monkeypatch):
    a, b = ingest(staff, 2)
    later(monkeypatch, 200)
    batch = disposal_propose(actor=staff.keeper, reason="保存期满")
    disposal_approve(actor=staff.agency_head, batch_id=batch.pk)
    retention.retention_extend(
        actor=staff.officer,
        obj=b,
        event="other",
        reason="当事人申请复议",
        until=retention.today() + dt.timedelta(days=365),
    )
    with pytest.raises(CommandError):
        call_command("disposal_run", str(batch.pk))
    assert get_store().exists(b.blob_id) and not get_store().exists(a.blob_id)
    assert refused_events("disposal_run")


@pytest.mark.clause("integ-no-destroy-within-retention")
@pytest.mark.django_db
def test_command_refuses_a_batch_not_approved_and_logs_it(staff, monkeypatch):
    ingest(staff, 1)
    later(monkeypatch, 200)
    batch = disposal_propose(actor=staff.keeper, reason="保存期满")
    with pytest.raises(CommandError, match="disposal_not_approved"):
        call_command("disposal_run", str(batch.pk))
    assert refused_events("command")


@pytest.mark.django_db
def test_batch_pages_show_chinese_labels_and_the_approver_approves_there(staff, monkeypatch, client):
    ingest(staff, 2)
    later(monkeypatch, 200)
    batch = disposal_propose(actor=staff.keeper, reason="到期")
    client.force_login(staff.keeper)
    html = client.get(f"/retention/disposal/{batch.pk}/").content.decode()
    assert "待审批" in html and "机关负责人" in html and "音像记录 #" in html and "待销毁" in html
    assert "proposed" not in html and "agency_head" not in html
    html = client.get("/retention/disposal/").content.decode()
    assert "待审批" in html
    client.force_login(staff.agency_head)
    r = client.post(f"/retention/disposal/{batch.pk}/", {"action": "approve", "opinion": "同意销毁"})
    assert r.status_code in (200, 302)
    batch.refresh_from_db()
    assert batch.status == "approved"
    html = client.get(f"/retention/disposal/{batch.pk}/").content.decode()
    assert "已批准" in html and "同意销毁" in html
