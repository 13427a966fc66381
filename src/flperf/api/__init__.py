"""The REST API (FastAPI): every route of spec/api.md under `/api`, plus extensions."""

from __future__ import annotations

from flperf.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
