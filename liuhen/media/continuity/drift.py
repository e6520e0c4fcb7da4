"""Device clock drift (设备时间校准) read at docking, against the profile's tolerance.

Clauses dev-precheck-time-sync, av-basic-metadata. The collection station compares a camera's clock
with its own when the camera is docked (``DockingReport``: drift = device − station, positive when
the camera runs fast). A drift beyond ``av_rules.clock_drift_tolerance_seconds`` is flagged, and
each recording shows the drift of the docking report of its device nearest in time, so a page can
put it next to the recording's times (with the times corrected by it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.core.errors import ValidationFailed
from liuhen.ledger.services import record
from liuhen.media.continuity.recording import device_of, profile_for_record, record_timing
from liuhen.media.ingest.rules import text_of
from liuhen.media.models import DockingReport, MediaRecord
from liuhen.media.policies import upload_policy
from liuhen.policy.loader import get_profile
from liuhen.policy.schema import Profile


def drift_seconds(device_time: dt.datetime, station_time: dt.datetime) -> float:
    """Device clock minus station clock, in seconds (positive: the device runs fast)."""
    return round((device_time - station_time).total_seconds(), 3)


@dataclass(frozen=True)
class Drift:
    report: DockingReport
    seconds: float
    tolerance: int

    @property
    def exceeded(self) -> bool:
        return abs(self.seconds) > self.tolerance

    @property
    def label(self) -> str:
        way = "快" if self.seconds > 0 else "慢"
        text = f"设备时钟{way} {abs(self.seconds):g} 秒（{self.report.station_time:%Y-%m-%d} 对时）"
        return text + (f"，超过允许偏差 {self.tolerance} 秒" if self.exceeded else "")

    def corrected(self, value: dt.datetime | None) -> dt.datetime | None:
        """A device time as the station's clock would have said it."""
        return value - dt.timedelta(seconds=self.seconds) if value is not None else None


def docking_drift(report: DockingReport, profile: Profile) -> Drift:
    return Drift(report, report.drift_seconds, profile.av_rules.clock_drift_tolerance_seconds)


def record_drift(record: MediaRecord, profile: Profile | None = None) -> Drift | None:
    """The drift that affects the record's times: its device's docking report nearest the recording
    (None when the device is unknown or was never docked)."""
    serial = device_of(record)
    if not serial:
        return None
    reports = DockingReport.objects.filter(agency_id=record.agency_id, device_serial=serial)
    start = record_timing(record).start
    if start is None:
        nearest = reports.order_by("-station_time", "-id").first()
    else:
        after = reports.filter(station_time__gte=start).order_by("station_time", "id").first()
        before = reports.filter(station_time__lt=start).order_by("-station_time", "-id").first()
        options = [r for r in (after, before) if r is not None]
        nearest = min(options, key=lambda r: abs((r.station_time - start).total_seconds()), default=None)
    if nearest is None:
        return None
    return docking_drift(nearest, profile or profile_for_record(record))


def drift_flags(*, user: Any, profile: Profile | None = None) -> list[Drift]:
    """Docking reports of the user's agency whose drift is beyond the tolerance, newest first."""
    agency = getattr(user, "agency", None)
    if agency is None:
        return []
    profile = profile or get_profile(agency.profile_id)
    rows = DockingReport.objects.filter(agency_id=agency.pk).order_by("-station_time", "-id")
    return [d for d in (docking_drift(r, profile) for r in rows[:500]) if d.exceeded]


# --------------------------------------------------------------------------- docking


def docking_report_create(
    *,
    actor: Any,
    device_serial: str,
    device_time: dt.datetime,
    station_time: dt.datetime,
    station: str = "",
    time_source: str = "",
) -> DockingReport:
    """Record a device clock read at docking (event ``av_record.docking_reported``): the collection
    station's, with the right to upload."""
    upload_policy.require(actor, "create")
    device_serial = text_of(device_serial.encode())[:120]
    if not device_serial:
        raise ValidationFailed("缺少设备编号", code="device_serial_required")
    if device_time.tzinfo is None or station_time.tzinfo is None:
        raise ValidationFailed("时间必须带时区", code="time_zone_required")
    with transaction.atomic():
        report = DockingReport(
            agency_id=actor.agency_id,
            station=text_of(station.encode())[:120],
            device_serial=device_serial,
            device_time=device_time.astimezone(dt.UTC),
            station_time=station_time.astimezone(dt.UTC),
            drift_seconds=drift_seconds(device_time, station_time),
            time_source=text_of(time_source.encode())[:32],
            reported_by=actor,
            reported_at=timezone.now(),
        )
        report.save()
        record(
            actor=actor,
            action="av_record.docking_reported",
            obj_type="docking_report",
            obj_id=report.pk,
            payload={
                "agency_id": report.agency_id,
                "station": report.station,
                "device_serial": report.device_serial,
                "device_time": report.device_time,
                "station_time": report.station_time,
                "drift_seconds": report.drift_seconds,
                "time_source": report.time_source,
            },
        )
    return report
