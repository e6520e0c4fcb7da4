"""One authorisation matrix over the whole API (issue 11): every operation of the OpenAPI × every demo
role × (the own agency's object, another agency's object, an id that does not exist), against the
outcomes written as data in ``authz_matrix.py``.

A cell passes when the answer falls in the expected class: ``ok`` (authorisation passed: 2xx, or a 4xx
other than 401/403/404 such as 409/422 from the service), ``forbidden`` (403 with a stable code) or
``not_found`` (404). Another agency's object and an id that does not exist are ``not_found`` for every
role. An operation missing from the table fails with its name, so a new endpoint must be classified.
Each cell runs in a transaction rolled back afterwards, so mutating operations leave nothing behind
and no cell depends on another; bodies are made valid for the schema (the service, not the parser,
must be what refuses).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import authz_matrix as m
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from ninja import Schema

from liuhen.testing.images import signature_png

pytestmark = pytest.mark.django_db

MISSING_INT = 987_654_321
MISSING_STR = "no-such-object-0000"


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


@functools.cache
def _schema() -> dict[str, Any]:
    from liuhen.api import api

    return api.get_openapi_schema()


def operations() -> list[Operation]:
    out = []
    for path, methods in _schema()["paths"].items():
        for method, spec in methods.items():
            out.append(Operation(spec["operationId"], method.upper(), path, spec))
    extra = [Operation(e.id, e.method, e.path, {"x-extra": e}) for e in m.EXTRA_OPERATIONS]
    return [*out, *extra]


# ---------------------------------------------------------------- the table itself


def test_every_operation_is_in_the_table() -> None:
    ids = [op.id for op in operations()]
    missing = [f"{op.method} {op.path} ({op.id})" for op in operations() if op.id not in m.MATRIX]
    assert not missing, "不在授权矩阵中的接口（请在 tests/api/authz_matrix.py 中分类）：\n" + "\n".join(missing)
    stale = sorted(set(m.MATRIX) - set(ids))
    assert not stale, f"授权矩阵中有已不存在的接口：{stale}"


def test_the_table_names_every_role_and_gives_administrators_no_business_content() -> None:
    for op_id, entry in m.MATRIX.items():
        assert set(entry.expect) == set(m.ROLES), op_id
        assert set(entry.expect.values()) <= {m.OK, m.FORBIDDEN, m.NOT_FOUND}, op_id
        if entry.business:
            granted = [r for r in m.ADMIN_ROLES if entry.expect[r] == m.OK]
            assert not granted, f"{op_id}: 三员不得经接口取得业务数据 ({granted})"


def test_no_two_api_schemas_of_one_name_differ_in_fields() -> None:
    """The bodies below are made from the OpenAPI, which names each schema once: two classes of one name
    (OfficerIn of org and of the AV router did) leave one endpoint documented with the other's fields."""
    _schema()  # every router imported
    fields: dict[str, dict[str, set[str]]] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("liuhen."):
            continue
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Schema) and obj.__module__ == name:
                fields.setdefault(obj.__name__, {})[name] = set(obj.model_fields)
    clashes = {k: v for k, v in fields.items() if len({frozenset(f) for f in v.values()}) > 1}
    assert not clashes, f"同名而字段不同的接口模式（OpenAPI 只保留其一）：{sorted(clashes)}"


# ---------------------------------------------------------------- making requests


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value the schema accepts: required properties only, empty lists, today's dates."""
    schema = _resolve(schema, components)
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, components).get("type") != "null"]
            return example(options[0], components) if options else None
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: example(props[k], components) for k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    fmt = schema.get("format")
    if fmt == "date-time":
        return dt.datetime.now(dt.UTC).isoformat()
    if fmt == "date":
        return dt.date.today().isoformat()
    if fmt == "binary":
        return SimpleUploadedFile("scan.png", signature_png(seed=3), content_type="image/png")
    return "授权矩阵测试"


@dataclass(frozen=True)
class Target:
    name: str  # own / other / missing / none
    agency: Any  # the AgencyWorld whose object is addressed (own for "missing" and "none")


def targets(entry: m.Entry, world: Any) -> Iterator[Target]:
    if entry.kind is None:
        yield Target("none", world.own)
        return
    if entry.kind in m.GLOBAL_KINDS:
        yield Target("own", world.own)
        yield Target("missing", world.own)
        return
    yield Target("own", world.own)
    yield Target("other", world.other)
    yield Target("missing", world.own)


def _value(world: Any, target: Target, entry: m.Entry, name: str) -> Any:
    """The value of parameter ``name`` for ``target``: the addressed object's id, or what goes with it."""
    kind = entry.kind
    if kind is not None and name == m.subject(kind):
        known = world.global_ids if kind in m.GLOBAL_KINDS else target.agency.ids
        if target.name == "missing":
            if isinstance(known[kind], int):
                return MISSING_INT
            return str(MISSING_INT) if known[kind].isdigit() else MISSING_STR
        return known[kind]
    for source in (target.agency.params.get(kind or "", {}), *target.agency.params.values()):
        if name in source:
            return source[name]
    return m.DEFAULT_PARAMS[name]


def build_request(op: Operation, entry: m.Entry, world: Any, target: Target) -> dict[str, Any]:
    components = _schema()["components"]["schemas"]
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", str(_value(world, target, entry, name)))
    query = {}
    for p in op.spec.get("parameters", []):
        if p["in"] != "query":
            continue
        if p["name"] in entry.query_ids:
            query[p["name"]] = _value(world, target, entry, p["name"])
        elif p.get("required"):
            query[p["name"]] = example(p["schema"], components)
    request: dict[str, Any] = {"method": op.method, "path": path, "query": query}
    if extra := op.spec.get("x-extra"):
        request["headers"] = extra.headers
    content = op.spec.get("requestBody", {}).get("content", {})
    if content:
        media_type, body_spec = next(iter(content.items()))
        body = example(body_spec["schema"], components)
        body.update(entry.body(world, target) if callable(entry.body) else entry.body)
        for name in entry.body_ids:
            value = _value(world, target, entry, name)
            body[name] = [value] if name.endswith("_ids") else value
        request["media_type"] = media_type
        request["body"] = body
    return request


def send(client: Any, request: dict[str, Any]) -> Any:
    method, path, query = request["method"], request["path"], request["query"]
    if query:
        path = f"{path}?{urlencode(query)}"
    kwargs: dict[str, Any] = {}
    if "body" in request:
        if request["media_type"] == "application/json":
            kwargs = {"data": json.dumps(request["body"], default=str), "content_type": "application/json"}
        elif request["media_type"] == "multipart/form-data":
            kwargs = {"data": request["body"]}
        else:  # application/x-www-form-urlencoded
            kwargs = {"data": urlencode(request["body"]), "content_type": request["media_type"]}
    kwargs.update(request.get("headers", {}))
    return (
        client.generic(method, path, **kwargs)
        if method not in ("GET", "POST")
        else getattr(client, method.lower())(path, **kwargs)
    )


def classify(response: Any) -> tuple[str, str]:
    """(class, description) of an answer: ok / forbidden / not_found, or an error that no cell accepts."""
    status = response.status_code
    try:
        body = json.loads(response.content) if response.get("Content-Type", "").startswith("application/json") else {}
    except ValueError:
        body = {}
    code = body.get("code", "") if isinstance(body, dict) else ""
    text = f"{status} {code}".strip()
    if status >= 500 or status == 401:
        return "error", text
    if status == 403:
        if response.request["REQUEST_METHOD"] == "HEAD":  # no body to carry the code
            return m.FORBIDDEN, text
        return (m.FORBIDDEN if code else "error"), text + ("" if code else " (no code)")
    if status == 404:
        return m.NOT_FOUND, text
    if status == 422 and isinstance(body, dict) and "errors" in (body.get("detail") or {}):
        errors = [f"{'.'.join(map(str, e.get('loc', [])))}: {e.get('msg', '')}" for e in body["detail"]["errors"]]
        return "error", f"{text}: the request did not match the schema, fix the table ({'; '.join(errors)})"
    return m.OK, text


@pytest.mark.parametrize("op", operations(), ids=lambda op: op.id)
def test_authorisation(op: Operation, world: Any) -> None:
    entry = m.MATRIX.get(op.id)
    if entry is None:
        pytest.fail(f"{op.method} {op.path} ({op.id}) 不在授权矩阵中")
    wrong: dict[tuple[str, str, str], list[str]] = {}
    for target in targets(entry, world):
        for role in m.ROLES:
            expected = entry.expect[role] if target.name in ("own", "none") else m.NOT_FOUND
            request = build_request(op, entry, world, target)  # afresh: an uploaded file is read once
            with transaction.atomic():
                response = send(world.clients[role], request)
                transaction.set_rollback(True)
            got, text = classify(response)
            if got != expected:
                wrong.setdefault((target.name, expected, text), []).append(role)
    lines = [f"  {t:<7} expected {e:<9} got {text}: {', '.join(roles)}" for (t, e, text), roles in wrong.items()]
    assert not wrong, f"{op.method} {op.path} ({op.id}):\n" + "\n".join(lines)
