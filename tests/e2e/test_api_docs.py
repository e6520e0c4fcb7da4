"""The browsable API docs render under the Content-Security-Policy (self-hosted Swagger UI, Chinese text)."""

from __future__ import annotations


def test_api_docs_render_with_chinese_operations(page, live_server, screenshot, db):
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "留痕 Liuhen API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("text=签发接口令牌")
    screenshot(page, "api-docs")
    assert blocked == [], blocked
