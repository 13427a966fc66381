"""Per-request records: what happened to one request, with every timing the engine took.

Records are immutable and hold everything needed to recompute any aggregate later. Durations are
milliseconds (floats); `start_ms`, `end_ms` and `scheduled_ms` are offsets from the run's reference
clock (`perf_counter_ns` at run start), so records of one run share one time axis.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """How a request ended."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


class ErrorKind(StrEnum):
    """Why a request did not end `ok`."""

    HTTP = "http_status"  # the server answered with a non-2xx status (see `http_status`)
    CONNECTION = "connection"  # connect refused, reset, or closed before the stream ended
    MALFORMED = "malformed_stream"  # a chunk that is not valid JSON / SSE, or an error event
    TIMEOUT = "timeout"  # the per-request timeout expired (a stall ends here)
    CANCELLED = "cancelled"  # the run was cancelled while the request was in flight


class TokenSource(StrEnum):
    """Where `output_tokens` came from, best first."""

    USAGE = "usage"  # the server's `usage.completion_tokens`
    TOKENIZER = "tokenizer"  # the model's tokenizer on the whole text
    CHUNKS = "chunks"  # the count of token-bearing stream chunks (a lower bound)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request, as measured.

    ttft_ms: first token-bearing SSE event minus request start (None when not streamed or no token).
    e2e_ms: last token-bearing event minus request start (for a non-streamed request: response end).
    itl_ms: (t_last_token - t_first_token) / (output_tokens - 1), for output_tokens >= 2.
    dispatch_delay_ms: actual start minus scheduled start (how far the client fell behind).
    """

    index: int
    model: str
    scenario: str
    iteration: int
    warmup: bool
    trial: int
    scheduled_ms: float
    start_ms: float
    end_ms: float
    wall_start: float
    dispatch_delay_ms: float
    ttft_ms: float | None
    e2e_ms: float | None
    itl_ms: float | None
    output_tokens: int | None
    prompt_tokens: int | None
    token_source: TokenSource | None
    chunk_count: int
    tokens_disagree: bool
    status: Status
    error_kind: ErrorKind | None
    http_status: int | None
    error_message: str | None
    response_id: str | None
    finish_reason: str | None
    max_tokens: int
    quality_pass: bool | None
    streamed: bool

    @property
    def ok(self) -> bool:
        """True when the request completed successfully."""
        return self.status is Status.OK

    @property
    def gen_tps(self) -> float | None:
        """Decode speed of this request in tokens/s: 1000 / itl_ms."""
        if self.itl_ms is None or self.itl_ms <= 0:
            return None
        return 1000.0 / self.itl_ms

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (enums as their string values)."""
        data = asdict(self)
        for key in ("status", "error_kind", "token_source"):
            value = data[key]
            data[key] = value.value if value is not None else None
        data["gen_tps"] = self.gen_tps
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequestRecord:
        """Rebuild a record from `to_dict` output (or a database row with the same keys)."""
        fields = {k: data[k] for k in cls.__dataclass_fields__}
        fields["status"] = Status(fields["status"])
        if fields["error_kind"] is not None:
            fields["error_kind"] = ErrorKind(fields["error_kind"])
        if fields["token_source"] is not None:
            fields["token_source"] = TokenSource(fields["token_source"])
        return cls(**fields)


def error_key(record: RequestRecord) -> str | None:
    """The key a failed record is counted under in an error breakdown (`http_500`, `timeout`...)."""
    if record.error_kind is None:
        return None
    if record.error_kind is ErrorKind.HTTP and record.http_status is not None:
        return f"http_{record.http_status}"
    return record.error_kind.value
