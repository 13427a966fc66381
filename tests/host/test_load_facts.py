"""A host times its own model load and unload, and reads its memory after the load."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import psutil
import pytest

from flperf.host import HostHandle, start_host
from flperf.providers import DEMO_MODEL_ID, ModelTarget, OpenAIProvider
from flperf.providers.local_models import demo_model_source

pytestmark = pytest.mark.foundry


def test_load_facts_come_on_the_readiness_line_and_unload_after_a_graceful_stop(
    host_home: Path, offline_catalog_urls: tuple[str, ...]
) -> None:
    handle = start_host(DEMO_MODEL_ID, data_dir=host_home, catalog_urls=offline_catalog_urls)
    try:
        loaded = handle.lifecycle
        assert loaded is not None and loaded.source == "flperf-host"
        assert loaded.load_ms is not None and loaded.load_ms > 0
        assert loaded.runtime_init_ms is not None and loaded.runtime_init_ms > 0
        assert loaded.startup_ms is not None and loaded.startup_ms > loaded.load_ms
        assert loaded.memory_after_load_mb is not None and loaded.memory_after_load_mb > 1
        # The host's whole resident memory, so no more than the process holds now.
        rss_now_mb = psutil.Process(handle.pid).memory_info().rss / (1024 * 1024)
        assert loaded.memory_after_load_mb < rss_now_mb * 2
        assert loaded.unload_ms is None and loaded.stop_ms is None
        assert loaded.download_mb is not None and 0.5 < loaded.download_mb < 8
        assert "built locally" in loaded.unavailable["download"]
        with urllib.request.urlopen(handle.url + "/health", timeout=10) as response:
            health = json.loads(response.read())
        assert health["lifecycle"]["load_ms"] == pytest.approx(loaded.load_ms)
    finally:
        assert handle.stop(timeout_s=10) == 0
    stopped = handle.lifecycle
    assert stopped is not None
    assert stopped.unload_ms is not None and stopped.unload_ms >= 0
    assert stopped.stop_ms is not None and stopped.stop_ms > 0
    assert stopped.unloaded_at is not None and stopped.load_ms == loaded.load_ms
    assert "unload" not in stopped.unavailable


def test_a_killed_host_has_no_unload_time_and_says_why(
    host_home: Path, offline_catalog_urls: tuple[str, ...]
) -> None:
    handle = start_host(DEMO_MODEL_ID, data_dir=host_home, catalog_urls=offline_catalog_urls)
    psutil.Process(handle.pid).kill()
    handle.process.wait(5)
    handle.stop()
    facts = handle.lifecycle
    assert facts is not None and facts.load_ms is not None
    assert facts.unload_ms is None and "killed" in facts.unavailable["unload"]


def test_a_registered_folder_says_nothing_was_downloaded(
    host_home: Path, offline_catalog_urls: tuple[str, ...], tmp_path: Path
) -> None:
    folder = tmp_path / "byom"
    shutil.copytree(demo_model_source(), folder)
    handle = start_host(
        "byom-generic-cpu:1",
        data_dir=host_home,
        model_path=folder,
        catalog_urls=offline_catalog_urls,
    )
    try:
        facts = handle.lifecycle
        assert facts is not None and facts.load_ms is not None and facts.load_ms > 0
        assert "registered" in facts.unavailable["download"]
    finally:
        handle.stop()


def test_a_host_added_as_an_external_endpoint_tells_its_own_facts(demo_host: HostHandle) -> None:
    target = ModelTarget("openai", demo_host.model_id, endpoint=demo_host.url)
    facts = OpenAIProvider().lifecycle(target)
    measured = demo_host.lifecycle
    assert measured is not None and facts.source == "flperf-host"
    assert facts.load_ms == pytest.approx(measured.load_ms)
    assert facts.memory_after_load_mb == pytest.approx(measured.memory_after_load_mb)
