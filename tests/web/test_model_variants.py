"""The Models page lists a model's variants together, each with its device and provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.api.server import LiveServer, start_server
from tests.catalog_variants import QWEN_IN_ORDER, seed_public_catalog

pytestmark = [pytest.mark.browser, pytest.mark.foundry]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server offline whose data folder keeps a public catalog fetched earlier."""
    home = tmp_path_factory.mktemp("variants-home")
    seed_public_catalog(home)
    live = start_server(home, f"sqlite:///{home / 'flperf.db'}")
    yield live
    live.stop()


def test_catalog_groups_variants_with_device_and_provider(page: Page, server: LiveServer) -> None:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here: the catalog lists nothing")
    page.goto("/models")
    # The seeded list is fresh: the page says so once the catalog has arrived.
    expect(page.locator("#catalog-state")).to_have_text("public catalog up to date")
    qwen = page.locator('#catalog tbody tr[data-alias="qwen2.5-0.5b"]')
    expect(qwen).to_have_count(4)
    assert [row.get_attribute("data-model-id") for row in qwen.all()] == QWEN_IN_ORDER
    expect(qwen.locator(".badge.device")).to_have_text(["CPU", "GPU", "GPU", "NPU"])
    expect(qwen.nth(3)).to_contain_text("QNN")
    expect(qwen.nth(3).locator("[title=QNNExecutionProvider]")).to_be_visible()
    head = qwen.first
    expect(head).to_have_class("variant group-start")
    expect(head).to_contain_text("4 variants: CPU, GPU, NPU")
    expect(qwen.nth(1)).to_have_class("variant")
    # The demo model is a group of one, on the CPU.
    demo = page.locator('#catalog tbody tr[data-alias="flperf-demo"]')
    expect(demo.locator(".badge.device")).to_have_text("CPU")
    # Adding the NPU variant suggests an alias that says so.
    qwen.nth(3).get_by_role("button", name="Add").click()
    dialog = page.locator("#add-dialog")
    expect(dialog.locator("input[name=model_id]")).to_have_value(QWEN_IN_ORDER[3])
    expect(dialog.locator("input[name=alias]")).to_have_value("qwen2.5-0.5b-npu")
    dialog.get_by_role("button", name="Cancel").click()
    # Filtering by device keeps each match under its model.
    page.locator("#catalog-filter").fill("npu")
    expect(page.locator("#catalog tbody tr")).to_have_count(2)
    expect(page.locator("#catalog tbody tr").first).to_contain_text("qwen2.5-0.5b")
