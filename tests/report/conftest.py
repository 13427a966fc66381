"""Run documents shared by the report tests (the engine runs against the simulator once)."""

from __future__ import annotations

from typing import Any

import pytest

from .run_documents import MODELS, engine_document, renamed

HOSTILE = '<img src=x onerror="window.__pwned=1"> & </script><b>big | "model"</b>'
"""A model name that would run script, break a table or a chart if any layer failed to escape."""


@pytest.fixture(scope="session")
def engine_doc() -> dict[str, Any]:
    """A real run: two models, three scenarios, injected failures, resource samples."""
    return engine_document()


@pytest.fixture(scope="session")
def trials_doc() -> dict[str, Any]:
    """One model, two trials, one SLO that is met and one that is missed."""
    return engine_document(
        models=MODELS[:1], iterations=6, trials=2, slos=["ttft_p95_ms=5000", "e2e_p50_ms=0.01"]
    )


@pytest.fixture(scope="session")
def hostile_doc(engine_doc: dict[str, Any]) -> dict[str, Any]:
    """The engine document with its second model renamed to `HOSTILE`."""
    return renamed(engine_doc, MODELS[1], HOSTILE)


@pytest.fixture
def empty_doc() -> dict[str, Any]:
    """A run that failed before measuring anything."""
    return {
        "run": {
            "id": "run_failed",
            "suite_name": "default",
            "model_ids": ["m1"],
            "config": {"iterations": 5},
            "status": "failed",
            "error": "model m1 did not start: <port in use>",
        },
        "results": [],
        "requests": [],
    }
