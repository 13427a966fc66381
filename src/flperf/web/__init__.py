"""The browser UI: page routes, templates and static assets, mounted on the API's app.

Pages are thin shells: each lays out one screen and its script fetches the data from the REST
API (`/api/...`), so every page has a JSON twin and the UI computes no metric itself.
"""

from __future__ import annotations

from flperf.web.mount import mount

__all__ = ["mount"]
