"""Importing the providers must not load the Foundry Local SDK (the CLI starts fast)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_providers_does_not_import_the_sdk() -> None:
    code = "import sys, flperf.providers, flperf.host; print('foundry_local_sdk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
