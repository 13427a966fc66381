#!/usr/bin/env bash
# Build the offline demo model in its own virtual environment (build-only dependencies stay out
# of flperf's). Usage: scripts/build_demo_model/build.sh [--out DIR] [--seed N] [--precision int4|fp32]
# Set PYTHON to choose the interpreter (default python3.11, then python3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${FLPERF_BUILD_VENV:-$here/.venv}"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi
"$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
exec "$venv/bin/python" "$here/build.py" "$@"
