"""The world the authorisation matrix runs in, built once per module.

Two of the demo agencies (``manage.py load_demo``: 东西湖 and 奈曼, one account per role each) and, in
each, one object of every protected kind made through the same services as the pages: a lead, an open
inspection case at its first stage with a finalised document that was served (delivery with its proof),
a real MP4 recording linked to the stage (probed; its retention record and a recording session), a
device, an upload in progress, a closed case with its case file, a verified evidence disc, a legal hold,
a disposal batch, a referral, a ledger event, an API token, plus the deployment-wide checkpoint and
verification report. Everything runs inside one transaction rolled back when the module ends.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

AGENCIES = ("dongxihu", "naiman")  # the acting agency, the other (both keep AV records for a dated term)
# The demo account of each role (liuhen.org.demo.DEMO_PEOPLE): officer1 handles the demo cases.
ROLE_ACCOUNTS: dict[str, str] = {
    "officer": "officer1",
    "department_head": "depthead",
    "agency_head": "head",
    "legal_reviewer": "legal",
    "records_keeper": "records",
    "supervisor": "supervisor",
    "system_admin": "sysadmin",
    "security_admin": "secadmin",
    "audit_admin": "auditor",
}


@dataclass
class AgencyWorld:
    """One agency's people and objects: ``ids[kind]`` is the id of its object of that kind, and
    ``params[kind]`` the other path values that go with it (a document's version, a proof's digest)."""

    agency: Any
    users: dict[str, Any]
    ids: dict[str, Any] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class World:
    own: AgencyWorld
    other: AgencyWorld
    clients: dict[str, Client]
    global_ids: dict[str, Any]
    settings: dict[str, Any]  # the data folder the world's blobs, keys and uploads live in


def _run_tasks(prefix: str) -> None:
    """What the worker would do with the tasks queued under ``prefix`` (nothing commits here)."""
    from django_tasks_db.models import DBTaskResult

    for row in DBTaskResult.objects.filter(task_path__startswith=prefix):
        row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()


def _build_agency(code: str, folder: Path) -> AgencyWorld:
    from liuhen.archive.discs import requests as discs
    from liuhen.archive.models import CaseFile
    from liuhen.archive.retention import disposal, holds
    from liuhen.archive.retention import terms as retention
    from liuhen.cases import services as cases
    from liuhen.cases.models import Case, CaseSource
    from liuhen.devices.models import Device
    from liuhen.documents.models import Delivery
    from liuhen.ledger.models import Event
    from liuhen.media.continuity import sessions
    from liuhen.media.ingest import originals as media
    from liuhen.media.ingest.processing import av_record_probe
    from liuhen.media.ingest.uploads import upload_create
    from liuhen.media.tests import mediafiles
    from liuhen.org.models import Agency, ApiToken, User
    from liuhen.org.services import api_token_issue
    from liuhen.testing.cases import Staff, drive_to_close, make_document, serve_document

    agency = Agency.objects.get(code=code)
    users = {role: User.objects.get(username=f"{code}.{suffix}") for role, suffix in ROLE_ACCOUNTS.items()}
    officer2 = User.objects.get(username=f"{code}.officer2")
    staff = Staff(
        agency=agency,
        officer=users["officer"],
        officer2=officer2,
        department_head=users["department_head"],
        agency_head=users["agency_head"],
        legal_reviewer=users["legal_reviewer"],
        outsider=officer2,
    )
    w = AgencyWorld(agency=agency, users=users)
    officer = users["officer"]

    lead = CaseSource.objects.filter(agency=agency, kind="report").get()
    case = Case.objects.get(agency=agency, enforcement_type="inspection")
    w.ids["lead"] = lead.pk
    w.ids["case"] = case.pk
    w.params["case"] = {"stage_id": case.stage}

    document = make_document(staff, case, "site_inspection_record", case.stage)
    w.ids["document"] = document.pk
    w.params["document"] = {"version": 1}
    delivery = serve_document(staff, case, document)
    delivery = Delivery.objects.get(pk=delivery.pk)
    w.ids["delivery"] = delivery.pk
    w.params["delivery"] = {"sha256": delivery.proof_files[0]["sha256"]}

    clip = mediafiles.make_mp4(folder / f"{code}-现场检查.mp4", seconds=1, audio=False)
    with clip.open("rb") as fh:
        rec = media.av_record_ingest(
            actor=officer,
            stream=fh,
            filename=clip.name,
            content_type="video/mp4",
            target=media.Target(case=case, stage_id=case.stage),
            device_serial=f"{code.upper()}-DSJ-0001",
        )
    av_record_probe(record_id=rec.pk)
    w.ids["av_record"] = rec.pk
    w.ids["retention_record"] = str(rec.pk)
    w.params["retention_record"] = {"object_type": "av_record"}
    session = sessions.session_create(actor=officer, title="现场检查", case=case, stage_id=case.stage, records=[rec])
    w.ids["av_session"] = session.pk

    device = Device.objects.get(agency=agency, serial=f"{code.upper()}-DSJ-0001")
    w.ids["device"] = device.pk
    w.ids["device_serial"] = device.serial

    upload = upload_create(actor=officer, length=16)
    w.ids["upload"] = upload.pk

    closed = drive_to_close(staff, staff.open("inspection", title="已结案的检查"))
    w.ids["case_file"] = CaseFile.objects.get(case=closed).pk

    disc = discs.disc_request(
        actor=users["records_keeper"],
        case=case,
        record_refs=[f"av_record:{rec.pk}"],
        maker="赵档案",
        extractor="王执法",
        extracted_at=timezone.now() - dt.timedelta(hours=1),
        medium="cd",
    )
    _run_tasks("liuhen.archive.discs.build.disc_build_task")
    w.ids["disc"] = disc.pk

    held = media.av_record_ingest(actor=officer, stream=io.BytesIO(f"{code} 冻结".encode()), filename="held.mp4")
    w.ids["hold"] = holds.hold_set(actor=users["supervisor"], obj=held, reason="投诉处理中").pk

    expired = media.av_record_ingest(actor=officer, stream=io.BytesIO(f"{code} 到期".encode()), filename="old.mp4")
    with pytest.MonkeyPatch.context() as mp:  # the record's minimum term has run out (a later "today")
        later = retention.today() + dt.timedelta(days=4000)
        mp.setattr(retention, "today", lambda: later)
        mp.setattr(disposal, "today", lambda: later)
        batch = disposal.disposal_propose(
            actor=users["records_keeper"], reason="保存期满", records=[("av_record", str(expired.pk))]
        )
    w.ids["disposal_batch"] = batch.pk

    referred = staff.lead("report", summary="非本机关管辖的举报")
    w.ids["referral"] = cases.referral_create(
        actor=officer,
        source=referred,
        receiver_kind="agency",
        receiver_name="某区市场监督管理局",
        reason="jurisdiction",
        document_no="移〔2026〕1号",
        items="举报材料一份",
    ).pk

    w.ids["event"] = Event.objects.filter(agency_id=agency.pk).order_by("seq").first().seq
    w.ids["user"] = officer2.pk
    api_token_issue(actor=None, user=officer2, name="采集站")
    w.ids["token"] = ApiToken.objects.get(user=officer2).pk
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> World:
    from liuhen.ledger.checkpoints import checkpoint_create
    from liuhen.ledger.integrity import verification_report_save
    from liuhen.org.models import Agency

    folder = tmp_path_factory.mktemp("authz")
    (folder / "data").mkdir()
    data = {
        "DATA_DIR": folder / "data",
        "LIUHEN_STORAGE": "local",
        "LIUHEN_BLOB_DIR": folder / "blobs",
        "LIUHEN_UPLOAD_DIR": str(folder / "uploads"),
    }
    overrides = override_settings(**data, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), overrides, transaction.atomic():
        # The test database exists only when a test of the module is marked django_db: never build here otherwise.
        name = str(connection.settings_dict["NAME"])
        assert "memory" in name or "test" in name, f"not a test database: {name}"
        call_command("load_demo", accounts_file=folder / "accounts.txt", stdout=io.StringIO())
        own, other = (_build_agency(code, folder) for code in AGENCIES)
        checkpoint_create()
        report = verification_report_save(findings=[], summary="未发现问题")
        global_ids = {"report": report.pk, "profile": Agency.objects.get(code=AGENCIES[0]).profile_id}
        clients = {}
        for role, user in own.users.items():
            clients[role] = Client()
            clients[role].force_login(user)
        yield World(own=own, other=other, clients=clients, global_ids=global_ids, settings=data)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _world_data_dir(request: pytest.FixtureRequest, settings: Any) -> None:
    """Each test reads the world's data folder (its blobs and signing key), not a private one of its own."""
    if "world" in request.fixturenames:
        for name, value in request.getfixturevalue("world").settings.items():
            setattr(settings, name, value)
