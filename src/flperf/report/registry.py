"""Exporters by name: `json`, `csv`, `html`, `md`; each is a small class registered here.

Every exporter renders the same input, a `flperf.bench.run_document.RunDocument`, so the CLI
(from a file or the store) and the API produce identical bytes (a test compares them). Adding a
format means one new module whose class is decorated with `@register` and listed in
`_BUILTIN_MODULES`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from typing import ClassVar, TypeVar

from flperf.bench.run_document import RunDocument

__all__ = [
    "Exporter",
    "JsonExporter",
    "UnknownFormatError",
    "exporter",
    "exporter_names",
    "register",
    "render",
]


class Exporter(ABC):
    """Turns a run document into one file of a format."""

    name: ClassVar[str]
    """Registry key and the CLI/API format name."""
    media_type: ClassVar[str]
    """HTTP Content-Type of the output."""
    file_extension: ClassVar[str]
    """Extension of a file of this format, without the dot."""

    @abstractmethod
    def render(self, document: RunDocument) -> bytes | str:
        """The whole file for `document`."""

    def render_bytes(self, document: RunDocument) -> bytes:
        """`render`, encoded as UTF-8 when it returns text."""
        out = self.render(document)
        return out.encode("utf-8") if isinstance(out, str) else out


class UnknownFormatError(ValueError):
    """No exporter has the requested name."""


_EXPORTERS: dict[str, type[Exporter]] = {}
_BUILTIN_MODULES = (
    "flperf.report.csv_export",
    "flperf.report.html",
    "flperf.report.markdown",
)
_loaded = False

E = TypeVar("E", bound=type[Exporter])


def register(cls: E) -> E:
    """Class decorator: make an exporter available under `cls.name`."""
    _EXPORTERS[cls.name] = cls
    return cls


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        for module in _BUILTIN_MODULES:
            importlib.import_module(module)
        _loaded = True


def exporter_names() -> list[str]:
    """Names of every registered format: the built-in ones first, then others by name."""
    _load_builtins()
    builtin = ("json", "csv", "html", "md")
    return sorted(_EXPORTERS, key=lambda n: (builtin.index(n) if n in builtin else 99, n))


def exporter(name: str) -> Exporter:
    """The exporter registered as `name` (`json`, `csv`, `html`, `md`)."""
    _load_builtins()
    try:
        return _EXPORTERS[name]()
    except KeyError:
        known = ", ".join(exporter_names())
        raise UnknownFormatError(f"unknown report format {name!r} (known: {known})") from None


def render(document: RunDocument, fmt: str) -> bytes:
    """Render a run document in format `fmt`, as bytes (UTF-8 for text formats)."""
    return exporter(fmt).render_bytes(document)


@register
class JsonExporter(Exporter):
    """The run document itself (what `flperf bench --json` writes)."""

    name = "json"
    media_type = "application/json"
    file_extension = "json"

    def render(self, document: RunDocument) -> bytes:
        return document.to_json()
