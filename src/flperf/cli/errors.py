"""How the CLI reports bad input: one line on stderr and a non-zero exit code."""

from __future__ import annotations

import sys
from typing import NoReturn

EXIT_BAD_INPUT = 2
EXIT_SLO_MISSED = 3
EXIT_CANCELLED = 130


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print `error: message` to stderr and exit with `code`."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)
