"""Hand-made request records for metric tests."""

from __future__ import annotations

from typing import Any

from flperf.bench.records import ErrorKind, RequestRecord, Status, TokenSource


def make_record(**overrides: Any) -> RequestRecord:
    """A successful streamed request record; any field can be overridden."""
    fields: dict[str, Any] = {
        "index": 0,
        "model": "m",
        "scenario": "s",
        "iteration": 0,
        "warmup": False,
        "trial": 0,
        "scheduled_ms": 0.0,
        "start_ms": 0.0,
        "end_ms": 1000.0,
        "wall_start": 0.0,
        "dispatch_delay_ms": 0.0,
        "ttft_ms": 100.0,
        "e2e_ms": 1000.0,
        "itl_ms": 10.0,
        "output_tokens": 91,
        "prompt_tokens": 5,
        "token_source": TokenSource.USAGE,
        "chunk_count": 91,
        "tokens_disagree": False,
        "status": Status.OK,
        "error_kind": None,
        "http_status": 200,
        "error_message": None,
        "response_id": "r",
        "finish_reason": "length",
        "max_tokens": 91,
        "quality_pass": None,
        "streamed": True,
    }
    fields.update(overrides)
    return RequestRecord(**fields)


def make_failure(kind: ErrorKind, **overrides: Any) -> RequestRecord:
    """A failed record of the given kind."""
    status = Status.TIMEOUT if kind is ErrorKind.TIMEOUT else Status.ERROR
    if kind is ErrorKind.CANCELLED:
        status = Status.CANCELLED
    base: dict[str, Any] = {
        "status": status,
        "error_kind": kind,
        "ttft_ms": None,
        "e2e_ms": None,
        "itl_ms": None,
        "output_tokens": None,
        "token_source": None,
        "error_message": "failed",
    }
    base.update(overrides)
    return make_record(**base)
