"""The evidence behind the host serving its own endpoint (see docs/foundry.md, "Serving")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flperf.host import HostHandle
from flperf.providers import DEMO_MODEL_ID
from flperf.providers.foundry_runtime import FoundryRuntime
from flperf.providers.local_models import ensure_demo

pytestmark = pytest.mark.foundry


@pytest.fixture
def builtin_service(
    tmp_path: Path, offline_catalog_urls: tuple[str, ...]
) -> Iterator[tuple[FoundryRuntime, str]]:
    runtime = FoundryRuntime.open(tmp_path / "home", offline_catalog_urls)
    model: Any = ensure_demo(runtime)
    model.load()
    runtime.manager.start_web_service()
    urls = runtime.manager.urls or []
    yield runtime, urls[0]
    runtime.manager.stop_web_service()
    FoundryRuntime.close_current()


def test_builtin_web_service_does_not_serve_local_catalog_models(
    builtin_service: tuple[FoundryRuntime, str], demo_host: HostHandle
) -> None:
    _, url = builtin_service
    body = {
        "model": DEMO_MODEL_ID,
        "max_tokens": 4,
        "messages": [{"role": "user", "content": "hi"}],
    }
    builtin = httpx.post(url + "/v1/chat/completions", json=body, timeout=60)
    ours = httpx.post(demo_host.base_url + "/chat/completions", json=body)
    # (Each call to the built-in service waits ~4 s on the offline public catalog.)
    gap = builtin.status_code == 404 and "not found" in builtin.text.lower()
    assert gap, (
        "the SDK's own web service now serves LOCAL-catalog models: revisit the serving "
        "choice in docs/foundry.md"
    )
    assert ours.status_code == 200
    assert ours.json()["usage"]["completion_tokens"] == 4
