"""Write-once record rows, each sealed in the ledger event that created it.

Clauses integ-no-tamper-original and integ-audit-trail-traceability: a row that is written once (a
stored original, a finalised text record, an ingested AV record, an approval, a timeline entry…) is
created together with a ledger event whose payload carries the row's *seal*: a digest of its whole
canonical content, every column but the primary key (which is the event's ``object_id``), and one
short digest per column so that ``verify`` can name the column that was changed. Someone with
database access who edits such a row, forges one with no event, or deletes one is found by
``verify_records``, which compares every registered table with its events in both directions. The
database refuses UPDATE and DELETE on these tables as well (``liuhen.ledger.guards``).

Apps register their write-once tables in ``AppConfig.ready`` with :func:`register`. Which columns a
row's seal covers is not a second list to keep in step with the model: it is the model's own
concrete columns (``sealed_columns``), so a column added later is sealed from its first row. Tables
that change but keep some columns fixed for ever (a device's identity) name those ``columns``.

``liuhen.ledger.services.record`` seals the row itself: when an event's action and object type are
those a registered table is created with, it reads the row back and puts its seal in the payload
(the row must be saved first). A row created *after* its event and pointing to it (a timeline entry
names its event by ``event_seq``) is sealed by the caller with :func:`seal_instance` and checked once
inserted with :func:`check_inserted`.

Events recorded before seals existed (no ``seal`` key) are checked the old way, column by column
against the names in ``fields``; the report counts them as ``record_rows_legacy``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

from liuhen.ledger.findings import Finding
from liuhen.ledger.models import Event

BATCH = 900  # below SQLite's default limit of bound parameters per statement
SEAL_KEY = "seal"  # payload key: {"<app_label.Model>": {"sha256": ..., "columns": {column: digest}}}
COLUMN_DIGEST_HEX = 32  # 128 bits per column: enough to name a column, the row digest is full SHA-256


@dataclass(frozen=True)
class ImmutableRecord:
    """A write-once table: rows of ``model`` are created with an event ``action`` on ``object_type``
    whose ``object_id`` is the row's primary key, or, with ``event_column``, whose ``seq`` is that
    column of the row."""

    model: str  # "app_label.ModelName", resolved when checked
    action: str | tuple[str, ...]  # the creating event's action (or any of several ways to create a row)
    object_type: str
    fields: tuple[str, ...]  # events recorded before seals: payload columns compared by name
    label: str  # Chinese name for reports
    columns: tuple[str, ...] | None = None  # None: the whole row; else only these never change
    event_column: str | None = None  # the row points to its creating event by seq (timeline entries)
    # Further checks of a table's rows against what they derive from (e.g. a text record's values
    # against its data blob): called with the rows as dicts, returns findings.
    extra_check: Callable[[list[dict[str, Any]]], list[Finding]] | None = None

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def actions(self) -> tuple[str, ...]:
        return (self.action,) if isinstance(self.action, str) else tuple(self.action)

    @property
    def whole_row(self) -> bool:
        return self.columns is None


_REGISTRY: dict[str, ImmutableRecord] = {}
_BY_EVENT: dict[tuple[str, str], ImmutableRecord] = {}


def register(record: ImmutableRecord) -> None:
    """Add a write-once table to what ``record`` seals and ``verify`` checks (idempotent per model)."""
    _REGISTRY[record.model] = record
    if record.event_column is None:
        for action in record.actions:
            _BY_EVENT[(action, record.object_type)] = record


def registered() -> list[ImmutableRecord]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def spec_for(model: str) -> ImmutableRecord | None:
    return _REGISTRY.get(model)


def creating(action: str, object_type: str) -> ImmutableRecord | None:
    """The write-once table whose rows an event of this action and object type creates, if any."""
    return _BY_EVENT.get((action, object_type))


# --- seals ----------------------------------------------------------------------------------------


def sealed_columns(spec: ImmutableRecord) -> tuple[str, ...]:
    """The columns a row's seal covers: the given ones, or every concrete column but the primary key
    (and the column that names the creating event, which the event itself binds)."""
    if spec.columns is not None:
        return spec.columns
    model = spec.model_class()
    skip = {model._meta.pk.attname, spec.event_column}
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname not in skip)


def _fields(model: type[models.Model]) -> dict[str, models.Field]:
    return {f.attname: f for f in model._meta.concrete_fields}


def normal(field: models.Field | None, value: Any) -> Any:
    """A column value in one JSON form, whether it comes from an instance or from the database."""
    if value is None:
        return None
    if field is not None and not isinstance(field, models.JSONField):
        # A value the field cannot read is sealed as it is (it will differ from the stored one anyway).
        with contextlib.suppress(Exception):
            value = field.to_python(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The seal of a row given its normalised column values."""
    return {
        "sha256": hashlib.sha256(_canonical(dict(values))).hexdigest(),
        "columns": {
            name: hashlib.sha256(_canonical(value)).hexdigest()[:COLUMN_DIGEST_HEX] for name, value in values.items()
        },
    }


def _row_values(spec: ImmutableRecord, row: Mapping[str, Any]) -> dict[str, Any]:
    fields = _fields(spec.model_class())
    return {name: normal(fields.get(name), row[name]) for name in sealed_columns(spec)}


def seal_row(spec: ImmutableRecord, pk: Any) -> dict[str, Any] | None:
    """The seal of the stored row ``pk`` as the database returns it (None when there is no such row)."""
    model = spec.model_class()
    row = model._base_manager.filter(pk=pk).values(*sealed_columns(spec)).first()
    return None if row is None else seal_values(_row_values(spec, row))


def seal_instance(instance: models.Model) -> dict[str, Any]:
    """The seal of an unsaved instance of a registered table (for rows created after their event)."""
    spec = _REGISTRY[instance._meta.label]
    row = {name: getattr(instance, name) for name in sealed_columns(spec)}
    return seal_values(_row_values(spec, row))


class SealMismatch(RuntimeError):
    """A row read back differs from the seal computed before it was inserted (a bug, not tampering)."""


def check_inserted(instance: models.Model, seal: Mapping[str, Any]) -> None:
    """Refuse (by raising, which rolls the transaction back) a row whose stored form is not what was sealed."""
    spec = _REGISTRY[instance._meta.label]
    stored = seal_row(spec, instance.pk)
    if stored != dict(seal):
        raise SealMismatch(f"{instance._meta.label} #{instance.pk}: stored row differs from its seal")


# --- verification ---------------------------------------------------------------------------------


def _normal_legacy(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _chunks(iterator: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in iterator:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _load(payload: str) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _first_payloads(spec: ImmutableRecord, keys: list[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    """For each key (object id, or event seq for ``event_column`` tables), the earliest creating event."""
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    if spec.event_column is not None:
        rows = Event.objects.filter(seq__in=[int(k) for k in keys]).values_list("seq", "seq", "payload")
    else:
        rows = (
            Event.objects.filter(action__in=spec.actions, object_type=spec.object_type, object_id__in=keys)
            .order_by("seq")
            .values_list("object_id", "seq", "payload")
        )
    for key, seq, payload in rows:
        found.setdefault(str(key), (seq, _load(payload)))
    return found


def _compare_seal(spec: ImmutableRecord, values: dict[str, Any], sealed: Any) -> list[str] | None:
    """None when the row matches its seal; else the changed columns (empty when only the whole differs)."""
    if not isinstance(sealed, dict) or not isinstance(sealed.get("columns"), dict):
        return ["(seal)"]
    columns: dict[str, Any] = sealed["columns"]
    model = spec.model_class()
    fields = _fields(model)
    current = {name: values[name] for name in columns if name in values}
    # A column added to the table after the row was sealed: its value must be the column's default.
    added = [name for name in values if name not in columns]
    late = [
        name
        for name in added
        if fields.get(name) is not None and values[name] != normal(fields[name], fields[name].get_default())
    ]
    missing = [name for name in columns if name not in values]
    if seal_values(current)["sha256"] == sealed.get("sha256") and not late and not missing:
        return None
    now = seal_values(current)["columns"]
    changed = [name for name in columns if name in now and now[name] != columns[name]]
    return changed + late + missing


def _check_rows(spec: ImmutableRecord, findings: list[Finding], stats: dict[str, int]) -> None:
    model = spec.model_class()
    pk_name = model._meta.pk.attname
    sealed = sealed_columns(spec)
    legacy = tuple(f for f in spec.fields if f not in sealed and f != pk_name)
    link = spec.event_column
    columns = tuple(dict.fromkeys((pk_name, *([link] if link else []), *sealed, *legacy)))
    rows = model._base_manager.order_by(pk_name).values(*columns).iterator(chunk_size=BATCH)
    for batch in _chunks(rows, BATCH):
        keys = [str(row[link] if link else row[pk_name]) for row in batch]
        events = _first_payloads(spec, keys)
        if spec.extra_check is not None:
            findings += spec.extra_check(batch)
        for key, row in zip(keys, batch, strict=True):
            stats["rows"] += 1
            item = f"record:{spec.model}:{row[pk_name]}"
            found = events.get(key)
            if found is None:
                findings.append(
                    Finding(
                        "record_without_event",
                        f"{spec.label}记录没有创建它的账本事件（可能是绕过系统写入的伪造记录）",
                        item,
                        {"expected_action": "/".join(spec.actions), **({"event": int(key)} if link else {})},
                    )
                )
                continue
            seq, payload = found
            seals = payload.get(SEAL_KEY)
            if isinstance(seals, dict) and spec.model in seals:
                changed = _compare_seal(spec, _row_values(spec, row), seals[spec.model])
            elif link:  # a timeline entry of an event recorded before seals: nothing to compare it with
                stats["legacy"] += 1
                continue
            else:
                stats["legacy"] += 1
                changed = [
                    name for name in spec.fields if _normal_legacy(row.get(name)) != payload.get(name) and name in row
                ]
                changed = changed or None
            if changed is not None:
                names = "、".join(changed) if changed else "整行"
                findings.append(
                    Finding(
                        "record_row_edited",
                        f"{spec.label}记录 #{row[pk_name]} 与创建它的账本事件 #{seq} 不符（字段 {names} 被改动）",
                        item,
                        {"model": spec.model, "id": row[pk_name], "columns": changed, "event": seq},
                    )
                )


def _check_events(spec: ImmutableRecord, findings: list[Finding], stats: dict[str, int]) -> None:
    model = spec.model_class()
    pk_name = model._meta.pk.attname
    if spec.event_column is not None:
        # Events that sealed a row of this table (whatever their action): the row must still be there.
        events = (
            Event.objects.filter(payload__contains=f'"{spec.model}":')
            .order_by("seq")
            .values_list("seq", "payload")
            .iterator(chunk_size=BATCH)
        )
        for batch in _chunks(events, BATCH):
            sealing = [seq for seq, payload in batch if spec.model in (_load(payload).get(SEAL_KEY) or {})]
            present = set(
                model._base_manager.filter(**{f"{spec.event_column}__in": sealing}).values_list(
                    spec.event_column, flat=True
                )
            )
            for seq in sealing:
                stats["events"] += 1
                if seq not in present:
                    findings.append(
                        Finding(
                            "record_missing",
                            f"账本事件 #{seq} 记载的{spec.label}记录已不存在（记录被删除）",
                            f"record:{spec.model}:event#{seq}",
                            {"event": seq},
                        )
                    )
        return
    events = (
        Event.objects.filter(action__in=spec.actions, object_type=spec.object_type)
        .order_by("seq")
        .values_list("seq", "object_id")
        .iterator(chunk_size=BATCH)
    )
    for batch in _chunks(events, BATCH):
        ids = {object_id for _, object_id in batch}
        present = {
            str(pk) for pk in model._base_manager.filter(**{f"{pk_name}__in": ids}).values_list(pk_name, flat=True)
        }
        for seq, object_id in batch:
            stats["events"] += 1
            if object_id not in present:
                findings.append(
                    Finding(
                        "record_missing",
                        f"账本事件 #{seq} 记载的{spec.label}记录已不存在（记录被删除）",
                        f"record:{spec.model}:{object_id}",
                        {"event": seq},
                    )
                )
                present.add(object_id)  # one finding per record, however many events name it


def verify_records(*, stats: dict[str, Any] | None = None) -> list[Finding]:
    """Findings for every registered write-once table; empty when rows and events agree."""
    findings: list[Finding] = []
    counts = {"rows": 0, "events": 0, "legacy": 0}
    for spec in registered():
        _check_rows(spec, findings, counts)
        _check_events(spec, findings, counts)
    if stats is not None:
        stats.update(
            record_tables=len(_REGISTRY),
            record_rows=counts["rows"],
            record_events=counts["events"],
            record_rows_legacy=counts["legacy"],
        )
    return findings
