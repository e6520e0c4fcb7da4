"""Recording sessions, their segments per device, gaps and interruption notes.

Clauses av-continuous, av-interruption, av-multi-device, integ-no-backfill-or-insert. A session is
one on-site action recorded by one or several devices; its segments are ordered per device by start
time (:func:`liuhen.media.continuity.recording.record_timing`). Between consecutive segments of one
device, a gap longer than the profile's ``av_rules.gap_tolerance_seconds`` is an interruption: it
needs a note giving the cause and either the offset in the next segment where the officer explained
it on resuming, or a written statement (a finalised document, form ``av_interruption_statement``
where the profile has it) when recording could not continue. Recording the same matter at another
place or time is a new session (``follows`` names the earlier one): no gap is counted between
sessions. Who may see and arrange sessions is the session policy's (``liuhen.media.policies``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuhen.cases.models import Case
from liuhen.cases.services import profile_of, timeline_record
from liuhen.ledger.services import record as ledger_record
from liuhen.media.continuity.recording import (
    Timing,
    case_and_stage,
    check_offset,
    device_of,
    profile_for_record,
    record_duration,
    record_timing,
    shown,
)
from liuhen.media.errors import AvConflict, AvInvalid
from liuhen.media.models import InterruptionCause, InterruptionNote, MediaRecord, RecordingSession, SessionSegment
from liuhen.media.policies import av_record_policy, av_session_policy
from liuhen.policy.loader import get_profile
from liuhen.policy.schema import Profile

STATEMENT_FORM = "av_interruption_statement"
UNKNOWN_DEVICE = "（未知设备）"


# --------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class Segment:
    record: MediaRecord
    device: str
    timing: Timing


@dataclass(frozen=True)
class Gap:
    """Time between two consecutive segments of one device (``after`` None: a note said recording
    stopped there for good)."""

    device: str
    before: MediaRecord
    after: MediaRecord | None
    start: dt.datetime | None
    end: dt.datetime | None
    seconds: float | None
    tolerance: int
    note: InterruptionNote | None

    @property
    def explained(self) -> bool:
        return self.note is not None

    @property
    def label(self) -> str:
        span = f"{shown(self.start)} 至 {shown(self.end)}" if self.end else f"{shown(self.start)} 之后"
        length = f"，间隔 {self.seconds:g} 秒" if self.seconds is not None else ""
        return f"{self.device} {span}{length}"


@dataclass
class Track:
    device: str
    segments: list[Segment] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class SessionTimeline:
    """What a player page draws: tracks (one per device) with segments and gaps, and what is wrong."""

    session: RecordingSession
    tolerance: int
    tracks: list[Track]
    untimed: list[MediaRecord]  # segments whose start or end is unknown: continuity cannot be checked
    notes: list[InterruptionNote]  # current notes (not superseded)

    @property
    def gaps(self) -> list[Gap]:
        return [g for t in self.tracks for g in t.gaps]

    @property
    def unexplained(self) -> list[Gap]:
        return [g for g in self.gaps if not g.explained]

    @property
    def start(self) -> dt.datetime | None:
        starts = [s.timing.start for t in self.tracks for s in t.segments]
        return min(starts) if starts else None

    @property
    def end(self) -> dt.datetime | None:
        ends = [s.timing.end for t in self.tracks for s in t.segments]
        return max(ends) if ends else None


def session_get(*, user: Any, session_id: int) -> RecordingSession:
    """A session of the user's agency (another's is not found), refused to a role that never sees AV records."""
    return av_session_policy.get(user, session_id)


def session_of(record: MediaRecord) -> RecordingSession | None:
    seg = SessionSegment.objects.filter(record=record).select_related("session").first()
    return seg.session if seg else None


def current_notes(session: RecordingSession) -> list[InterruptionNote]:
    return list(
        InterruptionNote.objects.filter(session=session, superseded_by__isnull=True)
        .select_related("statement")
        .order_by("id")
    )


def _profile(session: RecordingSession, records: Sequence[MediaRecord]) -> Profile:
    if session.case is not None:
        return profile_of(session.case)
    if records:
        return profile_for_record(records[0])
    return get_profile(session.agency.profile_id)


def session_timeline(session: RecordingSession, profile: Profile | None = None) -> SessionTimeline:
    """Segments per device in start order, the gaps between them beyond the tolerance, and their notes."""
    records = [
        s.record for s in SessionSegment.objects.filter(session=session).select_related("record", "record__probe")
    ]
    profile = profile or _profile(session, records)
    tolerance = profile.av_rules.gap_tolerance_seconds
    notes = current_notes(session)
    by_pair = {(n.before_id, n.after_id): n for n in notes}
    tracks: dict[str, Track] = {}
    untimed: list[MediaRecord] = []
    for rec in records:
        timing = record_timing(rec)
        device = device_of(rec) or UNKNOWN_DEVICE
        if not timing.known:
            untimed.append(rec)
            continue
        tracks.setdefault(device, Track(device)).segments.append(Segment(rec, device, timing))
    for track in tracks.values():
        track.segments.sort(key=lambda s: (s.timing.start, s.record.pk))
        for prev, nxt in zip(track.segments, track.segments[1:], strict=False):
            seconds = (nxt.timing.start - prev.timing.end).total_seconds()
            if seconds > tolerance:
                note = by_pair.get((prev.record.pk, nxt.record.pk))
                track.gaps.append(
                    Gap(
                        track.device,
                        prev.record,
                        nxt.record,
                        prev.timing.end,
                        nxt.timing.start,
                        round(seconds, 3),
                        tolerance,
                        note,
                    )
                )
        for note in notes:  # recording stopped for good, explained in writing
            if note.after_id is None and any(s.record.pk == note.before_id for s in track.segments):
                prev = next(s for s in track.segments if s.record.pk == note.before_id)
                track.gaps.append(Gap(track.device, prev.record, None, prev.timing.end, None, None, tolerance, note))
    ordered = sorted(tracks.values(), key=lambda t: (t.segments[0].timing.start, t.device))
    return SessionTimeline(session, tolerance, ordered, untimed, notes)


def unexplained_gaps(case: Case, stage_id: str | None = None) -> list[Gap]:
    """Every gap without a note in the sessions of a case (optionally of one stage)."""
    profile = profile_of(case)
    sessions = RecordingSession.objects.filter(case=case)
    if stage_id is not None:
        sessions = sessions.filter(stage_id=stage_id)
    out: list[Gap] = []
    for session in sessions.order_by("id"):
        out += session_timeline(session, profile).unexplained
    return out


# --------------------------------------------------------------------------- writes


def _trace(
    session: RecordingSession, *, actor: Any, action: str, obj: tuple[str, Any], summary: str, payload: dict[str, Any]
) -> None:
    if session.case is not None:
        timeline_record(
            session.case,
            actor=actor,
            action=action,
            summary=summary,
            stage_id=session.stage_id,
            obj=obj,
            payload=payload,
        )
    else:
        ledger_record(
            actor=actor, action=action, obj_type=obj[0], obj_id=obj[1], payload=payload, agency_id=session.agency_id
        )


def session_create(
    *,
    actor: Any,
    title: str,
    case: Case | None = None,
    stage_id: str = "",
    place: str = "",
    follows: RecordingSession | None = None,
    records: Sequence[MediaRecord] = (),
) -> RecordingSession:
    """A new recording session (event ``av_session.created``); ``follows`` for the same matter at
    another place or time. ``records`` are added as its segments in the same transaction."""
    av_session_policy.require(actor, "edit")
    title = (title or "").strip()
    if not title:
        raise AvInvalid("请填写录制场次名称（如：某网吧现场检查）", code="field_required", field="名称")
    case, stage_id = case_and_stage(actor, case, stage_id)
    if follows is not None:
        av_session_policy.require(actor, "view", follows)
    if follows is not None and case is not None and follows.case_id not in (None, case.pk):
        raise AvInvalid("后续录制场次须属于同一案件（同一执法事项）", code="av_session_other_case")
    with transaction.atomic():
        session = RecordingSession(
            agency_id=actor.agency_id,
            case=case,
            stage_id=stage_id,
            title=title[:200],
            place=(place or "").strip()[:300],
            follows=follows,
            created_by=actor,
            created_at=timezone.now(),
        )
        session.save()
        payload = {
            "agency_id": session.agency_id,
            "case_id": session.case_id,
            "stage_id": session.stage_id,
            "title": session.title,
            "place": session.place,
            "follows_id": session.follows_id,
        }
        what = "（同一事项的另一地点或时间）" if follows else ""
        _trace(
            session,
            actor=actor,
            action="av_session.created",
            obj=("av_session", session.pk),
            summary=f"建立录制场次“{session.title}”{what}",
            payload=payload,
        )
        if records:
            _add(actor, session, records)
    return session


def _add(actor: Any, session: RecordingSession, records: Sequence[MediaRecord]) -> list[SessionSegment]:
    out = []
    for rec in records:
        av_record_policy.require(actor, "capture", rec)
        taken = SessionSegment.objects.filter(record=rec).select_related("session").first()
        if taken is not None:
            if taken.session_id == session.pk:
                continue
            raise AvConflict(
                f"音像记录 {rec.filename} 已属于录制场次“{taken.session.title}”",
                code="av_segment_in_other_session",
                session_id=taken.session_id,
            )
        seg = SessionSegment(session=session, record=rec, added_by=actor, added_at=timezone.now())
        seg.save()
        _trace(
            session,
            actor=actor,
            action="av_session.segment_added",
            obj=("av_segment", seg.pk),
            summary=f"音像记录 {rec.filename} 加入录制场次“{session.title}”",
            payload={"session_id": session.pk, "record_id": rec.pk},
        )
        out.append(seg)
    return out


def session_segments_add(
    *, actor: Any, session: RecordingSession, records: Sequence[MediaRecord]
) -> list[SessionSegment]:
    """Place recordings in a session (event ``av_session.segment_added`` each); a record belongs to
    one session only."""
    av_session_policy.require(actor, "edit", session)
    with transaction.atomic():
        RecordingSession.objects.select_for_update().filter(pk=session.pk).first()
        return _add(actor, session, records)


def interruption_note_record(
    *,
    actor: Any,
    session: RecordingSession,
    before: MediaRecord,
    after: MediaRecord | None = None,
    cause: str,
    detail: str = "",
    resume_offset: float | None = None,
    statement: Any = None,
    supersedes: InterruptionNote | None = None,
) -> InterruptionNote:
    """中断原因说明 for the gap after ``before`` (event ``av_session.interruption_noted``).

    With ``after`` (recording resumed): the offset in ``after`` where the officer explained it, or a
    written statement. Without ``after`` (recording could not continue): a written statement. A
    correction supersedes the earlier note of the same gap."""
    av_session_policy.require(actor, "edit", session)
    if cause not in InterruptionCause.values:
        raise AvInvalid(
            f"未知的中断原因 {cause}，应为：{'、'.join(InterruptionCause.labels)}",
            code="av_interruption_cause_unknown",
        )
    detail = (detail or "").strip()
    if cause == InterruptionCause.OTHER and not detail:
        raise AvInvalid("中断原因为“其他”时须写明情况", code="av_interruption_detail_required")
    ids = set(SessionSegment.objects.filter(session=session).values_list("record_id", flat=True))
    for rec in (before, after):
        if rec is not None and rec.pk not in ids:
            raise AvInvalid(f"音像记录 {rec.filename} 不在该录制场次中", code="av_segment_not_in_session")
    if after is not None and device_of(after) != device_of(before):
        raise AvInvalid("中断前后的两段录像须来自同一设备", code="av_interruption_other_device")
    if resume_offset is None and statement is None:
        raise AvInvalid(
            "须注明恢复录制时语音说明中断原因的位置，或附书面说明" if after else "无法继续录制的，须附书面说明",
            code="av_interruption_explanation_required",
        )
    if after is None and statement is None:
        raise AvInvalid("无法继续录制的，须附书面说明", code="av_interruption_explanation_required")
    if resume_offset is not None:
        if after is None:
            raise AvInvalid("没有恢复录制，不能注明语音说明的位置", code="av_interruption_no_resume")
        resume_offset = check_offset(resume_offset, record_duration(after), "恢复录制时的语音说明")
    if statement is not None:
        if session.case_id is None or statement.case_id != session.case_id:
            raise AvInvalid("书面说明须为本案的文书", code="av_statement_other_case")
        if statement.version_count < 1:
            raise AvInvalid("书面说明须已定稿", code="av_statement_not_final")
    with transaction.atomic():
        RecordingSession.objects.select_for_update().filter(pk=session.pk).first()
        current = (
            InterruptionNote.objects.filter(session=session, before=before, after=after, superseded_by__isnull=True)
            .order_by("-id")
            .first()
        )
        if current is not None and (supersedes is None or supersedes.pk != current.pk):
            raise AvConflict(
                "该中断已有说明；更正须指明被更正的说明", code="av_interruption_already_noted", note_id=current.pk
            )
        if supersedes is not None and current is None:
            raise AvConflict("被更正的说明已被更正或不属于该中断", code="av_interruption_superseded")
        note = InterruptionNote(
            session=session,
            before=before,
            after=after,
            cause=cause,
            detail=detail,
            resume_offset=resume_offset,
            statement=statement,
            supersedes=current,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        note.save()
        how = f"恢复录制后第 {resume_offset:g} 秒语音说明" if resume_offset is not None else "书面说明"
        _trace(
            session,
            actor=actor,
            action="av_session.interruption_noted",
            obj=("av_interruption", note.pk),
            summary=f"说明录像中断（{InterruptionCause(cause).label}，{how}）：{before.filename}"
            + (f" → {after.filename}" if after else "（未能继续录制）"),
            payload=note_payload(note),
        )
    return note


def note_payload(note: InterruptionNote) -> dict[str, Any]:
    return {
        "session_id": note.session_id,
        "before_id": note.before_id,
        "after_id": note.after_id,
        "cause": note.cause,
        "detail": note.detail,
        "resume_offset": note.resume_offset,
        "statement_id": note.statement_id,
        "supersedes_id": note.supersedes_id,
    }
