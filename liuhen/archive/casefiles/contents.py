"""What a case's package holds (clause arch-case-file-complete, forms.md §3): the filing approval form
made as a PDF, every finalised document version (corrected ones too) in the order of the profile's
volumes, every AV original with its metadata, the written statement of each verified evidence disc, and
the timeline as JSON and PDF — each a blob whose ``blob.stored`` event the package proves. AV records
whose original cannot be read (explained, or assembly would have been refused) are listed in the
timeline, not filed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from liuhen.archive.bagit import render
from liuhen.archive.bagit.spec import ItemKind, SourceFile
from liuhen.archive.discs.selectors import disc_statements
from liuhen.archive.models import ObjectType
from liuhen.cases.models import Case
from liuhen.core.people import display_name
from liuhen.core.time import BEIJING
from liuhen.documents.models import Document
from liuhen.ledger.blobstore.selectors import blob_get, blob_open
from liuhen.ledger.blobstore.services import blob_put
from liuhen.media.continuity.recording import (
    current_capture,
    device_of,
    probe_of,
    record_problems,
    record_timing,
    records_linked,
)
from liuhen.policy.schema import Profile


def local_date(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(BEIJING).date() if value else None


def _suffix_of(sha256: str) -> str:
    with blob_open(sha256=sha256) as fh:
        head = fh.read(16)
    if head.startswith(b"%PDF"):
        return ".pdf"
    if head.startswith(b"\x89PNG"):
        return ".png"
    if head.startswith(b"\xff\xd8"):
        return ".jpg"
    return ".bin"


def source_of(sha256: str, suffix: str | None = None) -> SourceFile:
    blob = blob_get(sha256=sha256)
    return SourceFile(
        open=lambda: blob_open(sha256=sha256),
        sha256=blob.sha256,
        sm3=blob.sm3,
        size=blob.size,
        suffix=suffix or _suffix_of(sha256),
    )


@dataclass
class Entry:
    record_type: str
    record_id: str
    volume: str
    kind: ItemKind
    title: str
    sha256: str
    suffix: str | None = None
    doc_number: str = ""
    responsible: str = ""
    date: dt.date | None = None
    remarks: str = ""
    metadata: dict[str, Any] | None = None


def _filing_entry(actor: Any, case: Case, profile: Profile, agency_name: str) -> Entry | None:
    """立案审批表: the cases app keeps it as data (FilingForm + approvals); filed as a PDF made now and
    stored as a blob (so it has its ``blob.stored`` proof like every other record)."""
    form = case.filing_forms.order_by("-revision").first()
    if form is None:
        return None
    doc_type = profile.document_types.get(form.form_type)
    labels = {f.id: f.label for f in doc_type.fields} if doc_type else {}
    title = doc_type.name if doc_type else "立案审批表"
    rows = [(labels.get(k, k), v) for k, v in form.values.items()]
    approvals = case.approvals.filter(filing_form=form).order_by("acted_at", "id")
    rows += [
        (
            f"审批（{a.kind}）",
            f"{a.actor_name}：{a.get_decision_display()}。{a.opinion}　{a.acted_at.astimezone(BEIJING):%Y-%m-%d %H:%M}",
        )
        for a in approvals
    ]
    pdf = render.pdf(
        f'<p class="agency">{render.escape(agency_name)}</p><p class="title">{render.escape(title)}</p>'
        f'<p class="sub">案号：{render.escape(case.number)}（第{form.revision}次提交）</p>{render.fields_table(rows)}'
    )
    blob = blob_put(actor=actor, stream=pdf, agency_id=case.agency_id)
    return Entry(
        record_type="filing_form",
        record_id=str(form.pk),
        volume="",
        kind=ItemKind.DOCUMENT,
        title=title,
        sha256=blob.sha256,
        suffix=".pdf",
        responsible=agency_name,
        date=local_date(form.submitted_at),
    )


def _document_entries(actor: Any, case: Case, profile: Profile, agency_name: str) -> list[Entry]:
    rules = profile.case_file
    position: dict[str, tuple[int, int]] = {}
    volume_index = {v.code: i for i, v in enumerate(rules.volumes)}
    for v in rules.volumes:
        for n, code in enumerate(v.documents):
            position.setdefault(code, (volume_index[v.code], n))
    stage_order = {s.id: i for i, s in enumerate(profile.enforcement_types[case.enforcement_type].stages)}
    default = (volume_index[rules.default_volume], 10_000)

    def key(doc: Any) -> tuple[int, int, int, int]:
        vol, n = position.get(doc.doc_type, default)
        return (vol, n, stage_order.get(doc.stage_id, 999), doc.pk)

    out: list[Entry] = []
    docs = sorted(Document.objects.filter(case=case).prefetch_related("versions"), key=key)
    filing = _filing_entry(actor, case, profile, agency_name)
    if filing is not None:
        vol, n = position.get(profile.filing.form, default) if profile.filing else default
        filing.volume = rules.volumes[vol].code
        docs_before = [d for d in docs if key(d)[:2] < (vol, n)]
        docs = [*docs_before, filing, *[d for d in docs if d not in docs_before]]
    for doc in docs:
        if isinstance(doc, Entry):
            out.append(doc)
            continue
        vol, _ = position.get(doc.doc_type, default)
        versions = sorted(doc.versions.all(), key=lambda v: -v.version)
        for version in versions:
            sha = version.pdf_sha256 or version.scan_sha256
            if not sha:
                continue
            latest = version.version == doc.version_count
            out.append(
                Entry(
                    record_type=ObjectType.DOCUMENT_VERSION,
                    record_id=str(version.pk),
                    volume=rules.volumes[vol].code,
                    kind=ItemKind.DOCUMENT,
                    title=doc.doc_name + ("" if latest else f"（第{version.version}版，已更正）"),
                    sha256=sha,
                    doc_number=doc.number,
                    responsible=agency_name,
                    date=local_date(version.finalised_at),
                    remarks=""
                    if latest
                    else f"被第{doc.version_count}版更正：{doc.correction_reason or ''}".strip("："),
                )
            )
    return out


def _av_entries(case: Case, profile: Profile) -> tuple[list[Entry], list[dict[str, Any]]]:
    out: list[Entry] = []
    excluded: list[dict[str, Any]] = []
    for rec in records_linked(case):
        if record_problems(rec):  # explained (assembly_problems passed): listed in the timeline, not filed
            excluded.append({"av_record": rec.pk, "filename": rec.filename, "problems": record_problems(rec)})
            continue
        capture = current_capture(rec)
        probe = probe_of(rec)
        timing = record_timing(rec, capture)
        _, stage_id = (capture.case, capture.stage_id) if capture else (rec.case, rec.stage_id)
        officers = [o.get("name", "") for o in (capture.officers if capture else [])] or [display_name(rec.uploaded_by)]
        suffix = Path(rec.filename).suffix.lower() or ".bin"
        metadata = {
            "record_id": f"av_record:{rec.pk}",
            "sha256": rec.blob_id,
            "sm3": rec.sm3,
            "size": rec.size,
            "media_type": (probe.kind if probe and probe.kind != "unknown" else rec.kind) or rec.content_type or "未知",
            "duration": round(timing.duration, 3) if timing.duration is not None else "未知",
            "captured_at": timing.start.isoformat() if timing.start else "未知",
            "captured_end": timing.end.isoformat() if timing.end else "",
            "time_source": timing.source,
            "device_serial": device_of(rec) or "未知",
            "officers": officers,
            "filename": rec.filename,
            "stage_id": stage_id,
            "uploaded_at": rec.uploaded_at.isoformat(),
            "uploaded_by": display_name(rec.uploaded_by),
            "source": rec.source,
            "place": (capture.place_address if capture else "") or "",
            "landmark": (capture.place_landmark if capture else "") or "",
            "party": (capture.party if capture else "") or "",
            "container": probe.container if probe else "",
            "video_codec": probe.video_codec if probe else "",
            "audio_codec": probe.audio_codec if probe else "",
        }
        out.append(
            Entry(
                record_type=ObjectType.AV_RECORD,
                record_id=str(rec.pk),
                volume=profile.case_file.av_volume,
                kind=ItemKind.AV_RECORD,
                title=f"音像记录 {rec.filename}",
                sha256=rec.blob_id,
                suffix=suffix,
                responsible=", ".join(officers),
                date=local_date(timing.start) or local_date(rec.uploaded_at),
                metadata=metadata,
            )
        )
    return out, excluded


def _timeline_entries(actor: Any, case: Case, profile: Profile, excluded: list[dict[str, Any]]) -> list[Entry]:
    """The timeline as JSON and as PDF, stored as blobs (so each has its ``blob.stored`` proof)."""
    rows = [
        {
            "at": e.at.isoformat(),
            "actor": e.actor_name,
            "action": e.action,
            "stage_id": e.stage_id,
            "summary": e.summary,
            "ref": f"{e.ref_type}:{e.ref_id}" if e.ref_type else "",
            "event_seq": e.event_seq,
        }
        for e in case.timeline.order_by("at", "id")
    ]
    doc = {"format": "liuhen-timeline/1", "case": case.number, "entries": rows, "av_not_filed": excluded}
    data = (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    table = "".join(
        f"<tr><td>{render.escape(dt.datetime.fromisoformat(r['at']).astimezone(BEIJING).strftime('%Y-%m-%d %H:%M'))}</td>"
        f"<td>{render.escape(r['actor'])}</td><td>{render.escape(r['summary'])}</td><td>{r['event_seq']}</td></tr>"
        for r in rows
    )
    pdf = render.pdf(
        f'<p class="title">执法全过程记录时间线</p><p class="sub">案号：{render.escape(case.number)}</p>'
        "<table><thead><tr><th>时间</th><th>操作人</th><th>内容</th><th>账本序号</th></tr></thead>"
        f"<tbody>{table}</tbody></table>"
    )
    out = []
    today = timezone.localdate()
    for suffix, body in ((".json", data), (".pdf", pdf)):
        blob = blob_put(actor=actor, stream=body, agency_id=case.agency_id)
        out.append(
            Entry(
                record_type=ObjectType.BLOB,
                record_id=blob.sha256,
                volume=profile.case_file.av_volume,
                kind=ItemKind.TIMELINE,
                title="执法全过程记录时间线" + ("（数据）" if suffix == ".json" else ""),
                sha256=blob.sha256,
                suffix=suffix,
                date=today,
            )
        )
    return out


def _disc_statement_entries(case: Case, profile: Profile) -> list[Entry]:
    """The written statement of each verified evidence disc (arch-av-evidence-disc: filed with the case)."""
    return [
        Entry(
            record_type=ObjectType.DISC,
            record_id=str(st.disc_id),
            volume=profile.case_file.av_volume,
            kind=ItemKind.STATEMENT,
            title=st.title,
            sha256=st.sha256,
            suffix=".pdf",
            responsible=st.maker,
            date=local_date(st.made_at),
            remarks=f"提取人：{st.extractor}；光盘镜像 SHA-256：{st.image_sha256}",
        )
        for st in disc_statements(case)
    ]


def retention_text(profile: Profile) -> str:
    period = profile.retention.case_file
    if period.value is None:
        return "按档案管理规定"
    unit = "年" if period.unit == "years" else "个月"
    return f"{period.value}{unit}"


def package_entries(
    actor: Any, case: Case, profile: Profile, agency_name: str
) -> tuple[list[Entry], list[dict[str, Any]]]:
    """Everything the case's package holds, in order: documents (with the filing form) by the profile's
    volumes, AV originals, disc statements, the timeline; and the AV records explained but not filed."""
    entries = _document_entries(actor, case, profile, agency_name)
    av, excluded = _av_entries(case, profile)
    entries += av + _disc_statement_entries(case, profile) + _timeline_entries(actor, case, profile, excluded)
    return entries, excluded
