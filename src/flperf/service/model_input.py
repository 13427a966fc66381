"""Checking what a user gives to configure a model, with messages naming the field."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from flperf.providers import provider_class
from flperf.service.errors import InvalidInputError

MAX_ALIAS = 200
MAX_MODEL_ID = 300
MAX_ENDPOINT = 2000


@dataclass(frozen=True)
class NewModel:
    alias: str
    model_id: str
    provider: str
    endpoint: str | None
    pid: int | None


def _text(field: str, value: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidInputError(field, "must not be empty")
    if len(text) > limit:
        raise InvalidInputError(field, f"must be at most {limit} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in text):
        raise InvalidInputError(field, "must not contain control characters")
    return text


def check_endpoint(value: str) -> str:
    """An http(s) URL with a host, without trailing slash."""
    url = _text("endpoint", value, MAX_ENDPOINT).rstrip("/")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInputError("endpoint", f"not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            "endpoint", f"must be an http(s) URL such as http://127.0.0.1:11434, got {value!r}"
        )
    if port == 0:
        raise InvalidInputError("endpoint", "port 0 is not a server port")
    return url


def check_new_model(
    alias: str,
    model_id: str,
    provider: str,
    endpoint: str | None,
    pid: int | None,
    providers: list[str],
) -> NewModel:
    """Validated, normalised fields of a model to add (raises `InvalidInputError`).

    A provider that runs the server itself (`Provider.owns_server`) takes neither `endpoint`
    nor `pid`; any other one needs the `endpoint` of the user's server.
    """
    if provider not in providers:
        raise InvalidInputError("provider", f"must be one of {', '.join(providers)}")
    owns_server = provider_class(provider).owns_server
    external = " or ".join(repr(n) for n in providers if not provider_class(n).owns_server)
    clean_endpoint = None
    if not owns_server:
        if endpoint is None:
            raise InvalidInputError("endpoint", f"is required for provider {provider!r}")
        clean_endpoint = check_endpoint(endpoint)
    elif endpoint is not None:
        raise InvalidInputError(
            "endpoint", f"applies only to provider {external} ({provider} models are started here)"
        )
    if pid is not None:
        if owns_server:
            raise InvalidInputError(
                "pid", f"applies only to provider {external} (hosts started here are tracked)"
            )
        if pid <= 0:
            raise InvalidInputError("pid", "must be a positive process id")
    return NewModel(
        alias=_text("alias", alias, MAX_ALIAS),
        model_id=_text("model_id", model_id, MAX_MODEL_ID),
        provider=provider,
        endpoint=clean_endpoint,
        pid=pid,
    )
