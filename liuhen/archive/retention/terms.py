"""Retention classes (保管期限): every stored record gets one from its agency's profile; it only grows.

Clauses store-av-retention-min, store-av-permanent-longterm, store-text-retention,
integ-no-destroy-within-retention.

- A record is a document version (文书定稿版本), an AV record (音像记录, with its previews: derivatives
  follow their original), a case file (案卷) or an evidence disc (证据光盘). Each blob of a record has
  its own chain of ``RetentionAssignment`` rows (``object_type``/``object_id``/``blob_sha256``); the
  current row is the one nothing supersedes.
- Terms are counted on the civil calendar (months and years, never working days) from the local
  (Asia/Shanghai) date the record was stored, or, for case files and text records, from the date the
  case file was archived. ``keep_until`` is the last day kept; disposal is possible from the next day.
- A term is *dated* (``keep_until``), *permanent*, or *open* (no date yet: text records until their
  case file is archived, a silent profile, 长期保存 without a number). Open terms are never disposed.
- Lengthening (``retention_extend``) writes a new row superseding the old; a request that would end
  sooner is refused (``retention_would_shorten``). The only open → dated step is the archiving of
  the case file fixing the date text records and evidence AV follow (``retention_case_archived``).
- Where the store has object lock (S3), the blob's retain-until date follows the dated term after
  commit (``BlobStore.extend_retention``; it only ever grows there too).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from liuhen.archive.models import ObjectType, RetentionAssignment
from liuhen.archive.policies import retention_record_policy
from liuhen.archive.retention.errors import (
    ReasonRequired,
    RetentionEventUnknown,
    RetentionNotAssigned,
    RetentionWouldShorten,
)
from liuhen.archive.retention.records import RecordRef, ref_of, resolve
from liuhen.cases.models import Case
from liuhen.core.errors import DomainError
from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.services import record
from liuhen.policy.loader import get_profile
from liuhen.policy.schema import KEEP_CLASSES, RETENTION_EVENTS, Profile

log = logging.getLogger(__name__)

# Retention classes beyond the profile's keep classes (permanent, long_term, with_case_file).
CLASS_LABELS: dict[str, str] = {
    "av_stored_min": "音像记录最短保存期限",
    "case_file": "按案卷保管期限",
    "undetermined": "配置未规定期限（不销毁）",
    "extended": "延长至指定日期",
    **KEEP_CLASSES,
}
# Years an S3 object lock is set to for a permanent record (COMPLIANCE mode cannot be shortened).
PERMANENT_LOCK_YEARS = 100


# ---------------------------------------------------------------- terms (pure)


@dataclass(frozen=True)
class Term:
    retention_class: str
    starts_on: dt.date | None
    keep_until: dt.date | None
    permanent: bool = False

    @property
    def open(self) -> bool:
        return self.keep_until is None and not self.permanent


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def add_period(start: dt.date, value: int, unit: str) -> dt.date:
    """``start`` plus ``value`` months or years on the civil calendar (31 Jan + 1 month = 28/29 Feb)."""
    return start + (relativedelta(years=value) if unit == "years" else relativedelta(months=value))


def not_shorter(old: Term, new: Term, *, determining: bool = False) -> bool:
    """Whether ``new`` keeps at least as long as ``old``. ``determining``: an open term may get its date."""
    if old.permanent:
        return new.permanent
    if new.permanent:
        return True
    if old.keep_until is None:
        return new.keep_until is None or determining
    return new.keep_until is None or new.keep_until >= old.keep_until


def same_term(a: Term, b: Term) -> bool:
    return (a.permanent, a.keep_until, a.retention_class) == (b.permanent, b.keep_until, b.retention_class)


def case_file_term(profile: Profile, archived_on: dt.date | None) -> Term:
    period = profile.retention.case_file
    if archived_on is None or period.value is None:
        return Term("case_file", archived_on, None)
    return Term("case_file", archived_on, add_period(archived_on, period.value, period.unit))


def initial_term(ref: RecordRef, profile: Profile, *, archived_on: dt.date | None) -> Term:
    """The class a record gets when stored (before any lengthening event)."""
    stored_on = local_date(ref.stored_at)
    if ref.object_type == ObjectType.AV_RECORD:
        period = profile.retention.av_stored_min
        if period.value is None:
            return Term("undetermined", stored_on, None)
        return Term("av_stored_min", stored_on, add_period(stored_on, period.value, period.unit))
    if ref.object_type == ObjectType.DISC and not profile.retention.evidence_disc.retention_follows_case_file:
        return Term("undetermined", stored_on, None)
    return case_file_term(profile, archived_on)


# ---------------------------------------------------------------- selectors


def current_assignments(object_type: str, object_id: str) -> list[RetentionAssignment]:
    """The current row of each blob chain of one record."""
    return list(
        RetentionAssignment.objects.filter(
            object_type=object_type, object_id=str(object_id), superseded_by__isnull=True
        ).order_by("blob_sha256", "id")
    )


def history(object_type: str, object_id: str) -> list[RetentionAssignment]:
    return list(
        RetentionAssignment.objects.filter(object_type=object_type, object_id=str(object_id))
        .select_related("assigned_by")
        .order_by("assigned_at", "id")
    )


def term_of(row: RetentionAssignment) -> Term:
    return Term(row.retention_class, row.starts_on, row.keep_until, row.permanent)


def today() -> dt.date:
    return timezone.localdate()


def expired(row: RetentionAssignment, *, on: dt.date | None = None) -> bool:
    """Clause integ-no-destroy-within-retention: kept through ``keep_until``; open or permanent: never."""
    return not row.permanent and row.keep_until is not None and row.keep_until < (on or today())


def class_label(code: str) -> str:
    return CLASS_LABELS.get(code, code)


# ---------------------------------------------------------------- writing


def _profile_tag(profile: Profile) -> str:
    return f"{profile.id}@{profile.version}"


def _write(
    *,
    actor: Any,
    ref: RecordRef,
    blob: str,
    term: Term,
    profile: Profile,
    supersedes: RetentionAssignment | None,
    trigger: str = "",
    reason: str = "",
) -> RetentionAssignment:
    user = actor if actor is not None and not isinstance(actor, str) else None
    row = RetentionAssignment(
        agency_id=ref.agency_id,
        case_id=ref.case_id,
        object_type=ref.object_type,
        object_id=ref.object_id,
        blob_sha256=blob,
        retention_class=term.retention_class,
        profile=_profile_tag(profile),
        starts_on=term.starts_on,
        keep_until=term.keep_until,
        permanent=term.permanent,
        trigger=trigger,
        reason=reason,
        supersedes=supersedes,
        assigned_by=user,
        assigned_at=timezone.now(),
    )
    row.save()
    record(
        actor=actor,
        action="retention.assigned",
        obj_type="retention_assignment",
        obj_id=row.pk,
        payload={
            "object_type": row.object_type,
            "object_id": row.object_id,
            "blob_sha256": row.blob_sha256,
            "retention_class": row.retention_class,
            "keep_until": row.keep_until,
            "permanent": row.permanent,
            "supersedes_id": row.supersedes_id,
            "starts_on": row.starts_on,
            "trigger": trigger,
            "reason": reason,
            "profile": row.profile,
        },
        agency_id=ref.agency_id,
    )
    if blob and (term.keep_until is not None or term.permanent):
        transaction.on_commit(lambda: lock_follow(blob), robust=True)
    return row


def lock_follow(sha256: str) -> bool:
    """Make the store's own lock (S3 object lock) last as long as the longest current term of the blob.

    Runs after commit; a store without object lock returns False and nothing changes. An open term
    leaves the lock as it was (the store's default LIUHEN_S3_OBJECT_LOCK_DAYS from the upload).
    """
    rows = RetentionAssignment.objects.filter(blob_sha256=sha256, superseded_by__isnull=True)
    until: dt.datetime | None = None
    for row in rows:
        if row.permanent:
            candidate = timezone.now() + relativedelta(years=PERMANENT_LOCK_YEARS)
        elif row.keep_until is not None:
            end = dt.datetime.combine(row.keep_until + dt.timedelta(days=1), dt.time.min)
            candidate = timezone.make_aware(end)
        else:
            continue
        until = candidate if until is None or candidate > until else until
    if until is None:
        return False
    try:
        return get_store().extend_retention(sha256, until.astimezone(dt.UTC))
    except Exception:  # the term is recorded; the store's lock is a second line, reported in the log
        log.exception("object lock of blob %s could not follow its retention", sha256)
        return False


def retention_assign(*, actor: Any, obj: Any) -> list[RetentionAssignment]:
    """Give a newly stored record its class from its agency's profile (idempotent per blob chain).

    Runs inside the transaction that stores the record: the kernel's ``record_stored`` hook for
    documents and AV records, the archive's own services for case files and discs.
    """
    ref = ref_of(obj)
    profile = get_profile(ref.profile_id)
    archived_on = _archived_on(ref)
    term = initial_term(ref, profile, archived_on=archived_on)
    rows = []
    with transaction.atomic():
        for blob in ref.blobs:
            exists = RetentionAssignment.objects.filter(
                object_type=ref.object_type, object_id=ref.object_id, blob_sha256=blob
            ).exists()
            if exists:
                continue
            rows.append(_write(actor=actor, ref=ref, blob=blob, term=term, profile=profile, supersedes=None))
    return rows


def _archived_on(ref: RecordRef) -> dt.date | None:
    if ref.case_id is None:
        return None
    archived_at = Case.objects.filter(pk=ref.case_id).values_list("archived_at", flat=True).first()
    return local_date(archived_at) if archived_at else None


def _extended_term(
    *, ref: RecordRef, profile: Profile, event: str, until: dt.date | None, old: Term, now_on: dt.date
) -> Term:
    trigger = next(
        (
            t
            for t in profile.retention.triggers
            if t.event == event and (ref.kind in t.applies_to or "all" in t.applies_to)
        ),
        None,
    )
    if trigger is None:
        if until is None:
            raise RetentionEventUnknown(event=event, profile=_profile_tag(profile))
        return Term("extended", now_on, until)
    if trigger.keep == "permanent":
        return Term("permanent", now_on, None, permanent=True)
    if trigger.keep == "long_term":
        return Term("long_term", now_on, None)
    cf = case_file_term(profile, _archived_on(ref))
    if cf.keep_until is None:
        return Term("with_case_file", now_on, None)
    keep = max(cf.keep_until, old.keep_until) if old.keep_until else cf.keep_until
    return Term("with_case_file", cf.starts_on, keep)


def retention_extend(
    *, actor: Any, obj: Any, event: str, reason: str, until: dt.date | None = None
) -> list[RetentionAssignment]:
    """Lengthen a record's retention for an event of the profile's triggers (or to ``until``).

    Writes a new row per blob chain that gets longer; refuses (``retention_would_shorten``) when the
    result would end sooner than the current term of any chain; a request changing nothing writes nothing.
    """
    ref = ref_of(obj)
    if actor is not None:  # None: the system (evidence discs, the archiving of a case file)
        retention_record_policy.require(actor, "extend", ref)
    if event not in RETENTION_EVENTS:
        raise RetentionEventUnknown(f"未知的延长保管情形：{event}", event=event)
    if not reason.strip():
        raise ReasonRequired()
    profile = get_profile(ref.profile_id)
    written: list[RetentionAssignment] = []
    with transaction.atomic():
        current = list(
            RetentionAssignment.objects.select_for_update(of=("self",)).filter(
                object_type=ref.object_type, object_id=ref.object_id, superseded_by__isnull=True
            )
        )
        if not current:
            raise RetentionNotAssigned()
        plans = []
        for row in current:
            old = term_of(row)
            new = _extended_term(ref=ref, profile=profile, event=event, until=until, old=old, now_on=today())
            if not not_shorter(old, new):
                raise RetentionWouldShorten(
                    current_class=row.retention_class,
                    current_keep_until=str(row.keep_until) if row.keep_until else None,
                    permanent=row.permanent,
                    requested_class=new.retention_class,
                    requested_keep_until=str(new.keep_until) if new.keep_until else None,
                )
            if not same_term(old, new) and not (old.open and new.open and old.retention_class == new.retention_class):
                plans.append((row, new))
        for row, new in plans:
            written.append(
                _write(
                    actor=actor,
                    ref=ref,
                    blob=row.blob_sha256,
                    term=new,
                    profile=profile,
                    supersedes=row,
                    trigger=event,
                    reason=reason.strip(),
                )
            )
    return written


def retention_case_archived(*, actor: Any, case_file: Any) -> list[RetentionAssignment]:
    """When a case file is archived: the case file's own term, and the date its records follow.

    Open terms of the case's records that follow the case file (text records, ``with_case_file`` AV,
    discs that follow) get their date: never earlier than a date they already had.
    """
    written: list[RetentionAssignment] = []
    with transaction.atomic():
        written += retention_assign(actor=actor, obj=case_file)
        profile = get_profile(case_file.agency.profile_id)
        cf = case_file_term(profile, local_date(case_file.archived_at))
        if cf.keep_until is None:
            return written
        following = RetentionAssignment.objects.select_for_update(of=("self",)).filter(
            case_id=case_file.case_id,
            superseded_by__isnull=True,
            retention_class__in=("case_file", "with_case_file"),
            keep_until__isnull=True,
            permanent=False,
        )
        for row in following:
            if row.object_type == ObjectType.CASE_FILE:
                continue
            ref = ref_of(resolve(row.object_type, row.object_id))
            new = Term(row.retention_class, cf.starts_on, cf.keep_until)
            written.append(
                _write(
                    actor=actor,
                    ref=ref,
                    blob=row.blob_sha256,
                    term=new,
                    profile=profile,
                    supersedes=row,
                    trigger="case_archived",
                    reason="案卷归档，按案卷保管期限确定",
                )
            )
    return written


def retention_evidence_disc(*, actor: Any, disc: Any) -> list[RetentionAssignment]:
    """A requested evidence disc gets its term, and the AV records on it count as used as evidence:
    lengthened where the profile has that trigger (a profile without it, or a term already longer,
    leaves them as they are). In the request's transaction."""
    written = retention_assign(actor=actor, obj=disc)
    for item in disc.selection or []:
        if item.get("type") != ObjectType.AV_RECORD:
            continue
        try:
            with transaction.atomic():
                written += retention_extend(
                    actor=None,
                    obj=resolve(ObjectType.AV_RECORD, str(item.get("id"))),
                    event="used_as_evidence",
                    reason=f"刻入证据光盘 #{disc.pk}",
                )
        except DomainError as exc:
            log.info("disc %s: retention of AV %s not lengthened (%s)", disc.pk, item.get("id"), exc.code)
    return written
