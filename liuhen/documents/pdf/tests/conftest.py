"""Fixtures for the PDF tests: a sample form with Chinese text, long values and signatures."""

from __future__ import annotations

import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from liuhen.documents.pdf.render import PNG_MAGIC

REPO_ROOT = Path(__file__).resolve().parents[4]
OUTPUT_DIR = REPO_ROOT / "test-output" / "pdf"

LONG_ANSWER = (
    "问：我们是东西湖区文化和旅游局的执法人员（出示执法证件），现依法就你经营的网吧接纳未成年人一事"
    "向你进行调查询问，你有如实回答的义务，作伪证要承担法律责任，你听清楚了吗？\n答：听清楚了。\n"
) * 8 + "问：以上记录是否属实？\n答：属实。证件号码1234567890123456789012345678901234567890123456789012345678901234"


def png_signature(width: int = 240, height: int = 80) -> bytes:
    """A small black-on-white PNG stroke, made without Pillow so the test depends on nothing extra."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            on = abs((y - height // 2) - int((height // 3) * ((x % 60) / 30 - 1))) < 3
            row.append(0 if on else 255)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])  # 8-bit grey
    return PNG_MAGIC + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")


def interview_form() -> dict[str, Any]:
    signature = png_signature()
    return {
        "title": "调查询问笔录",
        "form_no": "文化市场综合行政执法文书格式 7",
        "agency_name": "武汉市东西湖区文化和旅游局",
        "case_number": "东文旅执〔2026〕第12号",
        "fields": [
            ("询问时间", "2026年3月5日 9时30分至10时45分"),
            ("询问地点", "东西湖区吴家山街道某某网吧（营业场所收银台旁）"),
            ("被询问人", "王某某，男，35岁，身份证号420100199001011234，某某网吧负责人"),
            ("询问内容", LONG_ANSWER),
            ("备注", ""),
        ],
        "officers": [
            {"name": "李明", "certificate_no": "42010012345", "certificate_shown": True},
            {"name": "张华", "certificate_no": "42010054321", "certificate_shown": True},
        ],
        "signatures": [
            {"role": "interviewee", "name": "王某某", "image": signature, "signed_at": "2026年3月5日"},
            {
                "role": "party",
                "name": "某某网吧",
                "refused": True,
                "refusal_reason": "对检查结果有异议",
                "witness": "赵某（社区网格员）",
                "signed_at": "2026年3月5日",
            },
            {"role": "officer", "name": "李明", "image": signature, "signed_at": "2026年3月5日"},
        ],
        "footer": "本笔录经被询问人核对，与其所述一致。",
    }


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} 未安装（Debian 软件包 poppler-utils），无法检查 PDF 的文字与页面图像")
    return path


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    done = subprocess.run([_tool("pdftotext"), str(source), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def pdftoppm(pdf: bytes, name: str) -> list[Path]:
    """Render every page at 60 dpi to ``test-output/pdf/<name>-<page>.png`` for people to look at."""
    tool = _tool("pdftoppm")
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT_DIR.glob(f"{name}-*.png"):
        old.unlink()
    source = OUTPUT_DIR / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run([tool, "-r", "60", "-png", str(source), str(OUTPUT_DIR / name)], check=True)
    return sorted(OUTPUT_DIR.glob(f"{name}-*.png"))


@pytest.fixture
def seal_data_dir(settings, tmp_path: Path) -> Path:
    """A fresh data directory, so each test makes its own seal CA and agency keys."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR
