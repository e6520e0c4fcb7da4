"""Fuzz test of the whole API (issue 11 item 5): no request, however malformed, gets a server error.

Schemathesis reads ``/api/openapi.json`` from the WSGI application and, for every operation, sends a
fixed number of generated requests (seeded, so every run sends the same ones): data that fits the
schema and data that does not (wrong types, out-of-range numbers, missing fields). Each request goes
twice, as an officer with an API token (``Authorization: Bearer lh_…``) and as the audit administrator
with a session cookie and its CSRF token; where the path names objects, it goes again with the ids of
the agency's real objects, so that generated bodies reach the services and not only the 404. Every
response must be below 500, JSON where the API says JSON, and match its documented schema.

Each call runs in a savepoint that is rolled back, so every request meets the same world (one demo
agency with a lead, cases, a finalised document, a recording, a session, a device, an upload) and a
failing call cannot spoil the next. The test runs in both passes of ``make test`` (SQLite and
PostgreSQL): the database is where bad input used to break (64-bit overflow, invalid ids). It is
marked ``fuzz``: ``pytest -m "not fuzz"`` leaves it out of quick local runs, and ``xdist_group`` keeps
its operations on one worker under ``-n … --dist loadgroup`` (the world is built once, not per worker).
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from liuhen.wsgi import application

SEED = 20261202
EXAMPLES_PER_OPERATION = 5
CONFIG = schemathesis.Config.from_str(
    f"""
seed = {SEED}

[generation]
max-examples = {EXAMPLES_PER_OPERATION}
database = "none"
with-security-parameters = false

[phases.coverage]
enabled = false
"""
)
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)

pytestmark = [pytest.mark.fuzz, pytest.mark.xdist_group("api_fuzz"), pytest.mark.django_db]


@dataclass
class World:
    token: str  # the officer's API token
    session: dict[str, str]  # the audit administrator's session and CSRF cookies
    csrf: str
    path_values: dict[str, Any] = field(default_factory=dict)  # path parameter → a real object's value


def _build(folder) -> World:
    from liuhen.cases.models import Case, CaseSource
    from liuhen.cases.tests.conftest import Staff, make_document
    from liuhen.devices.models import Device
    from liuhen.ledger.models import Event
    from liuhen.media import services as media
    from liuhen.media import sessions
    from liuhen.org.models import Agency, ApiToken, User
    from liuhen.org.services import api_token_issue

    call_command("load_demo", accounts_file=folder / "accounts.txt", stdout=io.StringIO())
    agency = Agency.objects.get(code="xigang")
    people = {
        s: User.objects.get(username=f"xigang.{s}") for s in ("officer1", "officer2", "depthead", "head", "legal")
    }
    auditor = User.objects.get(username="xigang.auditor")
    officer = people["officer1"]
    staff = Staff(
        agency=agency,
        officer=officer,
        officer2=people["officer2"],
        department_head=people["depthead"],
        agency_head=people["head"],
        legal_reviewer=people["legal"],
        outsider=people["officer2"],
    )
    case = Case.objects.get(agency=agency, enforcement_type="inspection")
    lead = CaseSource.objects.filter(agency=agency).order_by("pk").first()
    document = make_document(staff, case, "site_inspection_record", case.stage)
    record = media.av_record_ingest(
        actor=officer,
        stream=io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + secrets.token_bytes(64)),
        filename="现场检查.mp4",
        content_type="video/mp4",
        target=media.Target(case=case, stage_id=case.stage),
        device_serial="XIGANG-DSJ-0001",
    )
    session = sessions.session_create(actor=officer, title="现场检查", case=case, stage_id=case.stage, records=[record])
    device = Device.objects.filter(agency=agency).order_by("pk").first()
    upload = media.upload_create(actor=officer, length=16)
    _, token = api_token_issue(actor=None, user=officer, name="模糊测试")
    browser = Client()
    browser.force_login(auditor)
    csrf = secrets.token_hex(16)  # any 32 characters: the cookie and the header must agree
    return World(
        token=token,
        session={"sessionid": browser.cookies["sessionid"].value, "csrftoken": csrf},
        csrf=csrf,
        path_values={
            "case_id": case.pk,
            "lead_id": lead.pk,
            "document_id": document.pk,
            "version": 1,
            "record_id": record.pk,
            "object_type": "av_record",
            "object_id": str(record.pk),
            "session_id": session.pk,
            "device_id": device.pk,
            "serial": device.serial,
            "upload_id": upload.pk,
            "user_id": people["officer2"].pk,
            "token_id": ApiToken.objects.filter(user=officer).values_list("pk", flat=True).first(),
            "seq": Event.objects.filter(agency_id=agency.pk).order_by("seq").values_list("seq", flat=True).first(),
            "stage_id": case.stage,
            "profile_id": agency.profile_id,
            "role": "officer",
            "year": 2026,
            "day": dt.date(2026, 10, 1).isoformat(),
        },
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "data").mkdir()
    overrides = override_settings(
        DATA_DIR=folder / "data",
        LIUHEN_STORAGE="local",
        LIUHEN_BLOB_DIR=folder / "blobs",
        LIUHEN_UPLOAD_DIR=str(folder / "uploads"),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    # As Django's test client does: a request must not close the connection that holds the world's
    # transaction (on PostgreSQL it would; requests here go straight to the WSGI application).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), overrides, transaction.atomic():
            name = str(connection.settings_dict["NAME"])
            assert "memory" in name or "test" in name, f"not a test database: {name}"
            yield _build(folder)
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _call(case: Any, **kwargs: Any) -> None:
    """One request in a savepoint rolled back afterwards; its response must pass the checks."""
    with transaction.atomic():
        response = case.call(**kwargs)
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_api_fuzz__no_request_gets_a_server_error(case, world):
    as_officer = {"headers": {"Authorization": f"Bearer {world.token}"}}
    as_auditor = {"headers": {"X-CSRFToken": world.csrf}, "cookies": world.session}
    real = {k: world.path_values[k] for k in (case.path_parameters or {}) if k in world.path_values}
    variants = [dict(case.path_parameters or {})]
    if real:
        variants.append({**(case.path_parameters or {}), **real})
    for path_parameters in variants:
        case.path_parameters = path_parameters
        for who in (as_officer, as_auditor):
            _call(case, **who)
