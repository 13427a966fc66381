"""Every error answers `{"error": "..."}`: service errors by kind, bad input as 400 naming the
field (FastAPI's 422 turned into 400), unknown routes 404, anything unexpected 500 (logged)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from flperf.api.methods import allowed_methods
from flperf.api.schemas import RUN_IDS
from flperf.bench.run_config import SLO_PATTERN, field_name
from flperf.providers import provider_names
from flperf.service.errors import (
    BusyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ServiceError,
    UnavailableError,
    UpstreamError,
)
from flperf.service.model_input import HTTP_URL, PLAIN_TEXT

log = logging.getLogger("flperf.api")

STATUS_OF: dict[type[ServiceError], int] = {
    NotFoundError: 404,
    InvalidInputError: 400,
    ConflictError: 409,
    UnavailableError: 503,
    UpstreamError: 502,
    BusyError: 429,
}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    source = parts.pop(0) if parts and parts[0] in ("body", "query", "path", "header") else None
    if parts and parts[0] in UNION_TAGS:  # which kind of body it was read as (a model's provider)
        parts = parts[1:]
    if parts[:2] == ["config", "load"] and len(parts) > 3:
        # A run's load fields keep their flat names (both spellings are accepted).
        parts = ["config", *field_name(tuple(parts[1:])).split(".")]
    field = ""
    for part in parts:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    if source == "query":
        return f"query parameter {field!r}" if field else "query"
    if source == "path":
        return f"path parameter {field!r}" if field else "path"
    if source == "header":
        return f"header {field!r}"
    return f"field {field!r}" if field else "request body"


UNION_TAGS = frozenset(provider_names())
"""Tags of the bodies read as one of several kinds; error locations leave them out."""

PATTERN_HINTS: dict[str, str] = {
    HTTP_URL: "must be an http(s) URL with a host and a port of 1-65535, such as "
    "http://127.0.0.1:11434",
    PLAIN_TEXT: "must have a visible character and no control characters",
    RUN_IDS: "expected one to ten run ids (run_ and 16 hex digits) separated by commas",
    SLO_PATTERN: "expected <metric>_<percentile>_ms=<number> such as ttft_p95_ms=500 (metrics "
    "ttft, itl, e2e; percentiles p50, p90, p95, p99)",
}
"""What a value must look like, in words, for the patterns the OpenAPI document publishes."""


def _problem(err: Any) -> str:
    if err.get("type") == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        hint = PATTERN_HINTS.get(pattern)
        if hint is not None:
            return f"{hint}, got {err.get('input')!r}"
    return str(err.get("msg", "invalid")).removeprefix("Value error, ")


def validation_message(exc: RequestValidationError) -> str:
    """One line per problem, each naming the field: `field 'config.temperature': ...`."""
    lines = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            detail = err.get("ctx", {}).get("error", "")
            lines.append(f"request body is not valid JSON{f' ({detail})' if detail else ''}")
            continue
        lines.append(f"{_where(err.get('loc', ()))}: {_problem(err)}")
    return "; ".join(lines) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the `{"error": ...}` shape."""

    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        status = next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 500)
        return error_response(status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such route: {request.method} {request.url.path}"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
            allowed = allowed_methods(request.app, request.url.path)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        return error_response(exc.status_code, message, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(500, f"internal error ({type(exc).__name__}); see the server log")
