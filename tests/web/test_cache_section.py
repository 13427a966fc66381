"""The Models page's Model cache card: where Foundry Local keeps its models, the models there,
and switching folders (the server's reason shown when it refuses one)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from flperf.providers import DEMO_MODEL_ID
from tests.api.server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.foundry]


def test_cache_card_shows_switches_and_restores_the_folder(
    page: Page, server: LiveServer, problems: list[str], tmp_path: Path
) -> None:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here")
    default = str((server.home / "foundry" / "models").resolve())
    card = page.locator("#cache")
    page.goto("/models")
    expect(card.locator("#cache-path")).to_have_text(default)
    expect(card.locator("#cache-location .badge")).to_have_text("default")
    expect(card.get_by_role("button", name="Restore default")).to_be_disabled()
    expect(card.locator(f'#cache-models tr[data-model-id="{DEMO_MODEL_ID}"]')).to_contain_text(
        "custom"
    )

    # A file is refused with the server's reason; nothing changes.
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    folder = card.get_by_label("Folder")
    folder.fill(str(a_file))
    card.get_by_role("button", name="Switch").click()
    expect(card.locator("#cache-error")).to_have_text(f"path: {a_file} is a file, not a folder")
    expect(card.locator("#cache-path")).to_have_text(default)
    assert [p for p in problems if "400" not in p] == []  # the refusal the browser logged
    problems.clear()

    # Another folder: created, shown as custom with the default beside it, the demo there too.
    other = tmp_path / "other-disk" / "models"
    folder.fill(str(other))
    card.get_by_role("button", name="Switch").click()
    expect(card.locator("#cache-path")).to_have_text(str(other.resolve()))
    expect(card.locator("#cache-error")).to_be_hidden()
    expect(card.locator("#cache-location .badge")).to_have_text("custom")
    expect(card.locator("#cache-location")).to_contain_text(default)
    expect(card.locator(f'#cache-models tr[data-model-id="{DEMO_MODEL_ID}"]')).to_have_count(1)
    assert other.is_dir()
    assert server.get("/cache/location").json()["location"] == str(other.resolve())

    # Restore default.
    card.get_by_role("button", name="Restore default").click()
    expect(card.locator("#cache-path")).to_have_text(default)
    expect(card.get_by_role("button", name="Restore default")).to_be_disabled()
    assert server.get("/cache/location").json()["isDefault"] is True
