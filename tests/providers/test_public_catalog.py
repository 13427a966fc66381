"""The public catalog cache: never blocks, says how old its list is and why it has none."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flperf.providers.catalog_model import CatalogModel
from flperf.providers.public_catalog import (
    LOADING_MESSAGE,
    UNAVAILABLE_MESSAGE,
    PublicCatalogCache,
    probe_reachable,
)
from tests.providers.conftest import closed_port

MODEL = CatalogModel(id="qwen-generic-cpu:1", alias="qwen", source="public")


@pytest.fixture
def listening_url() -> Iterator[str]:
    """A URL whose host accepts TCP connections (the probe passes; nothing is served)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/asset-gallery/v1.0/models"


def closed_url() -> str:
    return f"http://127.0.0.1:{closed_port()}/asset-gallery/v1.0/models"


def test_probe_tells_a_listening_port_from_a_closed_one(listening_url: str) -> None:
    assert probe_reachable([listening_url], 1.0)
    assert not probe_reachable([closed_url()], 1.0)


def test_first_snapshot_returns_at_once_while_the_fetch_runs(listening_url: str) -> None:
    release = threading.Event()

    def slow_fetch() -> list[CatalogModel]:
        release.wait(10)
        return [MODEL]

    cache = PublicCatalogCache(slow_fetch, [listening_url])
    started = time.perf_counter()
    snapshot = cache.snapshot()
    assert time.perf_counter() - started < 0.5
    assert snapshot.state == "loading"
    assert snapshot.models == []
    assert snapshot.message == LOADING_MESSAGE
    release.set()
    assert cache.wait(5)
    fresh = cache.snapshot()
    assert fresh.state == "fresh"
    assert fresh.models == [MODEL]
    assert fresh.age_s is not None and fresh.age_s < 5


def test_unreachable_catalog_is_reported_without_calling_the_sdk() -> None:
    calls: list[int] = []

    def fetch() -> list[CatalogModel]:
        calls.append(1)
        return [MODEL]

    cache = PublicCatalogCache(fetch, [closed_url()])
    cache.refresh().wait(5)
    snapshot = cache.snapshot(refresh=False)
    assert calls == []
    assert snapshot.state == "unavailable"
    assert snapshot.message == UNAVAILABLE_MESSAGE


def test_empty_answer_counts_as_unavailable(listening_url: str) -> None:
    cache = PublicCatalogCache(lambda: [], [listening_url])
    cache.refresh().wait(5)
    assert cache.snapshot(refresh=False).state == "unavailable"


def test_fetch_error_counts_as_unavailable(listening_url: str) -> None:
    def broken() -> list[CatalogModel]:
        raise RuntimeError("boom")

    cache = PublicCatalogCache(broken, [listening_url])
    cache.refresh().wait(5)
    assert cache.snapshot(refresh=False).message == UNAVAILABLE_MESSAGE


def test_list_survives_restart_and_is_shown_stale_with_its_age(
    tmp_path: Path, listening_url: str
) -> None:
    cache_file = tmp_path / "public.json"
    now = [1000.0]
    first = PublicCatalogCache(
        lambda: [MODEL], [listening_url], cache_file, 600, clock=lambda: now[0]
    )
    first.refresh().wait(5)
    assert json.loads(cache_file.read_text())["models"][0]["id"] == MODEL.id

    now[0] = 1000.0 + 3600
    offline = PublicCatalogCache(lambda: [], [closed_url()], cache_file, 600, clock=lambda: now[0])
    offline.refresh().wait(5)
    snapshot = offline.snapshot(refresh=False)
    assert snapshot.state == "stale"
    assert snapshot.models == [MODEL]
    assert snapshot.age_s == pytest.approx(3600)
    assert snapshot.message is not None and snapshot.message.startswith(UNAVAILABLE_MESSAGE)
    assert "3600 s ago" in snapshot.message


def test_fresh_list_is_not_refetched(listening_url: str) -> None:
    calls: list[int] = []

    def fetch() -> list[CatalogModel]:
        calls.append(1)
        return [MODEL]

    cache = PublicCatalogCache(fetch, [listening_url], max_age_s=600)
    cache.refresh().wait(5)
    cache.snapshot()
    cache.snapshot()
    assert cache.wait(5)
    assert calls == [1]


def test_failed_fetch_is_retried_only_after_the_retry_delay() -> None:
    now = [0.0]
    cache = PublicCatalogCache(
        lambda: [MODEL], [closed_url()], retry_after_s=60, clock=lambda: now[0]
    )
    cache.refresh().wait(5)
    assert cache.known_unavailable
    cache.snapshot()
    assert cache.wait(0)  # no new fetch started
    now[0] = 61.0
    assert cache.snapshot().state == "unavailable"  # a retry runs; the state stays honest
    assert cache.wait(5)


def test_a_disk_copy_marks_models_on_disk_only_for_the_model_cache_it_describes(
    tmp_path: Path, listening_url: str
) -> None:
    downloaded = CatalogModel(
        id="qwen-generic-cpu:1", alias="qwen", source="public", cached=True, path="/m/qwen"
    )
    cache_file = tmp_path / "public-catalog.json"
    first, second = tmp_path / "cache-a", tmp_path / "cache-b"
    writer = PublicCatalogCache(
        lambda: [downloaded], [listening_url], cache_file, model_cache=first
    )
    writer.refresh().wait(5)
    assert json.loads(cache_file.read_text())["model_cache"] == str(first)

    same = PublicCatalogCache(lambda: [], [closed_url()], cache_file, model_cache=first)
    assert same.snapshot(refresh=False).models == [downloaded]
    switched = PublicCatalogCache(lambda: [], [closed_url()], cache_file, model_cache=second)
    (shown,) = switched.snapshot(refresh=False).models
    assert shown.id == downloaded.id and (shown.cached, shown.path) == (False, None)
