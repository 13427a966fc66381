"""Browser-test fixtures: one live `flperf serve` and one headless Debian Chromium per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.api.server import LiveServer, start_server
from tests.chromium import chromium_missing, launch_chromium, record_script_errors

DESKTOP = {"width": 1280, "height": 800}

# A page's data arrives from a server sharing two cores with another test worker, its own
# simulators and Chromium: 5 s (Playwright's default) was seen to run out in CI.
expect.set_options(timeout=15_000)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def server_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """When a test that used the server fails, show the end of the server's log."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and "server" in request.fixturenames:
        live: LiveServer = request.getfixturevalue("server")
        print(f"--- end of the server log ---\n{live.log_text()[-6000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server on a free port with its own data folder (offline public catalog)."""
    home = tmp_path_factory.mktemp("web-home")
    live = start_server(home, f"sqlite:///{home / 'flperf.db'}")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing = chromium_missing()
    if missing:
        pytest.skip(missing)
    with sync_playwright() as playwright:
        instance = launch_chromium(playwright)
        yield instance
        instance.close()


@pytest.fixture
def problems() -> list[str]:
    """Script errors, failed loads and dialogs seen by `page`; a test may clear expected ones."""
    return []


@pytest.fixture
def page(browser: Browser, server: LiveServer, problems: list[str]) -> Iterator[Page]:
    """A fresh page at desktop size; the test fails on any script error, failed load or dialog."""
    context = browser.new_context(viewport=DESKTOP, base_url=server.url, accept_downloads=True)
    tab = context.new_page()
    record_script_errors(tab, problems)
    tab.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert not problems, "\n".join(problems)
