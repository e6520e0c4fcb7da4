"""The API's edges (liuhen/api.py): bad input is a 4xx with a stable code and a Chinese message, never
a 500; what still goes wrong unexpectedly is a JSON 500 in Chinese, and logged.

The bounds come from one place (``liuhen.core.inputs``); the OpenAPI test below fails for any integer
or number the API takes without them. The fuzz test over the whole OpenAPI is
``tests/api/test_api_fuzz.py``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from liuhen.org.rules import Role

pytestmark = pytest.mark.django_db
CHINESE = re.compile(r"[\u4e00-\u9fff]")
HUGE = "1234567890123456789012345"  # 25 digits: more than a 64-bit integer holds


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def agency(make_agency):
    return make_agency("api-edge", "dongxihu-culture")


def _token_client(user) -> Client:
    from liuhen.org.services import api_token_issue

    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(actor=None, user=user, name='采集站')[1]}")


@pytest.fixture
def officer(agency, make_user):
    return make_user(agency, Role.OFFICER)


@pytest.fixture
def machine(officer) -> Client:
    return _token_client(officer)


def _refusal(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["code"] == code and CHINESE.search(body["message"]), body
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/api/cases/leads/?limit=-1",
        "/api/cases/leads/?offset=-1",
        "/api/cases/leads/?limit=0",
        "/api/devices/?limit=-1",
        "/api/devices/?offset=-5",
        f"/api/cases/?offset={HUGE}",
        "/api/cases/deadlines/due?within_days=999999999",
        "/api/cases/deadlines/due?within_days=-1",
        f"/api/cases/{HUGE}",
        f"/api/cases/leads/{HUGE}",
        "/api/devices/0",
        f"/api/cases/?handler={HUGE}",
    ],
)
def test_bad_integer_in_path_or_query__422_validation_failed(machine, url):
    body = _refusal(machine.get(url), 422, "validation_failed")
    assert body["detail"]["errors"]  # which parameter, and why


def test_case_open__a_25_digit_handler_id_is_422_not_500(machine):
    response = machine.post(
        "/api/cases/",
        {"enforcement_type": "inspection", "title": "检查", "handler_ids": [int(HUGE)]},
        content_type="application/json",
    )
    _refusal(response, 422, "validation_failed")


def test_retention_record__a_non_numeric_id_is_404_with_a_code(machine):
    for url in ("/api/retention/records/av_record/abc", f"/api/retention/records/av_record/{HUGE}"):
        _refusal(machine.get(url), 404, "retention_object_not_found")
    response = machine.post(
        "/api/retention/holds", {"reason": "投诉", "object_type": "av_record", "object_id": "²"}, "application/json"
    )
    assert response.status_code in (403, 404) and response.json()["code"] != "server_error"


def test_page_url__a_25_digit_id_is_404_not_500(client, officer):
    client.force_login(officer)
    for url in (f"/cases/{HUGE}/", f"/cases/leads/{HUGE}/", f"/devices/{HUGE}/"):
        assert client.get(url).status_code == 404, url


def test_unexpected_exception__json_500_server_error_in_chinese_and_logged(rf, caplog):
    from liuhen.api import api

    request = rf.get("/api/cases/")
    with caplog.at_level(logging.ERROR):
        response = api.on_exception(request, RuntimeError("意外的故障 boom"))
    _refusal(response, 500, "server_error")
    assert "boom" not in response.content.decode()  # nothing of the inside is shown
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert logged and "boom" in str(logged[0].exc_info[1]) and "/api/cases/" in logged[0].getMessage()


def test_djangos_permission_denied_in_the_api__403_with_its_reason(rf):
    from django.core.exceptions import PermissionDenied

    from liuhen.api import api

    response = api.on_exception(rf.get("/api/org/users"), PermissionDenied("无权查看本机关的用户与角色"))
    assert _refusal(response, 403, "permission_denied")["message"] == "无权查看本机关的用户与角色"


def _request_values(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (where, JSON schema) of a value a client sends: parameters and request bodies, recursively."""
    refs = schema.get("components", {}).get("schemas", {})

    def walk(where: str, node: dict[str, Any], seen: frozenset[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                yield from walk(f"{where}<{name}>", refs[name], seen | {name})
            return
        yield where, node
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for n, sub in enumerate(node.get(key, [])):
                yield from walk(f"{where}[{n}]", sub, seen)
        for name, sub in node.get("properties", {}).items():
            yield from walk(f"{where}.{name}", sub, seen)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from walk(f"{where}.{key}", node[key], seen)

    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                yield from walk(f"{method.upper()} {path} {param['in']}:{param['name']}", param["schema"], frozenset())
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                yield from walk(f"{method.upper()} {path} body({media})", content["schema"], frozenset())


# Checked where they enter by the service, with a code of their own (and NaN refused there too).
CHECKED_BY_SERVICE = {
    "POST /api/ledger/verifications body(application/json)<VerifyIn>.sample[0]",  # verify_argument_invalid
}


def test_openapi__every_integer_and_number_a_client_sends_is_bounded():
    """Use the types of liuhen.core.inputs (Id, Page, Count, Days, Seconds…): an unbounded integer
    reaches the database (a 25-digit id overflows it) or the calendar, and answers 500."""
    from liuhen.api import api

    schema = api.get_openapi_schema(path_prefix="/api/")
    unbounded = [
        where
        for where, node in _request_values(schema)
        if node.get("type") in ("integer", "number")
        and ("maximum" not in node or "minimum" not in node)
        and where not in CHECKED_BY_SERVICE
    ]
    assert unbounded == [], "unbounded integers or numbers in requests (use liuhen.core.inputs):\n" + "\n".join(
        unbounded
    )
