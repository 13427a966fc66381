"""The exporter registry: every format by name, rendering the same run document."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flperf.report.registry import UnknownFormatError, exporter, exporter_names
from tests.report.run_documents import render_doc


def test_the_four_formats_are_registered_by_name() -> None:
    assert exporter_names() == ["json", "csv", "html", "md"]


@pytest.mark.parametrize(
    ("name", "media_type", "extension"),
    [
        ("json", "application/json", "json"),
        ("csv", "text/csv; charset=utf-8", "csv"),
        ("html", "text/html; charset=utf-8", "html"),
        ("md", "text/markdown; charset=utf-8", "md"),
    ],
)
def test_each_exporter_renders_an_engine_document(
    engine_doc: dict[str, Any], name: str, media_type: str, extension: str
) -> None:
    chosen = exporter(name)
    assert (chosen.name, chosen.media_type, chosen.file_extension) == (name, media_type, extension)
    out = render_doc(engine_doc, name)
    assert isinstance(out, bytes) and len(out) > 1000
    out.decode("utf-8")


def test_json_export_is_the_document_unchanged(engine_doc: dict[str, Any]) -> None:
    assert json.loads(render_doc(engine_doc, "json")) == engine_doc


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(UnknownFormatError, match=r"'pdf'.*json, csv, html, md"):
        exporter("pdf")


def test_a_run_that_measured_nothing_still_exports(empty_doc: dict[str, Any]) -> None:
    document = json.loads(render_doc(empty_doc, "json"))
    assert document["run"]["status"] == "failed" and document["requests"] == []
    header, *rows = render_doc(empty_doc, "csv").decode("utf-8").splitlines()
    assert header.split(",")[:3] == ["model", "model_id", "scenario"] and rows == []
    for name in ("html", "md"):
        text = render_doc(empty_doc, name).decode("utf-8")
        assert "did not start" in text and "failed" in text, name
