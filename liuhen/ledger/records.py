"""Immutable record rows checked against the ledger event that created them.

Clauses integ-no-tamper-original and integ-audit-trail-traceability: a row that is written once (a
stored original, later a finalised text record or an ingested AV record) is created together with a
ledger event whose payload carries the row's key columns. Someone with database access can edit such
a row, forge one with no event, or delete one; ``verify_records`` finds each of those by comparing
every registered table with its events, in both directions.

Apps register their write-once tables in ``AppConfig.ready`` with :func:`register`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

from liuhen.ledger.findings import Finding
from liuhen.ledger.models import Event

BATCH = 900  # below SQLite's default limit of bound parameters per statement


@dataclass(frozen=True)
class ImmutableRecord:
    """A write-once table: rows of ``model`` are created with an event ``action`` on ``object_type``
    whose ``object_id`` is the row's primary key and whose payload holds ``fields`` by the same names."""

    model: str  # "app_label.ModelName", resolved when checked
    action: str | tuple[str, ...]  # the creating event's action (or any of several ways to create a row)
    object_type: str
    fields: tuple[str, ...]
    label: str  # Chinese name for reports

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def actions(self) -> tuple[str, ...]:
        return (self.action,) if isinstance(self.action, str) else tuple(self.action)


_REGISTRY: dict[str, ImmutableRecord] = {}


def register(record: ImmutableRecord) -> None:
    """Add a write-once table to what ``verify`` checks (idempotent per model)."""
    _REGISTRY[record.model] = record


def registered() -> list[ImmutableRecord]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def _normal(value: Any) -> Any:
    """A column value in the form the event payload stores it (canonical JSON round trip)."""
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


def _first_payloads(spec: ImmutableRecord, object_ids: list[str]) -> dict[str, dict[str, Any]]:
    """For each object id, the payload of the earliest creating event."""
    found: dict[str, dict[str, Any]] = {}
    rows = (
        Event.objects.filter(action__in=spec.actions, object_type=spec.object_type, object_id__in=object_ids)
        .order_by("seq")
        .values_list("object_id", "payload")
    )
    for object_id, payload in rows:
        if object_id not in found:
            try:
                found[object_id] = json.loads(payload)
            except ValueError:
                found[object_id] = {}
    return found


def _check_rows(spec: ImmutableRecord, findings: list[Finding], stats: dict[str, int]) -> None:
    model = spec.model_class()
    pk_name = model._meta.pk.name
    columns = (pk_name, *[f for f in spec.fields if f != pk_name])
    rows = model._base_manager.order_by(pk_name).values_list(*columns).iterator(chunk_size=BATCH)
    for batch in _chunks(rows, BATCH):
        payloads = _first_payloads(spec, [str(row[0]) for row in batch])
        for row in batch:
            stats["rows"] += 1
            object_id = str(row[0])
            item = f"record:{spec.model}:{object_id}"
            payload = payloads.get(object_id)
            if payload is None:
                findings.append(
                    Finding(
                        "record_without_event",
                        f"{spec.label}记录没有创建它的账本事件（可能是绕过系统写入的伪造记录）",
                        item,
                        {"expected_action": "/".join(spec.actions)},
                    )
                )
                continue
            values = dict(zip(columns, row, strict=True))
            changed = {
                name: {"row": _normal(values[name]), "event": payload.get(name)}
                for name in spec.fields
                if _normal(values[name]) != payload.get(name)
            }
            if changed:
                findings.append(
                    Finding(
                        "record_row_edited",
                        f"{spec.label}记录与创建它的账本事件不符（字段 {'、'.join(changed)} 被改动）",
                        item,
                        {"fields": changed},
                    )
                )


def _check_events(spec: ImmutableRecord, findings: list[Finding], stats: dict[str, int]) -> None:
    model = spec.model_class()
    pk_name = model._meta.pk.name
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
    counts = {"rows": 0, "events": 0}
    for spec in registered():
        _check_rows(spec, findings, counts)
        _check_events(spec, findings, counts)
    if stats is not None:
        stats.update(record_tables=len(_REGISTRY), record_rows=counts["rows"], record_events=counts["events"])
    return findings
