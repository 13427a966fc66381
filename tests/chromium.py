"""Debian's headless Chromium for browser tests (never a downloaded browser)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("FLPERF_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing() -> str | None:
    """Why the browser tests skip here, or None when the browser is there."""
    if CHROMIUM.exists():
        return None
    return (
        f"no Chromium at {CHROMIUM}: browser tests use Debian's `chromium` package on Linux; "
        "elsewhere set FLPERF_TEST_CHROMIUM to a Chromium or Chrome executable"
    )


def launch_chromium(playwright: Any) -> Any:
    """Launch Debian's Chromium headless with the flags this closed network needs."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def record_script_errors(page: Any, problems: list[str]) -> None:
    """Append every uncaught script error and console error of ``page`` to ``problems``."""
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
