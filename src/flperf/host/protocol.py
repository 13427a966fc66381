"""What a host process tells its parent on stdout: one readiness line or one error line, and
one line when it stops.

``FLPERF_HOST_READY {"port": 12345, "model": "...", "pid": 4242, "url": "http://...",
"lifecycle": {"load_ms": 12.5, ...}}`` (the lifecycle facts the host measured while starting)
``FLPERF_HOST_ERROR {"kind": "port_in_use", "message": "..."}``
``FLPERF_HOST_STOPPED {"unload_ms": 3.1, ...}`` (after a graceful stop: the unload it timed)

Every other line on stdout or stderr is a log line, ``[level] message`` where it has a level.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flperf.bench.lifecycle import ModelLifecycle

READY_PREFIX = "FLPERF_HOST_READY "
ERROR_PREFIX = "FLPERF_HOST_ERROR "
STOPPED_PREFIX = "FLPERF_HOST_STOPPED "


class HostErrorKind(StrEnum):
    """Why a host could not start; each has its own exit code."""

    PORT_IN_USE = "port_in_use"
    MODEL_NOT_FOUND = "model_not_found"
    NOT_DOWNLOADED = "not_downloaded"
    INVALID_MODEL_FOLDER = "invalid_model_folder"
    RUNTIME_ERROR = "runtime_error"
    BAD_ARGUMENTS = "bad_arguments"

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]


_EXIT_CODES = {
    HostErrorKind.BAD_ARGUMENTS: 2,
    HostErrorKind.PORT_IN_USE: 10,
    HostErrorKind.MODEL_NOT_FOUND: 11,
    HostErrorKind.NOT_DOWNLOADED: 12,
    HostErrorKind.INVALID_MODEL_FOLDER: 13,
    HostErrorKind.RUNTIME_ERROR: 14,
}


@dataclass(frozen=True)
class ReadyInfo:
    port: int
    model: str
    pid: int
    url: str
    lifecycle: ModelLifecycle | None = None
    """What the host measured while starting (runtime start, model load, memory after it)."""


def ready_line(info: ReadyInfo) -> str:
    payload: dict[str, Any] = {
        "port": info.port,
        "model": info.model,
        "pid": info.pid,
        "url": info.url,
    }
    if info.lifecycle is not None:
        payload["lifecycle"] = info.lifecycle.model_dump(mode="json", exclude_none=True)
    return READY_PREFIX + json.dumps(payload)


def stopped_line(facts: ModelLifecycle) -> str:
    return STOPPED_PREFIX + json.dumps(facts.model_dump(mode="json", exclude_none=True))


def parse_stopped(line: str) -> ModelLifecycle | None:
    """The facts of a stop line (None for any other line; ValueError for a broken one)."""
    if not line.startswith(STOPPED_PREFIX):
        return None
    return ModelLifecycle.model_validate_json(line[len(STOPPED_PREFIX) :])


def error_line(kind: HostErrorKind, message: str) -> str:
    return ERROR_PREFIX + json.dumps({"kind": kind.value, "message": message})


def parse_ready(line: str) -> ReadyInfo | None:
    if not line.startswith(READY_PREFIX):
        return None
    data: dict[str, Any] = json.loads(line[len(READY_PREFIX) :])
    facts = data.get("lifecycle")
    return ReadyInfo(
        int(data["port"]),
        str(data["model"]),
        int(data["pid"]),
        str(data["url"]),
        ModelLifecycle.model_validate(facts) if isinstance(facts, dict) else None,
    )


def parse_error(line: str) -> tuple[HostErrorKind, str] | None:
    if not line.startswith(ERROR_PREFIX):
        return None
    data: dict[str, Any] = json.loads(line[len(ERROR_PREFIX) :])
    try:
        kind = HostErrorKind(str(data.get("kind")))
    except ValueError:
        kind = HostErrorKind.RUNTIME_ERROR
    return kind, str(data.get("message", ""))


_LEVEL = re.compile(r"^\[(\w+)\]\s?(.*)$", re.DOTALL)
_LEVELS = {
    "trace": "debug",
    "debug": "debug",
    "info": "info",
    "information": "info",
    "warn": "warning",
    "warning": "warning",
    "error": "error",
    "critical": "critical",
    "fatal": "critical",
}


def split_level(line: str, default: str) -> tuple[str, str]:
    """(level, message) of a log line such as ``[warning] text`` (our format and Foundry's)."""
    match = _LEVEL.match(line)
    if match and match.group(1).lower() in _LEVELS:
        return _LEVELS[match.group(1).lower()], match.group(2)
    return default, line
