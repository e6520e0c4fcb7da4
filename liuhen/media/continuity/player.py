"""Reads for the AV pages (a case's records, one record, the timeline) and the traces reading leaves.

Clauses access-*, integ-audit-trail-traceability. Who sees a record is the AV record policy's
(``liuhen.media.policies.av_record_policy``), asked by the pages before they call these. Opening a
record's page is written to the ledger (``av_record.viewed``), and so is every read of the original
(``av_record.original_read``) — once per playback or download, not once per byte range a player asks for.

The timeline groups a case's records per device, ordered by their start: the media's own creation
time when the prober found one, else the time the uploader declared, else the upload time. Records
further apart than ``SPLIT_AFTER`` start a new block (a different time or place of the same matter
may be recorded apart); within a block, a pause between consecutive segments of one device longer
than the profile's ``gap_tolerance_seconds`` is drawn as a gap, and time covered by two devices at
once as an overlap. When the case has recording sessions (``sessions``), the timeline shows them first
and these computed blocks for the records in no session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.models import Case
from liuhen.cases.services import profile_of
from liuhen.ledger.services import record
from liuhen.media.continuity import sessions
from liuhen.media.continuity.recording import probe_of, record_flags
from liuhen.media.models import DerivativeKind, Flag, MediaDerivative, MediaRecord, RecordingSession

SPLIT_AFTER = dt.timedelta(hours=1)


# ---------------------------------------------------------------- what a page shows


def case_records(case: Case) -> list[MediaRecord]:
    """A case's records (the caller has checked the case is visible), newest upload first."""
    return list(
        MediaRecord.objects.filter(case=case)
        .select_related("probe", "uploaded_by")
        .prefetch_related("derivatives")
        .order_by("-uploaded_at", "-id")
    )


def derivative_of(rec: MediaRecord, kind: str) -> MediaDerivative | None:
    for d in rec.derivatives.all():
        if d.kind == kind:
            return d
    return None


def flags_of(rec: MediaRecord) -> list[tuple[str, str]]:
    """(code, Chinese label) of the record's ingest flags and the prober's."""
    codes = record_flags(rec)
    labels = dict(Flag.choices)
    return [(c, labels.get(c, c)) for c in codes]


def preview_state(rec: MediaRecord) -> str:
    """``ready`` / ``pending`` (probe or preview not made yet) / ``none`` (nothing could be decoded)."""
    if derivative_of(rec, DerivativeKind.PREVIEW) is not None:
        return "ready"
    probe = probe_of(rec)
    if rec.size == 0 or (probe is not None and not probe.readable):
        return "none"
    return "pending"


# ---------------------------------------------------------------- traces


def av_record_view_record(*, actor: Any, rec: MediaRecord) -> None:
    """Opening a record's page is a recorded act (event ``av_record.viewed``)."""
    with transaction.atomic():
        record(
            actor=actor,
            action="av_record.viewed",
            obj_type="av_record",
            obj_id=rec.pk,
            payload={"record_id": rec.pk, "blob_id": rec.blob_id, "case_id": rec.case_id},
            agency_id=rec.agency_id,
        )


def av_record_original_read(*, actor: Any, rec: MediaRecord, purpose: str, byte_range: str = "") -> None:
    """Reading the original (playing or downloading it) is a recorded act (event ``av_record.original_read``)."""
    with transaction.atomic():
        record(
            actor=actor,
            action="av_record.original_read",
            obj_type="av_record",
            obj_id=rec.pk,
            payload={
                "record_id": rec.pk,
                "blob_id": rec.blob_id,
                "case_id": rec.case_id,
                "purpose": purpose,
                "range": byte_range[:100],
            },
            agency_id=rec.agency_id,
        )


# ---------------------------------------------------------------- timeline


@dataclass
class Segment:
    rec: MediaRecord
    start: dt.datetime
    end: dt.datetime
    time_source: str  # 媒体内时间 / 上传方提供 / 上传时间
    left: float = 0.0  # percent of the block's width
    width: float = 0.0


@dataclass
class Gap:
    start: dt.datetime
    end: dt.datetime
    before: MediaRecord
    after: MediaRecord
    note: Any = None  # the interruption note's text, when a recording session explains the gap
    left: float = 0.0
    width: float = 0.0

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass
class Overlap:
    start: dt.datetime
    end: dt.datetime
    devices: list[str]
    left: float = 0.0
    width: float = 0.0


@dataclass
class Lane:
    device: str
    segments: list[Segment] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class Block:
    title: str
    start: dt.datetime
    end: dt.datetime
    lanes: list[Lane] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    interruptions: list[Any] = field(default_factory=list)
    session: Any = None


def segment_times(rec: MediaRecord) -> tuple[dt.datetime, dt.datetime, str]:
    """Where a record sits in time: (start, end, which clock said so)."""
    probe = probe_of(rec)
    duration = probe.duration if probe and probe.duration else None
    if probe and probe.media_created_at:
        start, source = probe.media_created_at, "媒体内时间"
    elif rec.recorded_start:
        start, source = rec.recorded_start, "上传方提供"
    else:
        start, source = rec.uploaded_at, "上传时间"
    if duration:
        end = start + dt.timedelta(seconds=duration)
    elif source == "上传方提供" and rec.recorded_end and rec.recorded_end > start:
        end = rec.recorded_end
    else:
        end = start
    return start, end, source


def device_of(rec: MediaRecord) -> str:
    probe = probe_of(rec)
    return rec.device_serial or (probe.media_device_serial if probe else "") or "未标明设备"


def _pct(block_start: dt.datetime, span: float, at: dt.datetime) -> float:
    return round(100.0 * (at - block_start).total_seconds() / span, 3) if span else 0.0


def _layout(block: Block, tolerance: float) -> None:
    """Gaps per lane, overlaps across lanes, positions in percent, ticks on the axis."""
    span = max((block.end - block.start).total_seconds(), 1.0)
    min_width = 0.6
    for lane in block.lanes:
        lane.segments.sort(key=lambda s: (s.start, s.rec.pk))
        prev = None
        for seg in lane.segments:
            seg.left = _pct(block.start, span, seg.start)
            seg.width = max(min_width, _pct(block.start, span, seg.end) - seg.left)
            if prev is not None and (seg.start - prev.end).total_seconds() > tolerance:
                lane.gaps.append(Gap(start=prev.end, end=seg.start, before=prev.rec, after=seg.rec))
            if prev is None or seg.end > prev.end:
                prev = seg
        for gap in lane.gaps:
            gap.left = _pct(block.start, span, gap.start)
            gap.width = max(min_width, _pct(block.start, span, gap.end) - gap.left)
    # Overlap: moments at which two or more devices record (sweep over the segments' ends).
    points: list[tuple[dt.datetime, int, str]] = []
    for lane in block.lanes:
        for seg in lane.segments:
            if seg.end > seg.start:
                points += [(seg.start, 1, lane.device), (seg.end, -1, lane.device)]
    points.sort(key=lambda p: (p[0], p[1]))
    active: dict[str, int] = {}
    opened: dt.datetime | None = None
    for at, step, device in points:
        before = sum(1 for n in active.values() if n > 0)
        active[device] = active.get(device, 0) + step
        after = sum(1 for n in active.values() if n > 0)
        if before < 2 <= after:
            opened = at
        elif before >= 2 > after and opened is not None and at > opened:
            devices = sorted(lane.device for lane in block.lanes if _covers(lane, opened, at))
            block.overlaps.append(Overlap(start=opened, end=at, devices=devices))
            opened = None
    for ov in block.overlaps:
        ov.left = _pct(block.start, span, ov.start)
        ov.width = max(min_width, _pct(block.start, span, ov.end) - ov.left)
    steps = 6
    for i in range(steps + 1):
        at = block.start + dt.timedelta(seconds=span * i / steps)
        block.ticks.append((round(100.0 * i / steps, 3), timezone.localtime(at).strftime("%H:%M:%S")))


def _covers(lane: Lane, start: dt.datetime, end: dt.datetime) -> bool:
    return any(s.start < end and s.end > start for s in lane.segments)


def _block(title: str, segments: list[tuple[str, Segment]], tolerance: float, session: Any = None) -> Block:
    start = min(s.start for _, s in segments)
    end = max(s.end for _, s in segments)
    block = Block(title=title, start=start, end=end, session=session)
    lanes: dict[str, Lane] = {}
    for device, seg in segments:
        lanes.setdefault(device, Lane(device=device)).segments.append(seg)
    block.lanes = [lanes[k] for k in sorted(lanes)]
    _layout(block, tolerance)
    return block


def _title(start: dt.datetime, end: dt.datetime) -> str:
    a, b = timezone.localtime(start), timezone.localtime(end)
    return (
        f"{a:%Y-%m-%d %H:%M:%S} 至 {b:%H:%M:%S}"
        if a.date() == b.date()
        else f"{a:%Y-%m-%d %H:%M} 至 {b:%Y-%m-%d %H:%M}"
    )


def gap_tolerance(case: Case) -> float:
    return float(profile_of(case).av_rules.gap_tolerance_seconds)


TIME_SOURCES = {"probe": "媒体内时间", "capture": "采集信息", "upload": "上传方提供"}


def note_text(note: Any) -> str:
    """An interruption note in one line: cause, detail, and how it was explained."""
    parts = [f"中断原因：{note.get_cause_display()}"]
    if note.detail:
        parts.append(note.detail)
    if note.resume_offset is not None:
        parts.append(f"恢复录制后第 {note.resume_offset:g} 秒作了语音说明")
    if note.statement_id:
        parts.append(f"书面说明 {getattr(note.statement, 'number', note.statement_id)}")
    return "；".join(parts)


def _session_blocks(case: Case) -> tuple[list[Block], set[int]]:
    """Blocks drawn from the case's recording sessions (``sessions``, with their interruption notes),
    and the records they placed."""
    blocks: list[Block] = []
    placed: set[int] = set()
    for session in RecordingSession.objects.filter(case=case).order_by("created_at", "id"):
        tl = sessions.session_timeline(session)
        segs: list[tuple[str, Segment]] = []
        for track in tl.tracks:
            for s in track.segments:
                source = TIME_SOURCES.get(s.timing.source, s.timing.source)
                segs.append(
                    (track.device, Segment(rec=s.record, start=s.timing.start, end=s.timing.end, time_source=source))
                )
                placed.add(s.record.pk)
        if not segs:
            continue
        start, end = min(x.start for _, x in segs), max(x.end for _, x in segs)
        title = f"录制场次：{session.title}{f'（{session.place}）' if session.place else ''}　{_title(start, end)}"
        block = _block(title, segs, float(tl.tolerance), session=session)
        notes = {(g.before.pk, g.after.pk if g.after else None): g.note for g in tl.gaps if g.note is not None}
        for lane in block.lanes:
            for gap in lane.gaps:
                note = notes.get((gap.before.pk, gap.after.pk))
                gap.note = note_text(note) if note is not None else None
        block.interruptions = [
            {"device": g.device, "before": g.before, "text": note_text(g.note)} for g in tl.gaps if g.after is None
        ]
        blocks.append(block)
    return blocks, placed


def case_timeline(case: Case) -> list[Block]:
    """The case's recordings as blocks of time, each with its devices' lanes, gaps and overlaps:
    the recording sessions first (when there are any), then the records in no session."""
    tolerance = gap_tolerance(case)
    session_blocks, in_sessions = _session_blocks(case)
    placed: list[tuple[str, Segment]] = []
    for rec in case_records(case):
        if rec.pk in in_sessions:
            continue
        start, end, source = segment_times(rec)
        placed.append((device_of(rec), Segment(rec=rec, start=start, end=end, time_source=source)))
    placed.sort(key=lambda p: (p[1].start, p[1].rec.pk))
    blocks: list[Block] = []
    group: list[tuple[str, Segment]] = []
    group_end: dt.datetime | None = None
    for item in placed:
        if group and group_end is not None and item[1].start - group_end > SPLIT_AFTER:
            blocks.append(_block(_title(group[0][1].start, group_end), group, tolerance))
            group, group_end = [], None
        group.append(item)
        group_end = max(group_end, item[1].end) if group_end else item[1].end
    if group:
        blocks.append(_block(_title(group[0][1].start, group_end or group[0][1].end), group, tolerance))
    if session_blocks and blocks:
        for block in blocks:
            block.title = f"未归入录制场次的记录：{block.title}"
    return session_blocks + blocks
