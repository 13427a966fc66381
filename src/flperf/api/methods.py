"""HTTP methods the way clients expect them: HEAD answered as GET without a body, and a 405
whose `Allow` lists every method the path has (not only the first route that matched it)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD"}


class HeadAsGet:
    """Answer `HEAD` like `GET` (status and headers, Content-Length included) with no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest is dropped; the final (empty) message ends the response
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the API documents for `path` (HEAD wherever GET is), from the OpenAPI
    document's paths: the contract clients read, whichever route answered first."""
    table: list[tuple[re.Pattern[str], int, set[str]]] | None = getattr(app.state, "methods", None)
    if table is None:
        table = []
        for template, operations in app.openapi().get("paths", {}).items():
            regex, _, convertors = compile_path(template)
            documented = {m.upper() for m in operations if m.upper() in _METHODS}
            table.append((regex, len(convertors), documented))
        app.state.methods = table
    matches = [(params, documented) for regex, params, documented in table if regex.match(path)]
    # `/models/available` is also a `/models/{id}`; the path's own template wins, as in routing.
    fewest = min((params for params, _ in matches), default=0)
    methods: set[str] = set()
    for params, documented in matches:
        if params == fewest:
            methods |= documented
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
