"""Where the UI's files live: templates, static assets and Plotly's bundle."""

from __future__ import annotations

from pathlib import Path

from flperf.plotly_asset import PlotlyMissingError, plotly_js_path

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "WEB_DIR", "PlotlyMissingError", "plotly_js_path"]
