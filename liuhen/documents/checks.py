"""Django system check: what finalising a document needs from the machine (``manage.py check``).

WeasyPrint needs Pango and HarfBuzz (Debian ``libpango-1.0-0``, ``libpangoft2-1.0-0``,
``libharfbuzz-subset0``); the forms need a CJK font (``fonts-noto-cjk``) or their Chinese text is
drawn as empty boxes. A warning, not an error: the rest of the system works without them, and the
operator learns at start-up, not from an officer whose document will not finalise.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from typing import Any

from django.core import checks

CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")


def weasyprint_problem() -> str:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # it logs each step at INFO, even on import
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi)
    except (ImportError, OSError) as exc:
        return f"无法加载 WeasyPrint（{exc}）"
    return ""


def cjk_font_problem() -> str:
    if shutil.which("fc-list") is None:
        return "找不到 fontconfig（fc-list），无法确认中文字体"
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"无法列出字体（{exc}）"
    if not any(family in out for family in CJK_FAMILIES):
        return "未安装 Noto CJK 中文字体"
    return ""


@checks.register("liuhen_documents")
def check_pdf_rendering(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    if problem := weasyprint_problem():
        messages.append(
            checks.Warning(
                f"文书不能定稿：{problem}",
                hint="安装 Debian 软件包 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0",
                id="documents.W001",
            )
        )
    if problem := cjk_font_problem():
        messages.append(
            checks.Warning(
                f"文书 PDF 中的中文将无法显示：{problem}",
                hint="安装 Debian 软件包 fonts-noto-cjk",
                id="documents.W002",
            )
        )
    return messages
