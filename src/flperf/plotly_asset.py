"""Plotly's browser bundle, from the installed `plotly` package (no CDN, no network)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


class PlotlyMissingError(RuntimeError):
    """The `plotly` package (which ships `plotly.min.js`) is not installed."""


def plotly_js_path() -> Path:
    """Path of `plotly.min.js` inside the installed `plotly` Python package."""
    try:
        bundle = resources.files("plotly") / "package_data" / "plotly.min.js"
    except ModuleNotFoundError as exc:
        raise PlotlyMissingError("install the `plotly` package to get charts") from exc
    path = Path(str(bundle))
    if not path.is_file():
        raise PlotlyMissingError(f"plotly is installed but {path} is missing")
    return path
