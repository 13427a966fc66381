"""Fixtures shared by every test: an isolated data dir per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def flperf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own FLPERF_HOME so nothing touches the user's data."""
    home = tmp_path / "flperf-home"
    monkeypatch.setenv("FLPERF_HOME", str(home))
    return home
