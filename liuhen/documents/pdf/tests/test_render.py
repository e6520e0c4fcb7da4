"""The form layout (clause doc-standard-templates): A4, Chinese text extractable, values escaped, offline."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from liuhen.documents.pdf.render import RenderError, offline_fetcher, render_html, render_pdf

from .conftest import interview_form, pdftoppm, pdftotext, png_signature


def test_render_pdf__chinese_text_is_extractable_with_officers_refusal_and_page_numbers(tmp_path: Path) -> None:
    pdf = render_pdf(**interview_form())

    assert pdf.startswith(b"%PDF-")
    text = pdftotext(pdf, tmp_path)
    flat = re.sub(r"\s+", "", text)
    for expected in [
        "武汉市东西湖区文化和旅游局",
        "调查询问笔录",
        "案号：东文旅执〔2026〕第12号",
        "文化市场综合行政执法文书格式7",
        "东西湖区吴家山街道某某网吧",
        "你有如实回答的义务，作伪证要承担法律责任",
        "执法人员共2人，均已向当事人出示执法证件。",
        "42010054321",
        "拒绝签名，理由：对检查结果有异议；见证人：赵某（社区网格员）",
        "本笔录经被询问人核对，与其所述一致。",
    ]:
        assert expected in flat, expected
    # The long answer wraps inside its cell and runs onto a second page, each page numbered.
    assert "第1页共2页" in flat
    assert "第2页共2页" in flat
    assert flat.count("答：听清楚了。") == 8


def test_render_pdf__is_a4_with_the_cjk_font_embedded(tmp_path: Path) -> None:
    source = tmp_path / "doc.pdf"
    source.write_bytes(render_pdf(**interview_form()))
    try:
        info = subprocess.run(["pdfinfo", str(source)], capture_output=True, check=True).stdout.decode()
        fonts = subprocess.run(["pdffonts", str(source)], capture_output=True, check=True).stdout.decode()
    except FileNotFoundError:
        pytest.skip("pdfinfo/pdffonts 未安装（Debian 软件包 poppler-utils）")
    assert "(A4)" in info
    assert "Noto-Serif-CJK-SC" in fonts
    for line in fonts.splitlines()[2:]:
        assert " yes yes yes " in line, line  # embedded, subset, with a ToUnicode map


def test_render_pdf__pages_render_to_png_for_review() -> None:
    pages = pdftoppm(render_pdf(**interview_form()), "interview-record")

    assert [p.name for p in pages] == ["interview-record-1.png", "interview-record-2.png"]
    for page in pages:
        assert page.read_bytes().startswith(b"\x89PNG")
    # A short form fits on one page.
    short = interview_form() | {"title": "立案审批表", "fields": [("案由", "涉嫌接纳未成年人进入营业场所")]}
    assert len(pdftoppm(render_pdf(**short), "filing-approval")) == 1


def test_render_pdf__same_input_gives_the_same_bytes() -> None:
    assert render_pdf(**interview_form()) == render_pdf(**interview_form())


def test_render_pdf__values_are_escaped_not_markup(tmp_path: Path) -> None:
    hostile = '<img src="https://example.invalid/x.png"><b>加粗</b>&amp;'
    form = interview_form() | {
        "fields": [("当事人", hostile)],
        "officers": [{"name": "<i>李明</i>", "certificate_no": "1", "certificate_shown": False}],
    }

    page = render_html(**form)
    assert "<b>加粗</b>" not in page
    assert "&lt;b&gt;加粗&lt;/b&gt;&amp;amp;" in page
    assert '<img src="https' not in page
    text = re.sub(r"\s+", "", pdftotext(render_pdf(**form), tmp_path))
    assert "<b>加粗</b>&amp;" in text
    assert "<i>李明</i>" in text
    assert "未出示" in text


def test_render_pdf__signature_as_data_uri_is_accepted() -> None:
    uri = "data:image/png;base64," + base64.b64encode(png_signature()).decode()
    form = interview_form() | {"signatures": [{"role": "witness", "name": "赵某", "image": uri}]}

    assert render_pdf(**form).startswith(b"%PDF-")


@pytest.mark.parametrize(
    "image",
    [
        b"GIF89a not a png",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        'data:image/png;base64,"><script>',
        "data:image/png;base64," + base64.b64encode(b"not a png").decode(),
    ],
)
def test_render_pdf__signature_that_is_not_a_png__refused(image: bytes | str) -> None:
    form = interview_form() | {"signatures": [{"role": "party", "name": "王某某", "image": image}]}

    with pytest.raises(RenderError) as raised:
        render_pdf(**form)
    assert raised.value.code == "signature_not_png"


@pytest.mark.parametrize("url", ["https://example.invalid/a.png", "http://127.0.0.1/a.css", "file:///etc/passwd"])
def test_offline_fetcher__refuses_everything_but_data_uris(url: str) -> None:
    with pytest.raises(FatalURLFetchingError):
        offline_fetcher().fetch(url)
    # And WeasyPrint stops rather than rendering without it.
    with pytest.raises(FatalURLFetchingError):
        HTML(string=f'<img src="{url}">', url_fetcher=offline_fetcher()).write_pdf()
