"""The simulator's write log: when each chunk of each response left the server.

Recording happens on the hot path, so a request keeps plain tuples: one ``(ns, entries)`` pair
per ``transport.write`` call, where ``entries`` lists the ``(kind, tokens)`` of every chunk that
write carried. Chunks written together share the timestamp taken right after the write returned.
JSON is built only when the log is read.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from flperf.sim.config import FAULT_KINDS

Entry = tuple[str, int]
"""One chunk of a write: its kind and the output tokens it carried."""

CHUNK_KINDS: tuple[str, ...] = (
    "role",  # role-only opening SSE chunk
    "content",  # token-bearing SSE chunk
    "finish",  # SSE chunk with finish_reason and an empty delta
    "usage",  # trailing SSE chunk with usage and no choices
    "done",  # data: [DONE]
    "malformed",  # SSE event whose JSON is broken (replaces one content chunk)
    "body",  # whole non-streaming JSON response
    "error",  # HTTP error response (fail_500, fail_429)
    "close",  # the server closed the connection (disconnect, stall)
)


class RequestRecord:
    """What the simulator did for one chat completion request."""

    __slots__ = ("fault", "num", "planned", "prompt_tokens", "received_ns", "stream", "writes")

    def __init__(
        self,
        num: int,
        received_ns: int,
        fault: str | None,
        planned: int,
        prompt_tokens: int,
        stream: bool,
    ) -> None:
        self.num = num
        self.received_ns = received_ns
        self.fault = fault
        self.planned = planned
        self.prompt_tokens = prompt_tokens
        self.stream = stream
        self.writes: list[tuple[int, tuple[Entry, ...]]] = []

    @property
    def id(self) -> str:
        """Response id, also sent as the ``x-request-id`` header."""
        return f"chatcmpl-sim-{self.num}"

    @property
    def chunks(self) -> list[tuple[int, str, int]]:
        """Every chunk written, as ``(ns, kind, tokens)`` in write order."""
        return [(ns, kind, tokens) for ns, entries in self.writes for kind, tokens in entries]

    @property
    def delivered(self) -> int:
        """Output tokens sent in well-formed content chunks or bodies."""
        return sum(
            tokens
            for _, entries in self.writes
            for kind, tokens in entries
            if kind in ("content", "body")
        )

    def to_json(self) -> dict[str, Any]:
        """JSON form served by ``GET /sim/log``."""
        return {
            "id": self.id,
            "received_ns": self.received_ns,
            "stream": self.stream,
            "fault": self.fault,
            "prompt_tokens": self.prompt_tokens,
            "tokens": {"planned": self.planned, "delivered": self.delivered},
            "chunks": [list(chunk) for chunk in self.chunks],
        }


class WriteLog:
    """Bounded in-memory log of requests plus counters that survive the bound."""

    def __init__(self, limit: int) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=limit)
        self._counts: dict[str, int] = {}
        self._next_num = 1
        self.reset()

    def reset(self) -> None:
        """Forget every request and restart ids at 1."""
        self._records.clear()
        self._counts = dict.fromkeys(("total", "ok", *FAULT_KINDS, "bad_request"), 0)
        self._next_num = 1

    def open(
        self,
        received_ns: int,
        fault: str | None,
        planned: int,
        prompt_tokens: int,
        stream: bool,
    ) -> RequestRecord:
        """Start the record of a new chat completion request and count it."""
        record = RequestRecord(self._next_num, received_ns, fault, planned, prompt_tokens, stream)
        self._next_num += 1
        self._records.append(record)
        counts = self._counts
        counts["total"] += 1
        counts[fault or "ok"] += 1
        return record

    def count_bad_request(self) -> None:
        """Count a request rejected with HTTP 400 (it gets no id and no record)."""
        self._counts["bad_request"] += 1

    @property
    def requests(self) -> list[RequestRecord]:
        """Records kept, oldest first."""
        return list(self._records)

    @property
    def counts(self) -> dict[str, int]:
        """Requests seen since the last reset: total, ok, each fault kind, bad_request."""
        return dict(self._counts)

    def to_json(self, summary: bool = False) -> dict[str, Any]:
        """JSON served by ``GET /sim/log`` (only counts when ``summary``)."""
        if summary:
            return {"counts": self.counts}
        return {"requests": [r.to_json() for r in self._records], "counts": self.counts}
