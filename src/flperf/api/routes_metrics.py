"""`/api/metrics`: the metric catalogue, so the web UI lays out every metric table from it."""

from __future__ import annotations

from fastapi import APIRouter

from flperf.bench.metric_catalog import Catalogue, catalogue

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_model=Catalogue)
def metric_catalogue() -> Catalogue:
    """Every shown metric: key, label, unit, better direction, description, where its value
    sits on a result, its significance basis, group and views; and every distribution."""
    return catalogue()
