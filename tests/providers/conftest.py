"""Fixtures for provider tests: an offline public catalog and a Foundry provider per module."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from flperf.providers.foundry import FoundryProvider


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def offline_catalog_urls() -> tuple[str, ...]:
    """A public catalog URL on a closed loopback port: the catalog is unreachable."""
    return (f"http://127.0.0.1:{closed_port()}/asset-gallery/v1.0/models",)


@pytest.fixture(scope="module")
def foundry_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("foundry-home")


@pytest.fixture(scope="module")
def foundry(foundry_home: Path, offline_catalog_urls: tuple[str, ...]) -> Iterator[FoundryProvider]:
    """A Foundry provider on the real runtime, isolated in its own data folder, offline."""
    provider = FoundryProvider(home=foundry_home, catalog_urls=offline_catalog_urls)
    yield provider
    provider.close()
