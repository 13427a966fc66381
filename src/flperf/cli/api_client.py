"""A small client of a running `flperf serve`, for CLI commands that manage served models.

Model hosts live as long as the server that started them, so the CLI asks the server to start,
stop and watch models rather than starting processes that would end with the command.
"""

from __future__ import annotations

import os
from typing import Any

from flperf import config
from flperf.cli.errors import fail

API_ENV = "FLPERF_API"


def api_base() -> str:
    """`$FLPERF_API`, else the local default `http://127.0.0.1:3001/api`."""
    return os.environ.get(API_ENV, f"http://127.0.0.1:{config.DEFAULT_API_PORT}/api").rstrip("/")


class ApiClient:
    """JSON calls to the API; any failure ends the command with a one-line reason."""

    def __init__(self, base: str | None = None, timeout_s: float = 180.0) -> None:
        import httpx  # slow import, only for commands that talk to the server

        self.base = base or api_base()
        self._http = httpx.Client(timeout=timeout_s)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; return the decoded JSON body of a 2xx answer."""
        import httpx

        url = self.base + path
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.ConnectError:
            fail(
                f"no flperf server at {self.base} (start one with `flperf serve`, or set {API_ENV})"
            )
        except httpx.HTTPError as exc:
            fail(f"{method} {url}: {exc}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            message = body.get("error") if isinstance(body, dict) else None
            fail(message or f"{method} {path}: HTTP {response.status_code}")
        return body

    def model_id(self, name: str) -> str:
        """The server's id of a configured model given by id or alias."""
        models = self.call("GET", "/models")["models"]
        for model in models:
            if name in (model["id"], model["alias"]):
                return str(model["id"])
        known = ", ".join(m["alias"] for m in models) or "none configured"
        fail(f"no configured model {name!r} (known: {known})")
