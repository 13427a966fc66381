"""The foundry provider serving the demo model through the host manager it was given."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from flperf.host import HostManager
from flperf.providers import DEMO_MODEL_ID, FoundryProvider, LogLine, ModelTarget

pytestmark = pytest.mark.foundry
TARGET = ModelTarget("foundry", DEMO_MODEL_ID)


@pytest.fixture
def hosts(foundry_home: Path, offline_catalog_urls: tuple[str, ...]) -> HostManager:
    return HostManager(home=foundry_home, catalog_urls=offline_catalog_urls)


@pytest.fixture
def serving(
    foundry_home: Path, offline_catalog_urls: tuple[str, ...], hosts: HostManager
) -> Iterator[FoundryProvider]:
    provider = FoundryProvider(home=foundry_home, catalog_urls=offline_catalog_urls, hosts=hosts)
    yield provider
    provider.close()


def test_a_started_model_is_its_running_server_until_stopped(
    serving: FoundryProvider, hosts: HostManager
) -> None:
    assert serving.owns_server and serving.server(TARGET) is None
    served = serving.start(TARGET)
    server = serving.server(TARGET)
    assert server is not None and server.alive and server.exit_status is None
    assert server.served == served and served.model == DEMO_MODEL_ID
    assert serving.health(TARGET).ok
    serving.stop(TARGET)
    assert serving.server(TARGET) is None


def test_every_line_the_host_printed_comes_once_in_order_even_after_stop(
    serving: FoundryProvider, hosts: HostManager
) -> None:
    serving.start(TARGET)
    handle = hosts.get(DEMO_MODEL_ID)
    assert handle is not None
    seen: list[LogLine] = list(serving.new_logs(TARGET))
    assert seen  # the start-up lines
    serving.health(TARGET)
    seen += serving.new_logs(TARGET)
    serving.stop(TARGET)
    seen += serving.new_logs(TARGET)  # what the host printed until it ended
    assert seen == list(handle.logs)
    assert list(serving.new_logs(TARGET)) == []


def test_a_killed_host_shows_its_exit_status_and_a_new_start_replaces_it(
    serving: FoundryProvider, hosts: HostManager
) -> None:
    first = serving.start(TARGET)
    handle = hosts.get(DEMO_MODEL_ID)
    assert first.pid is not None and handle is not None
    os.kill(first.pid, signal.SIGKILL)
    handle.process.wait(10)
    server = serving.server(TARGET)
    assert server is not None and not server.alive
    assert server.exit_status == -signal.SIGKILL
    second = serving.start(TARGET)
    assert second.pid != first.pid
    replaced = serving.server(TARGET)
    assert replaced is not None and replaced.alive
