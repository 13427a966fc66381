"""Live servers (SQLite always, PostgreSQL when available) and a simulator to benchmark."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flperf.sim.config import SimConfig
from flperf.sim.process import SimProcess, start_simulator
from tests.api.server import LiveServer, start_server
from tests.store.backends import BACKENDS, fresh_database_url

FAST_SIM = SimConfig(model="sim-model", ttft_ms=2.0, itl_ms=0.5, output_tokens=16)


@pytest.fixture(scope="session")
def sim() -> Iterator[SimProcess]:
    """A fast simulator shared by the API tests."""
    with start_simulator(FAST_SIM) as process:
        yield process


@pytest.fixture(scope="session", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One live server per database backend, shared by the API tests (each makes its own
    models and runs)."""
    home = tmp_path_factory.mktemp("server-home")
    live = start_server(home, fresh_database_url(request.param, home))
    yield live
    live.stop()


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL on each backend (for tests that start their own servers)."""
    return fresh_database_url(request.param, tmp_path)


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[[str], LiveServer]]:
    """Start servers on a given database URL sharing one data folder; all stopped afterwards."""
    started: list[LiveServer] = []

    def start(database_url: str) -> LiveServer:
        live = start_server(tmp_path / "home", database_url)
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()
