"""立卷归档 end to end: a closed penalty case is assembled, checked (DA/T 70) and archived by the records
keeper of its agency; every refusal (a draft, AV linked to no stage, another agency, not the records
keeper, a broken package); verify stays clean."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import bagit
import pytest
from django.utils import timezone

from liuhen.archive.casefiles import assembly
from liuhen.archive.casefiles.archiving import case_file_archive
from liuhen.archive.casefiles.errors import CaseFileForbidden, CaseFileRefused
from liuhen.archive.models import CaseFile, CaseFileItem, CaseFileStatus
from liuhen.archive.retention.terms import add_period, current_assignments
from liuhen.cases.models import CaseDeadline
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.media.tests.avhelpers import clip
from liuhen.org.rules import Role
from liuhen.policy.calendar.workdays import next_working_day
from liuhen.testing.cases import drive_to_close

START = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"
    settings.LIUHEN_UPLOAD_DIR = str(tmp_path / "uploads")


def _closed_case(staff, tmp_path: Path, *, av_stage: str | None = "investigation", **open_kw):
    case = staff.open("penalty", **open_kw)
    if av_stage is not None:
        clip(staff, tmp_path, "现场检查.mp4", start=START, case=case, stage_id=av_stage, serial="CAM-9")
    return drive_to_close(staff, case)


def _keeper(make_user, staff):
    return make_user(staff.agency, Role.RECORDS_KEEPER)


@pytest.mark.clause("time-archive-30d", "arch-case-file-complete")
@pytest.mark.parametrize(
    ("profile", "retention"),
    [("dongxihu-culture", "10年"), ("naiman-culture", "按档案管理规定")],
)
def test_case_file__full_penalty_case_archived(staff_for, make_user, tmp_path, profile, retention):
    staff = staff_for(profile, code=profile[:12])
    keeper = _keeper(make_user, staff)
    case = _closed_case(staff, tmp_path)
    cf = CaseFile.objects.get(case=case)
    archiving = CaseDeadline.objects.filter(case=case, code="archiving").first()
    assert cf.status == CaseFileStatus.ASSEMBLING
    assert cf.due_on == (archiving.due_on if archiving else None)
    if profile == "dongxihu-culture":
        # 30 days from the closing day in Beijing, a due date on a rest day moved to the next working day
        closed = timezone.localdate(case.closed_at)
        assert cf.due_on == next_working_day(closed + dt.timedelta(days=30)).due

    cf = assembly.case_file_assemble(actor=keeper, case=case)
    assert cf.status == CaseFileStatus.CHECKED, cf.check_report
    assert cf.check_passed is True and cf.retention == retention
    assert len(cf.archive_number) == 8 and cf.archive_number.startswith(str(timezone.localdate().year))
    items = assembly.current_items(cf)
    kinds = [i.kind for i in items]
    assert "document" in kinds and "av" in kinds and kinds.count("timeline") == 2
    # documents in the profile's order: the filing form, then the decision, in the main volume
    main_docs = [i.title for i in items if i.volume == "main" and i.kind == "document"]
    assert main_docs.index("立案审批表") < next(n for n, t in enumerate(main_docs) if "决定书" in t)
    root = assembly.package_root(cf)
    bagit.Bag(str(root)).validate()
    av_meta = next(root.rglob("*.metadata.json"))
    meta = json.loads(av_meta.read_text())
    assert meta["device_serial"] == "CAM-9" and meta["sha256"] == next(i for i in items if i.kind == "av").sha256
    assert len(list((root / "data" / "proofs").glob("*.proof.json"))) == len(items)

    cf = case_file_archive(actor=keeper, case_file=cf)
    assert cf.status == CaseFileStatus.ARCHIVED and cf.archived_by == keeper
    case.refresh_from_db()
    assert case.archived_at is not None
    if archiving is not None:
        archiving.refresh_from_db()
        assert archiving.status == "met"
    # the case file's own term runs from the day it was archived (10年 in 东西湖; open where the profile is silent)
    (term,) = current_assignments("case_file", str(cf.pk))
    if profile == "dongxihu-culture":
        assert term.keep_until == add_period(timezone.localdate(cf.archived_at), 10, "years")
    else:
        assert term.keep_until is None and not term.permanent
    event = Event.objects.filter(action="case_file.archived").get()
    assert json.loads(event.payload)["package_sha256"] == cf.package_sha256
    assert not (root / "bag-info.txt").stat().st_mode & 0o222  # read-only
    with pytest.raises(CaseFileRefused) as exc:
        assembly.case_file_assemble(actor=keeper, case=case)
    assert exc.value.code == "case_file_archived"
    assert CaseFileItem.objects.filter(case_file=cf).count() == len(items)
    assert verify_records() == []


def test_case_file__refused_with_a_draft_document(staff_for, make_user, tmp_path):
    from liuhen.documents import services as docs

    staff = staff_for("dongxihu-culture", code="draft")
    keeper = _keeper(make_user, staff)
    case = staff.open("penalty")
    docs.document_create(actor=staff.officer, case=case, doc_type="interview_record", stage_id="intake")
    case = drive_to_close(staff, case)
    with pytest.raises(CaseFileRefused) as exc:
        assembly.case_file_assemble(actor=keeper, case=case)
    assert exc.value.code == "document_draft" and "草稿" in exc.value.message
    assert CaseFile.objects.get(case=case).status == CaseFileStatus.ASSEMBLING
    assert Event.objects.filter(action="case_file.assembly_refused").exists()


def test_case_file__refused_with_an_av_record_not_linked_to_a_stage(staff_for, make_user, tmp_path):
    staff = staff_for("dongxihu-culture", code="unlinked")
    keeper = _keeper(make_user, staff)
    case = staff.open("penalty")
    clip(staff, tmp_path, "未关联.mp4", start=START, case=case, stage_id="")
    case = drive_to_close(staff, case)
    with pytest.raises(CaseFileRefused) as exc:
        assembly.case_file_assemble(actor=keeper, case=case)
    assert exc.value.code == "av_record_unlinked" and "未关联到执法环节" in exc.value.message


def test_case_file__records_keeper_of_another_agency_refused(staff_for, make_user, tmp_path):
    staff = staff_for("dongxihu-culture", code="home")
    other = staff_for("dongxihu-culture", code="other")
    case = _closed_case(staff, tmp_path, av_stage=None)
    cf = assembly.case_file_assemble(actor=_keeper(make_user, staff), case=case)
    stranger = _keeper(make_user, other)
    with pytest.raises(CaseFileForbidden) as exc:
        case_file_archive(actor=stranger, case_file=cf)
    assert exc.value.code == "case_file_other_agency"
    with pytest.raises(CaseFileForbidden) as exc:
        case_file_archive(actor=staff.officer, case_file=cf)
    assert exc.value.code == "case_file_not_records_keeper"
    with pytest.raises(CaseFileForbidden):
        assembly.case_file_assemble(actor=stranger, case=case)
    cf.refresh_from_db()
    assert cf.status == CaseFileStatus.CHECKED


@pytest.mark.clause("arch-case-file-complete")
def test_case_file__broken_package_not_archivable(staff_for, make_user, tmp_path):
    staff = staff_for("dongxihu-culture", code="broken")
    keeper = _keeper(make_user, staff)
    case = _closed_case(staff, tmp_path)
    cf = assembly.case_file_assemble(actor=keeper, case=case)
    assert cf.status == CaseFileStatus.CHECKED
    root = assembly.package_root(cf)
    pdf = next(p for p in root.rglob("*.pdf") if "决定书" in p.name)
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pdf.write_bytes(bytes(data))
    with pytest.raises(CaseFileRefused) as exc:
        case_file_archive(actor=keeper, case_file=cf)
    assert exc.value.code == "package_check_failed"
    cf.refresh_from_db()
    assert cf.status == CaseFileStatus.REJECTED and cf.check_passed is False
    codes = {f["code"] for p in cf.check_report["properties"].values() for f in p["findings"]}
    assert "digest_mismatch" in codes or "record_digest_differs" in codes
    # a fresh assembly from the blob store mends it
    cf = assembly.case_file_assemble(actor=keeper, case=case)
    assert cf.status == CaseFileStatus.CHECKED and cf.assembly == 2
    cf = case_file_archive(actor=keeper, case_file=cf)
    assert cf.status == CaseFileStatus.ARCHIVED
    assert verify_records() == []


@pytest.mark.clause("time-archive-30d")
def test_archive_reminders__sent_once_per_stage_to_handler_head_and_keeper(staff_for, make_user, tmp_path):
    from liuhen.archive.casefiles.reminders import archive_due_for, archive_reminders_send
    from liuhen.core.models import Notification

    staff = staff_for("dongxihu-culture", code="remind")
    keeper = _keeper(make_user, staff)
    case = _closed_case(staff, tmp_path, av_stage=None)
    cf = CaseFile.objects.get(case=case)
    early = cf.due_on - dt.timedelta(days=20)
    assert archive_reminders_send(today=early) == 0
    soon = cf.due_on - dt.timedelta(days=1)
    assert archive_reminders_send(today=soon) == 1
    assert archive_reminders_send(today=soon) == 0  # no duplicates
    people = set(Notification.objects.filter(kind="archive_due").values_list("recipient_id", flat=True))
    assert {staff.officer.pk, staff.department_head.pk, keeper.pk} <= people
    assert archive_due_for(keeper, today=soon) == [cf]
    late = cf.due_on + dt.timedelta(days=1)
    assert archive_reminders_send(today=late) == 1
    assert archive_reminders_send(today=late + dt.timedelta(days=3)) == 0
    titles = list(Notification.objects.filter(recipient=keeper, kind="archive_due").values_list("title", flat=True))
    assert len(titles) == 2 and any("已逾期" in t for t in titles)
    assert Event.objects.filter(action="case_file.reminded").count() == 2
    case_file_archive(actor=keeper, case_file=assembly.case_file_assemble(actor=keeper, case=case))
    assert archive_reminders_send(today=late + dt.timedelta(days=10)) == 0
    assert verify_records() == []


@pytest.mark.clause("arch-av-evidence-disc")
def test_case_file__lists_the_written_statement_of_each_verified_evidence_disc(
    staff_for,
    make_user,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    from liuhen.archive.discs.selection import disc_candidates
    from liuhen.archive.discs.tests.test_discs import request, run_tasks

    staff = staff_for("dongxihu-culture", code="cf-disc")
    keeper = _keeper(make_user, staff)
    case = _closed_case(staff, tmp_path)
    refs = [c.ref for c in disc_candidates(case) if c.ref.startswith("av")]
    assert refs
    with django_capture_on_commit_callbacks(execute=True):
        disc = request(keeper, case, refs)
    run_tasks()
    disc.refresh_from_db()
    assert disc.status == "verified", disc.error

    cf = assembly.case_file_assemble(actor=keeper, case=case)
    assert cf.status == CaseFileStatus.CHECKED, cf.check_report
    (statement,) = [i for i in assembly.current_items(cf) if i.kind == "statement"]
    assert statement.sha256 == disc.statement_sha256 and f"光盘 #{disc.pk}" in statement.title
    assert verify_records() == []


@pytest.mark.clause("time-archive-30d")
def test_archive_reminders__a_pinned_profile_that_no_longer_loads_gives_way_to_the_current_one(staff_for, monkeypatch):
    from liuhen.archive.casefiles import reminders
    from liuhen.cases.models import Case
    from liuhen.policy.errors import ProfileNotFound
    from liuhen.policy.loader import get_profile

    staff = staff_for("dongxihu-culture", code="pinned")
    case = staff.open("inspection")
    cf = assembly.case_file_open(case=case)
    assert reminders.reminder_profile(cf).version == case.profile_version  # the pinned version
    Case.objects.filter(pk=case.pk).update(profile_version="0-no-longer-registered")
    cf = CaseFile.objects.select_related("case").get(pk=cf.pk)
    current = get_profile("dongxihu-culture")
    later = current.model_copy(
        update={"case_file": current.case_file.model_copy(update={"remind_before_working_days": 12})}
    )
    monkeypatch.setattr(reminders, "get_profile", lambda pid: later if pid == "dongxihu-culture" else get_profile(pid))
    assert reminders.reminder_profile(cf).case_file.remind_before_working_days == 12

    def gone(pid):
        if pid == reminders.NATIONAL_BASELINE:
            return get_profile(pid)
        raise ProfileNotFound(profile_id=pid)

    monkeypatch.setattr(reminders, "get_profile", gone)
    assert reminders.reminder_profile(cf).id == "national-baseline"
