"""Cover (案卷封面), table of contents (卷内目录) and disc statement (光盘文字说明) as A4 PDFs.

Same approach as :mod:`liuhen.documents.pdf.render`: HTML laid out with Noto CJK (Debian's
``fonts-noto-cjk`` through fontconfig), every value escaped, nothing fetched while rendering, the same
input gives the same bytes. Fields follow regulations/forms.md §3; the disc statement follows
clause arch-av-evidence-disc (maker, extractor, extraction time, and each file's digests).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from liuhen.archive.bagit.spec import text_value

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class _NoFetch(URLFetcher):
    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), fail_on_errors=True)

    def fetch(self, url: str, headers: Any = None) -> Any:
        raise FatalURLFetchingError(f"PDF 渲染不允许读取外部资源：{url[:80]}")


CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-center { content: "第 " counter(page) " 页  共 " counter(pages) " 页";
    font-family: "Noto Serif CJK SC", serif; font-size: 9pt; } }
@page wide { size: A4 landscape; }
html { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 10.5pt; line-height: 1.5; }
body { margin: 0; }
.agency { text-align: center; font-size: 15pt; font-weight: bold; margin: 0; }
.title { text-align: center; font-size: 22pt; font-weight: bold; letter-spacing: 0.3em; margin: 2mm 0 5mm 0; }
.sub { text-align: right; margin: 0 0 2mm 0; }
table { width: 100%; border-collapse: collapse; }
td, th { border: 0.8pt solid #000; padding: 1.5mm 2mm; vertical-align: top; overflow-wrap: anywhere; }
th, td.label { font-weight: bold; text-align: center; vertical-align: middle; }
td.label { width: 32mm; }
td.mono { font-family: "Noto Sans Mono CJK SC", monospace; font-size: 7.5pt; }
tr { break-inside: avoid; }
p.note { font-size: 9.5pt; white-space: pre-wrap; }
"""


def escape(value: object) -> str:
    """A value as HTML-escaped text (dates in Chinese, None as nothing)."""
    return html.escape(text_value(value), quote=True)


def pdf(body: str) -> bytes:
    """An A4 PDF of an HTML body laid out with this module's stylesheet (classes agency, title, sub, note)."""
    page = f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>{CSS}</style></head><body>{body}</body></html>'
    return HTML(string=page, base_url=None, url_fetcher=_NoFetch()).write_pdf(pdf_identifier=True)


def fields_table(rows: Iterable[tuple[str, object]]) -> str:
    """A bordered two-column table of (label, value) rows, as HTML."""
    cells = "".join(f'<tr><td class="label">{escape(k)}</td><td>{escape(v)}</td></tr>' for k, v in rows)
    return f"<table><tbody>{cells}</tbody></table>"


def cover_pdf(*, agency_name: str, volume_title: str, fields: Sequence[tuple[str, object]]) -> bytes:
    """案卷封面: one bordered table of (label, value) rows."""
    return pdf(
        f'<p class="agency">{escape(agency_name)}</p><p class="title">行政执法案卷</p>'
        f'<p class="sub">（{escape(volume_title)}）</p>{fields_table(fields)}'
    )


def contents_pdf(
    *, agency_name: str, volume_title: str, case_no: str, columns: Sequence[tuple[str, str]], rows: Sequence[dict]
) -> bytes:
    """卷内目录: one row per record with the columns of forms.md §3."""
    head = "".join(f"<th>{escape(label)}</th>" for _, label in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(row.get(key))}</td>" for key, _ in columns) + "</tr>" for row in rows)
    return pdf(
        f'<p class="agency">{escape(agency_name)}</p><p class="title">卷内目录</p>'
        f'<p class="sub">{escape(volume_title)}　案号：{escape(case_no)}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def disc_statement_pdf(*, agency_name: str, fields: Sequence[tuple[str, object]], files: Sequence[dict]) -> bytes:
    """光盘文字说明: who made it, who extracted, when, the case, and every file with its digests."""
    rows = "".join(
        f"<tr><td>{i}</td><td>{escape(f['name'])}</td><td>{escape(f.get('duration'))}</td><td>{escape(f['size'])}</td>"
        f'<td class="mono">SHA-256 {escape(f["sha256"])}<br>SM3 {escape(f.get("sm3", ""))}</td></tr>'
        for i, f in enumerate(files, 1)
    )
    return pdf(
        f'<p class="agency">{escape(agency_name)}</p><p class="title">光盘文字说明</p>{fields_table(fields)}'
        "<h3>光盘所载文件</h3><table><thead><tr><th>序号</th><th>文件名</th><th>时长</th><th>大小（字节）</th>"
        f"<th>摘要</th></tr></thead><tbody>{rows}</tbody></table>"
        '<p class="note">核验方法见光盘根目录 README.txt：在装有 Python 3 的计算机上运行 python3 verify_disc.py 。</p>'
    )
