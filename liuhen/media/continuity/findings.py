"""What a person should look at in a recording or a case's recordings (non-blocking findings).

Clauses integ-no-backfill-or-insert, dev-mandatory-use, dev-precheck-time-sync, store-av-tagging and
the content clauses (av-key-content, av-seizure-content, av-release-content, av-pre-notice-content,
av-service-content, av-investigation-content, av-inspection-content, av-enterprise-key-moments,
av-bystander-recording). Nothing here rejects or changes an original: each finding is shown on the
record page, in the case's AV overview and through the API, for the officer, the head and
supervision to follow up.

- ``possible_backfill``: a recording linked as the record of an act (a stage visit, or an act that
  fixed-camera clips are named to cover) that starts after the act ended — beyond the profile's clock
  drift tolerance, since the start comes from the device clock.
- ``created_after_upload``: the media's own creation time is later than its arrival: the file was
  written after it left the camera (re-encoded or spliced); ``edited``: the MP4 carries edit lists
  with several segments (the prober's flag).
- ``preuse_check_missing``: where the profile requires pre-use checks, the recording's device had no
  passing check by its holder that day before the recording started.
- ``untagged``: no case number, party or handler (the record cannot count as a stage's AV until
  tagged, see :func:`liuhen.media.continuity.recording.tagging_missing`).
- ``content_missing`` / ``bystander_notice_missing``: attestations the stage or the profile asks for.
- Case level, ``unrecorded_onsite_act``: where the profile requires body cameras to be used
  throughout, an on-site act (a visit of a stage with mandatory or recommended AV) of a handler who
  held a body camera at the time, with no recording of that camera in the act's time window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from liuhen.cases.models import Case, StageVisit
from liuhen.cases.services import profile_of
from liuhen.devices.models import DeviceKind
from liuhen.devices.selectors import (
    device_by_serial,
    devices_held,
    holder_at,
    normalise_serial,
    person_name,
    preuse_check_ok,
)
from liuhen.media.continuity.levels import stage_level
from liuhen.media.continuity.recording import (
    attestations,
    device_of,
    effective_link,
    probe_of,
    profile_for_record,
    record_timing,
    records_linked,
    shown,
    tagging_missing,
)
from liuhen.media.models import CoverageClaim, Flag, MediaRecord
from liuhen.policy.schema import Profile

ONSITE_LEVELS = ("mandatory", "recommended")


@dataclass(frozen=True)
class Finding:
    code: str
    label: str
    clauses: tuple[str, ...] = ()


def _slack(profile: Profile) -> dt.timedelta:
    return dt.timedelta(seconds=profile.av_rules.clock_drift_tolerance_seconds)


def acts_of(record: MediaRecord) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
    """The acts the record is linked as the record of: its stage's visits, fixed-camera coverage
    claims naming it (label, start, end or None while still open)."""
    case, stage_id = effective_link(record)
    out: list[tuple[str, dt.datetime, dt.datetime | None]] = []
    if case is None:
        return out
    if stage_id:
        stage = profile_of(case).stage(case.enforcement_type, stage_id)
        name = stage.name if stage else stage_id
        for v in StageVisit.objects.filter(case=case, stage_id=stage_id):
            out.append((f"“{name}”环节", v.entered_at, v.left_at))
    for claim in CoverageClaim.objects.filter(case=case):
        if record.pk in claim.record_ids:
            out.append(("视频监控覆盖的活动", claim.act_start, claim.act_end))
    return out


def backfill_finding(record: MediaRecord, profile: Profile) -> Finding | None:
    """A recording that starts after every act it is linked to had ended (事后补录)."""
    timing = record_timing(record)
    acts = acts_of(record)
    if timing.start is None or not acts or any(end is None for _, _, end in acts):
        return None
    latest = max(acts, key=lambda a: a[2])
    label, _, end = latest
    if timing.start > end + _slack(profile):
        return Finding(
            "possible_backfill",
            f"可能为事后补录：录制开始于 {shown(timing.start)}，晚于所关联的{label}结束时间 {shown(end)}",
            ("integ-no-backfill-or-insert",),
        )
    return None


def splice_findings(record: MediaRecord, profile: Profile) -> list[Finding]:
    probe = probe_of(record)
    out = []
    if probe is None:
        return out
    if probe.media_created_at is not None and probe.media_created_at > record.uploaded_at + _slack(profile):
        out.append(
            Finding(
                "created_after_upload",
                f"文件内的创建时间（{shown(probe.media_created_at)}）晚于上传时间（{shown(record.uploaded_at)}），"
                "可能经过编辑或重新封装",
                ("integ-no-backfill-or-insert",),
            )
        )
    if Flag.EDITED.value in (probe.flags or []):
        out.append(Finding("edited", Flag.EDITED.label, ("integ-no-backfill-or-insert",)))
    return out


def preuse_finding(record: MediaRecord, profile: Profile) -> Finding | None:
    """No passing pre-use check that day by the device's holder before the recording started."""
    if not profile.av_rules.pre_use_check:
        return None
    serial = device_of(record)
    start = record_timing(record).start
    if not serial or start is None:
        return None
    device = device_by_serial(record.agency_id, serial)
    if device is None or device.kind == DeviceKind.FIXED_CAMERA:
        return None
    holder = holder_at(device, start)
    if holder is None or preuse_check_ok(device, holder, start) is not None:
        return None
    return Finding(
        "preuse_check_missing",
        f"设备 {device.serial} 在录制当日（{shown(start)[:10]}）录制前没有领用人{person_name(holder)}通过的使用前检查",
        tuple(profile.av_rules.clause_map.get("pre_use_check", ())),
    )


def record_findings(record: MediaRecord, profile: Profile | None = None) -> list[Finding]:
    """Every finding about one recording (see the module docstring), none blocking."""
    profile = profile or profile_for_record(record)
    out: list[Finding] = []
    missing_tags = tagging_missing(record)
    if missing_tags:
        out.append(
            Finding(
                "untagged",
                f"未标明{'、'.join(missing_tags)}：须关联案件并填写采集信息后才能作为环节的音像记录",
                ("store-av-tagging",),
            )
        )
    if (f := backfill_finding(record, profile)) is not None:
        out.append(f)
    out += splice_findings(record, profile)
    if (f := preuse_finding(record, profile)) is not None:
        out.append(f)
    atts = attestations(record, profile)
    content = [a.label.removeprefix("重点摄录：") for a in atts if a.label.startswith("重点摄录：") and not a.given]
    if content:
        out.append(Finding("content_missing", f"未标注已摄录的重点内容：{'、'.join(content)}"))
    if any(a.required and not a.given and a.label.startswith("当事人或现场人员拍摄") for a in atts):
        out.append(
            Finding(
                "bystander_notice_missing",
                "当事人或现场人员拍摄，未标注执法人员已告知其应当符合规定、不得妨碍执法、不得随意编辑",
                tuple(profile.av_rules.clause_map.get("bystander_notice", ())),
            )
        )
    return out


# --------------------------------------------------------------------------- case level


@dataclass(frozen=True)
class UnrecordedAct:
    label: str
    officer_name: str
    serial: str
    start: dt.datetime
    end: dt.datetime

    @property
    def text(self) -> str:
        return (
            f"{self.label}（{shown(self.start)} 至 {shown(self.end)}）：{self.officer_name}领用执法记录仪 "
            f"{self.serial}，该时段没有这台设备的录像"
        )


def _device_recorded(case: Case, serial: str, start: dt.datetime, end: dt.datetime) -> bool:
    rows = MediaRecord.objects.filter(agency_id=case.agency_id).filter(
        Q(device_serial__iexact=serial) | Q(probe__media_device_serial__iexact=serial)
    )
    for rec in rows.select_related("probe"):
        if normalise_serial(device_of(rec)) != serial:
            continue
        timing = record_timing(rec)
        if timing.start is not None and timing.start <= end and (timing.end or timing.start) >= start:
            return True
    return False


def unrecorded_onsite_acts(case: Case) -> list[UnrecordedAct]:
    """dev-mandatory-use: on-site acts of camera holders with no recording of their camera then."""
    profile = profile_of(case)
    if not profile.av_rules.device_use_required:
        return []
    handlers = list(case.handlers.all())
    now = timezone.now()
    out = []
    for visit in StageVisit.objects.filter(case=case).order_by("entered_at", "id"):
        stage = profile.stage(case.enforcement_type, visit.stage_id)
        if stage is None or stage_level(profile, case, stage) not in ONSITE_LEVELS:
            continue
        start, end = visit.entered_at, visit.left_at or now
        for person in handlers:
            for device in devices_held(person, start, end, kinds=(DeviceKind.BODY_CAMERA,)):
                if not _device_recorded(case, device.serial, start, end):
                    out.append(UnrecordedAct(f"“{stage.name}”环节", person_name(person), device.serial, start, end))
    return out


def case_findings(case: Case) -> dict[int, list[Finding]]:
    """Findings per linked record of the case (record id -> findings), for the case AV overview."""
    profile = profile_of(case)
    return {r.pk: f for r in records_linked(case) if (f := record_findings(r, profile))}
