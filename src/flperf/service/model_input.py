"""Checking what a user gives to configure a model, with messages naming the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flperf.providers import provider_class
from flperf.service.errors import InvalidInputError

MAX_ALIAS = 200
MAX_MODEL_ID = 300
MAX_ENDPOINT = 2000

_NOT_TEXT = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
PLAIN_TEXT = rf"^[^{_NOT_TEXT}]*[^\s{_NOT_TEXT}][^{_NOT_TEXT}]*$"
"""A name: at least one visible character, no control characters or line separators (the
pattern the OpenAPI document gives for aliases and model ids; lone surrogates, which valid
UTF-8 text cannot hold, are refused as well)."""

_PORT = r"(6553[0-5]|655[0-2]\d|65[0-4]\d{2}|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})"
_H16 = "[0-9A-Fa-f]{1,4}"
_OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_LS32 = rf"({_H16}:{_H16}|{_OCTET}(\.{_OCTET}){{3}})"
_IPV6 = "|".join(  # RFC 3986's IPv6address, one alternative per place of the "::"
    [
        rf"({_H16}:){{6}}{_LS32}",
        rf"::({_H16}:){{5}}{_LS32}",
        rf"({_H16})?::({_H16}:){{4}}{_LS32}",
        rf"(({_H16}:){{0,1}}{_H16})?::({_H16}:){{3}}{_LS32}",
        rf"(({_H16}:){{0,2}}{_H16})?::({_H16}:){{2}}{_LS32}",
        rf"(({_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
        rf"(({_H16}:){{0,4}}{_H16})?::{_LS32}",
        rf"(({_H16}:){{0,5}}{_H16})?::{_H16}",
        rf"(({_H16}:){{0,6}}{_H16})?::",
    ]
)
HTTP_URL = rf"^https?://(\[({_IPV6})\]|[A-Za-z0-9._~-]+)(:{_PORT})?(/[^\s{_NOT_TEXT}]*)?$"
"""An http(s) URL with a host, an optional port 1-65535 and path (the OpenAPI pattern of an
`endpoint`)."""

_PLAIN = re.compile(PLAIN_TEXT)
_SURROGATE = re.compile("[\ud800-\udfff]")
_URL = re.compile(HTTP_URL)


@dataclass(frozen=True)
class NewModel:
    alias: str
    model_id: str
    provider: str
    endpoint: str | None
    pid: int | None


def _text(field: str, value: str, limit: int) -> str:
    if not value.strip():
        raise InvalidInputError(field, "must not be empty")
    if len(value) > limit:
        raise InvalidInputError(field, f"must be at most {limit} characters")
    if _PLAIN.fullmatch(value) is None or _SURROGATE.search(value):
        raise InvalidInputError(field, "must not contain control characters")
    return value.strip()


def check_endpoint(value: str) -> str:
    """An http(s) URL with a host, without trailing slash."""
    url = _text("endpoint", value, MAX_ENDPOINT).rstrip("/")
    if _URL.fullmatch(url) is None or _SURROGATE.search(url):
        raise InvalidInputError(
            "endpoint",
            f"must be an http(s) URL with a host and a port of 1-65535, such as "
            f"http://127.0.0.1:11434, got {value!r}",
        )
    try:
        urlsplit(url).port  # noqa: B018 - the check is that it parses
    except ValueError as exc:
        raise InvalidInputError("endpoint", f"not a valid URL ({exc})") from None
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
