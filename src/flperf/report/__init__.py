"""Exports of a run: JSON, CSV, a self-contained HTML report and a Markdown summary."""
