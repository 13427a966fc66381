"""Every page loads in a browser on an empty server, says what to do next, and fits a narrow
window; an unknown run is reported, not a blank page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.api.server import LiveServer

pytestmark = pytest.mark.browser

PAGES = {
    "/": ("Dashboard", "No models yet."),
    "/models": ("Models", "No models configured yet."),
    "/benchmarks": ("Benchmarks", "No runs yet."),
    "/sweeps": ("Sweeps", "No sweeps yet."),
    "/results": ("Results", "No results yet."),
    "/compare": ("Compare", "No runs to compare yet."),
}


@pytest.mark.parametrize("path", list(PAGES))
def test_empty_page_names_itself_and_says_what_to_do_next(page: Page, path: str) -> None:
    heading, empty_state = PAGES[path]
    page.goto(path)
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("nav a[aria-current=page]")).to_have_text(heading)
    expect(page.locator(".empty", has_text=empty_state).first).to_be_visible()
    expect(page.locator(".empty a.button, .empty button").first).to_be_visible()


def test_dashboard_reports_foundry_local_and_the_public_catalog(page: Page) -> None:
    page.goto("/")
    health = page.locator("#health")
    expect(health).to_contain_text("Foundry Local")
    expect(health).to_contain_text("Public catalog")
    # The test server's public catalog points at a closed port: it must say so.
    expect(health.locator(".badge", has_text="unavailable")).to_be_visible(timeout=20_000)


def test_unknown_run_says_it_does_not_exist(page: Page, problems: list[str]) -> None:
    page.goto("/results?run=run_doesnotexist")
    expect(page.locator(".empty")).to_contain_text("Run run_doesnotexist does not exist.")
    expect(page.get_by_role("link", name="All runs")).to_be_visible()
    assert any("404" in p for p in problems)  # the API's answer, seen by the browser
    problems.clear()


@pytest.mark.parametrize("path", list(PAGES))
def test_page_fits_a_narrow_window_without_sideways_scrolling(page: Page, path: str) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(path)
    expect(page.locator(".empty").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_add_form_shows_the_servers_reason_for_a_bad_endpoint(
    page: Page, server: LiveServer, problems: list[str]
) -> None:
    page.goto("/models")
    page.get_by_role("button", name="Add model").first.click()
    dialog = page.locator("#add-dialog")
    dialog.get_by_label("External OpenAI-compatible server").check()
    dialog.locator("input[name=model_id]").fill("llama3.2:1b")
    dialog.locator("input[name=alias]").fill("ollama")
    dialog.locator("input[name=endpoint]").fill("ftp://127.0.0.1:11434")
    dialog.get_by_role("button", name="Add model").click()
    expect(page.locator("#add-error")).to_contain_text("'endpoint': must be an http(s) URL")
    expect(dialog).to_be_visible()
    assert server.get("/models").json()["models"] == []
    assert [p for p in problems if "400" not in p] == []
    problems.clear()
