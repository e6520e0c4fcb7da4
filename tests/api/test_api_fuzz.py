"""Fuzz test of the whole API (issue 11 item 5): no request, however malformed, gets a server error.

Schemathesis reads ``/api/openapi.json`` from the WSGI application and, for every operation, sends a
fixed number of generated requests (seeded, so every run sends the same ones): data that fits the
schema and data that does not (wrong types, out-of-range numbers, missing fields). Each request goes
twice, as the officer with an API token (``Authorization: Bearer lh_…``) and as the audit administrator
with a session cookie and its CSRF token; where the path names objects, it goes again with the ids of
the acting agency's real objects (the authorisation matrix's world, ``conftest.py``: one object of every
protected kind), so that generated bodies reach the services and not only the 404. Every response must
be below 500, JSON where the API says JSON, and match its documented schema.

Each call runs in a savepoint that is rolled back, so every request meets the same world and a failing
call cannot spoil the next. The test runs in both passes of ``make test`` (SQLite and PostgreSQL): the
database is where bad input used to break (64-bit overflow, invalid ids). It is marked ``fuzz``
(``pytest -m "not fuzz"`` leaves it out of quick local runs) and ``xdist_group``, which keeps its
operations on one worker under ``-n … --dist loadgroup`` so that the world is built once, not per worker.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
import schemathesis
from authz_matrix import SUBJECTS
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
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


@pytest.fixture(scope="module")
def fuzz(world: Any, django_db_blocker: Any) -> dict[str, Any]:
    """How the two roles authenticate, and the real value of every path parameter of the acting agency."""
    from liuhen.org.services import api_token_issue

    own = world.own
    with django_db_blocker.unblock():  # inside the world's transaction: rolled back with it
        _, token = api_token_issue(actor=None, user=own.users["officer"], name="模糊测试")
    csrf = secrets.token_hex(16)  # any 32 characters: the cookie and the header must agree
    session = world.clients["audit_admin"].cookies["sessionid"].value
    values: dict[str, Any] = {"role": "officer", "year": 2026, "day": dt.date(2026, 10, 1).isoformat()}
    for kind, pk in {**own.ids, **world.global_ids}.items():
        if kind in SUBJECTS:
            values[SUBJECTS[kind]] = str(pk) if SUBJECTS[kind] == "object_id" else pk
    for extra in own.params.values():
        values.update(extra)
    # As Django's test client does: a request must not close the connection that holds the world's
    # transaction (on PostgreSQL it would; these requests go straight to the WSGI application).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {
        "officer": {"headers": {"Authorization": f"Bearer {token}"}},
        "auditor": {"headers": {"X-CSRFToken": csrf}, "cookies": {"sessionid": session, "csrftoken": csrf}},
        "path_values": values,
    }
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
def test_api_fuzz__no_request_gets_a_server_error(case, fuzz):
    generated = dict(case.path_parameters or {})
    real = {k: fuzz["path_values"][k] for k in generated if k in fuzz["path_values"]}
    for path_parameters in [generated, {**generated, **real}] if real else [generated]:
        case.path_parameters = path_parameters
        for who in ("officer", "auditor"):
            _call(case, **fuzz[who])
