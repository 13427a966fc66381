"""A real host process on the demo model, offline, in a temp data folder."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from flperf.host import HostHandle, start_host


@pytest.fixture(scope="module")
def offline_catalog_urls() -> tuple[str, ...]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return (f"http://127.0.0.1:{port}/asset-gallery/v1.0/models",)


@pytest.fixture(scope="module")
def host_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("host-home")


@pytest.fixture(scope="module")
def demo_host(host_home: Path, offline_catalog_urls: tuple[str, ...]) -> Iterator[HostHandle]:
    handle = start_host("flperf-demo", data_dir=host_home, catalog_urls=offline_catalog_urls)
    yield handle
    handle.stop()
