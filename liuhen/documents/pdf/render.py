"""A text record (文书) as an A4 PDF laid out like the agency's standard form (制式文书).

Clause doc-standard-templates: every document comes out of one layout that follows the printed
enforcement forms — agency name and form title centred at the top, the number line, a bordered
table of label/value rows, the officers block (clause doc-officer-credentials-in-transcript: number
of officers, names, certificate numbers, whether the certificates were shown), the signatures or the
recorded refusal to sign with its witness, and "第 x 页 共 y 页" on every page.

Clause doc-electronic-signature is served by :mod:`liuhen.documents.pdf.seal`, which seals the bytes
made here.

The text is real text in an embedded, subset Noto CJK font (Debian's ``fonts-noto-cjk``, found
through fontconfig), so it can be searched and extracted. Nothing is fetched while rendering: the
only resources are the signature images, given as bytes and embedded as ``data:`` URIs; any other
URL (http, https, file, ...) stops the rendering. Every value is HTML-escaped. The same input gives
the same bytes (no creation date; the file identifier is a hash of the content).
"""

from __future__ import annotations

import base64
import binascii
import html
import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from liuhen.policy.schema import SIGNERS

# WeasyPrint logs every rendering step at INFO; a finalised document is not news.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_DATA_URI_PNG = "data:image/png;base64,"


class RenderError(ValueError):
    """Input that cannot be put on a form (a signature image that is not a PNG, a bad officer row)."""

    def __init__(self, message: str, code: str = "render_invalid") -> None:
        super().__init__(message)
        self.code = code


def offline_fetcher() -> Any:
    """A WeasyPrint URL fetcher that reads the ``data:`` URIs this module wrote and nothing else.

    WeasyPrint loads Pango when imported, so it is imported only when a form is rendered: without
    Pango the rest of the system runs, and ``manage.py check`` says what is missing (documents.checks).
    """
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class OfflineFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), fail_on_errors=True)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.lower().startswith("data:"):
                raise FatalURLFetchingError(f"PDF 渲染不允许读取外部资源：{url[:80]}")
            return super().fetch(url, headers)

    return OfflineFetcher()


CSS = """
@page {
  size: A4;
  margin: 20mm 20mm 22mm 20mm;
  @bottom-center {
    content: "第 " counter(page) " 页  共 " counter(pages) " 页";
    font-family: "Noto Serif CJK SC", serif;
    font-size: 9pt;
  }
}
html { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 11pt; line-height: 1.55; }
body { margin: 0; color: #000; }
.form-no { font-size: 9pt; margin: 0 0 2mm 0; }
.agency { text-align: center; font-size: 17pt; font-weight: bold; letter-spacing: 0.08em; margin: 2mm 0 0 0; }
.title { text-align: center; font-size: 22pt; font-weight: bold; letter-spacing: 0.25em; margin: 1mm 0 3mm 0; }
.number { text-align: right; font-size: 11pt; margin: 0 0 2mm 0; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
td, th { border: 0.8pt solid #000; padding: 1.6mm 2.4mm; vertical-align: top; }
td.label, th { font-weight: bold; text-align: center; vertical-align: middle; }
.fields col.label { width: 34mm; }
td.value { white-space: pre-wrap; overflow-wrap: anywhere; text-align: justify; }
td.value.empty { color: #000; }
h2 { font-size: 12pt; font-weight: bold; margin: 4mm 0 1.5mm 0; letter-spacing: 0.1em; }
.officers th { font-size: 10.5pt; }
.officers td { text-align: center; overflow-wrap: anywhere; }
.officers .summary { text-align: left; }
.signatures td { overflow-wrap: anywhere; vertical-align: middle; text-align: center; }
.signatures td.sig { text-align: left; }
.signatures .sig { height: 20mm; vertical-align: middle; }
.signatures img { max-height: 18mm; max-width: 60mm; }
.refusal { white-space: pre-wrap; }
.footer { font-size: 9.5pt; margin-top: 3mm; white-space: pre-wrap; }
tr { break-inside: avoid; }
tr.long { break-inside: auto; }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y年%m月%d日 %H时%M分")
    if isinstance(value, date):
        return value.strftime("%Y年%m月%d日")
    return "" if value is None else str(value)


def _png_data_uri(image: bytes | str) -> str:
    """A ``data:`` URI rebuilt from the decoded PNG, so no caller text reaches the HTML attribute."""
    if isinstance(image, str):
        if not image.startswith(_DATA_URI_PNG):
            raise RenderError("签名图片须为 PNG（data:image/png;base64,...）", "signature_not_png")
        try:
            raw = base64.b64decode(image[len(_DATA_URI_PNG) :], validate=True)
        except (binascii.Error, ValueError):
            raise RenderError("签名图片的 base64 编码有误", "signature_not_png") from None
    else:
        raw = bytes(image)
    if not raw.startswith(PNG_MAGIC):
        raise RenderError("签名图片不是 PNG 图片", "signature_not_png")
    return _DATA_URI_PNG + base64.b64encode(raw).decode("ascii")


def _role(signature: Mapping[str, Any]) -> str:
    role = str(signature.get("role") or "")
    return SIGNERS.get(role, role) or "签名人"


def _fields_html(fields: Iterable[tuple[str, str]]) -> str:
    rows = []
    for label, value in fields:
        text = _text(value)
        long = " long" if len(text) > 300 or text.count("\n") > 6 else ""
        empty = "" if text.strip() else " empty"
        rows.append(
            f'<tr class="field{long}"><td class="label">{_e(label)}</td><td class="value{empty}">{_e(text)}</td></tr>'
        )
    if not rows:
        return ""
    return f'<table class="fields"><colgroup><col class="label"><col></colgroup><tbody>{"".join(rows)}</tbody></table>'


def _officers_html(officers: list[dict[str, Any]]) -> str:
    rows = []
    for officer in officers:
        if not isinstance(officer, Mapping) or not officer.get("name"):
            raise RenderError("执法人员须有姓名", "officer_invalid")
        shown = officer.get("certificate_shown")
        shown_text = "已出示" if shown is True else ("未出示" if shown is False else "")
        rows.append(
            f"<tr><td>{_e(officer['name'])}</td><td>{_e(officer.get('certificate_no', ''))}</td>"
            f"<td>{_e(shown_text)}</td></tr>"
        )
    all_shown = officers and all(o.get("certificate_shown") is True for o in officers)
    summary = f"执法人员共 {len(officers)} 人" + ("，均已向当事人出示执法证件。" if all_shown else "。")
    return (
        "<h2>执法人员</h2>"
        '<table class="officers"><colgroup><col style="width:30%"><col style="width:45%"><col></colgroup>'
        f'<tbody><tr><td class="summary" colspan="3">{_e(summary)}</td></tr>'
        "<tr><th>姓名</th><th>执法证件号</th><th>出示执法证件</th></tr>"
        f"{''.join(rows)}</tbody></table>"
    )


def _signatures_html(signatures: list[dict[str, Any]]) -> str:
    rows = []
    for signature in signatures:
        if not isinstance(signature, Mapping):
            raise RenderError("签名须为字典", "signature_invalid")
        role = _role(signature)
        name = _e(_text(signature.get("name")))
        when = _e(_text(signature.get("signed_at") or signature.get("date")))
        refused = signature.get("refused") or signature.get("refusal_reason")
        if refused:
            reason = _text(signature.get("refusal_reason")) or "未说明"
            witness = _text(signature.get("witness")) or "无"
            mark = f'<span class="refusal">{_e(f"拒绝签名，理由：{reason}；见证人：{witness}")}</span>'
        elif signature.get("image") is not None:
            mark = f'<img src="{_png_data_uri(signature["image"])}" alt="{_e(role)}签名">'
        else:
            mark = ""
        rows.append(
            f'<tr><td class="label">{_e(role)}</td><td>{name}</td><td class="sig">{mark}</td><td>{when}</td></tr>'
        )
    return (
        "<h2>签名</h2>"
        '<table class="signatures">'
        '<colgroup><col style="width:26mm"><col style="width:30mm"><col><col style="width:36mm"></colgroup>'
        "<tbody><tr><th>身份</th><th>姓名</th><th>签名</th><th>日期</th></tr>"
        f"{''.join(rows)}</tbody></table>"
    )


def render_html(
    *,
    title: str,
    form_no: str,
    agency_name: str,
    case_number: str,
    fields: list[tuple[str, str]],
    officers: list[dict[str, Any]] | None = None,
    signatures: list[dict[str, Any]] | None = None,
    footer: str = "",
) -> str:
    """The form as one HTML page (used by :func:`render_pdf`; handy for a preview in the browser)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title>",
        f'<meta name="author" content="{_e(agency_name)}">',
        '<meta name="generator" content="留痕 Liuhen">',
        f"<style>{CSS}</style></head><body>",
    ]
    if form_no:
        parts.append(f'<p class="form-no">{_e(form_no)}</p>')
    parts.append(f'<p class="agency">{_e(agency_name)}</p>')
    parts.append(f'<p class="title">{_e(title)}</p>')
    if case_number:
        parts.append(f'<p class="number">案号：{_e(case_number)}</p>')
    parts.append(_fields_html(fields))
    if officers:
        parts.append(_officers_html(officers))
    if signatures:
        parts.append(_signatures_html(signatures))
    if footer:
        parts.append(f'<p class="footer">{_e(footer)}</p>')
    parts.append("</body></html>")
    return "".join(parts)


def render_pdf(
    *,
    title: str,
    form_no: str,
    agency_name: str,
    case_number: str,
    fields: list[tuple[str, str]],
    officers: list[dict[str, Any]] | None = None,
    signatures: list[dict[str, Any]] | None = None,
    footer: str = "",
) -> bytes:
    """The form as A4 PDF bytes.

    ``fields``: (label, value) rows in form order; values may be long and hold line breaks.
    ``officers``: ``{"name", "certificate_no", "certificate_shown": bool}`` each.
    ``signatures``: ``{"role", "name", "signed_at"}`` plus either ``"image"`` (PNG bytes or a
    ``data:image/png;base64,`` URI) or ``"refused": True`` with ``"refusal_reason"`` and
    ``"witness"``; ``role`` is a signer code of the profile schema (``party``, ``witness``, ...) or
    a Chinese label. Raises :class:`RenderError` for a signature image that is not a PNG.
    """
    from weasyprint import HTML  # loads Pango: only when a PDF is made (see offline_fetcher)

    document = HTML(
        string=render_html(
            title=title,
            form_no=form_no,
            agency_name=agency_name,
            case_number=case_number,
            fields=fields,
            officers=officers,
            signatures=signatures,
            footer=footer,
        ),
        base_url=None,
        url_fetcher=offline_fetcher(),
    )
    return document.write_pdf(pdf_identifier=True)
