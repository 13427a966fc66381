"""Errors the services raise; the API turns each kind into its HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: the message is meant for the user."""


class NotFoundError(ServiceError):
    """An id that names nothing (HTTP 404)."""


class InvalidInputError(ServiceError):
    """A value that cannot be used; `field` names it (HTTP 400)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class ConflictError(ServiceError):
    """The request does not fit the current state, e.g. deleting a running run (HTTP 409)."""


class UnavailableError(ServiceError):
    """Something the request needs cannot be reached or started now (HTTP 503)."""


class UpstreamError(ServiceError):
    """The model's server answered a request with a failure or not in time (HTTP 502)."""


class BusyError(ServiceError):
    """The server has as much queued work as it takes; retry later (HTTP 429)."""
