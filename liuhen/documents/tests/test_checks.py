"""The start-up check names what the machine lacks for finalising documents."""

from __future__ import annotations

import subprocess

from liuhen.documents import checks


def test_this_machine_has_what_pdf_rendering_needs():
    assert checks.check_pdf_rendering() == []


def test_missing_cjk_font_is_a_warning_naming_the_package(monkeypatch):
    real_run = subprocess.run

    def no_cjk(cmd, **kw):
        if cmd[0] == "fc-list":
            return subprocess.CompletedProcess(cmd, 0, stdout="DejaVu Sans\n", stderr="")
        return real_run(cmd, **kw)

    monkeypatch.setattr(checks.subprocess, "run", no_cjk)
    (warning,) = checks.check_pdf_rendering()
    assert warning.id == "documents.W002"
    assert "未安装 Noto CJK 中文字体" in warning.msg and "fonts-noto-cjk" in warning.hint


def test_missing_fontconfig_is_a_warning(monkeypatch):
    monkeypatch.setattr(checks.shutil, "which", lambda name: None)
    (warning,) = checks.check_pdf_rendering()
    assert warning.id == "documents.W002" and "fc-list" in warning.msg
