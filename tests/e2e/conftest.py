"""Browser journeys: Playwright (sync API) driving Debian's Chromium against a live Django server.

Every test under ``tests/e2e/`` is marked ``e2e`` automatically (``pytest -m e2e`` runs only these,
``-m "not e2e"`` skips them). Where no Chromium binary exists the tests are skipped with a visible
reason; CI installs ``chromium`` (see ``.ci/run``).

Fixtures for browser tests (use them from any file under ``tests/e2e/``):

``live_server``
    pytest-django's live server (a real HTTP server in a thread on a free port, static files served
    from the finders). It needs the transactional database, which this conftest enables for every
    e2e test, so data created in the test body is visible to the server thread.
``chromium_executable``
    Path of the Chromium binary (``LIUHEN_CHROMIUM`` or ``/usr/bin/chromium`` or ``chromium`` on
    PATH); skips the test with a reason when none exists.
``browser``
    One headless Chromium for the whole session (``--no-sandbox --disable-gpu ...``).
``page``
    A fresh browser context and page per test, Chinese locale, Asia/Shanghai time zone, 1280x900,
    ``base_url`` set to the live server, so ``page.goto("/login/")`` works.
``login``
    ``login(page, username, password)`` fills and submits the log-in form and waits for the next
    page to load. It does not assert success: assert what the page shows afterwards.
``screenshot``
    ``screenshot(page, "name")`` saves a full-page PNG to ``test-output/screenshots/name.png``
    (gitignored) and returns the path.

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from such a
thread unless ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set, which this module does for the test process only.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            # The live server runs in another thread: it must see committed data.
            item.add_marker(pytest.mark.django_db(transaction=True))


def _find_chromium() -> str | None:
    candidates = [os.environ.get("LIUHEN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    candidates += [shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = _find_chromium()
    if path is None:
        pytest.skip("浏览器测试跳过：本机没有 Chromium（/usr/bin/chromium）；CI 会安装 chromium")
    return path


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def login() -> Callable[[object, str, str], None]:
    def _login(page, username: str, password: str) -> None:
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("button[type=submit]")

    return _login


@pytest.fixture
def screenshot() -> Callable[[object, str], Path]:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
