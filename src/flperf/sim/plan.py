"""Turning a chat request into a timed list of writes: output size, schedule and faults."""

from __future__ import annotations

import heapq
import random
import time

from flperf.sim.chat import ChatRequest
from flperf.sim.config import SimConfig
from flperf.sim.log import Entry, RequestRecord, WriteLog
from flperf.sim.wire import DONE, MALFORMED, Wire, error_response

DEFAULT_OUTPUT_TOKENS = 16
"""Output length when neither the config nor the request sets one."""

Step = tuple[int, bytes, Entry | None]
"""One write: offset in ns from request receipt, bytes, and the log entry (None: not a chunk)."""

ROLE: Entry = ("role", 0)
FINISH: Entry = ("finish", 0)
USAGE: Entry = ("usage", 0)
DONE_ENTRY: Entry = ("done", 0)
MALFORMED_ENTRY: Entry = ("malformed", 0)
ERROR: Entry = ("error", 0)
CLOSE: Entry = ("close", 0)
"""Marks the step at which the server closes the connection instead of writing."""

_ERRORS = {
    "fail_500": (500, "simulated internal server error", "server_error"),
    "fail_429": (429, "simulated rate limit", "rate_limit_exceeded"),
}


class Planner:
    """Decides, for each request, what is written when; draws faults and jitter."""

    def __init__(self, config: SimConfig, log: WriteLog) -> None:
        self.config = config
        self.log = log
        self.wire = Wire(config.model, config.answer)
        self._rates = [(kind, rate) for kind, rate in config.fault_rates().items() if rate > 0]
        self._ttft_ns = config.ttft_ms * 1e6
        self._itl_ns = config.itl_ms * 1e6
        self._stall_ns = int(config.stall_s * 1e9)
        self._zero_delays = self._ttft_ns == 0 and self._itl_ns == 0
        self._content_entries: dict[int, Entry] = {}
        self._slots: list[int] = []  # when each busy slot frees, ns (a min-heap; capacity only)
        self.reset()

    def reset(self) -> None:
        """Restart the random sequences, so a reset run repeats the same faults and delays."""
        # Separate generators: the fault sequence does not depend on output sizes or jitter.
        self._fault_rng = random.Random(self.config.seed)
        self._jitter_rng = random.Random(f"jitter-{self.config.seed}")
        self._slots = []
        self.loaded = False  # like Ollama, the model loads on its first chat request

    def _draw_fault(self) -> str | None:
        if not self._rates:
            return None
        draw = self._fault_rng.random()
        bound = 0.0
        for kind, rate in self._rates:
            bound += rate
            if draw < bound:
                return kind
        return None

    def _content_entry(self, tokens: int) -> Entry:
        entry = self._content_entries.get(tokens)
        if entry is None:
            entry = self._content_entries[tokens] = ("content", tokens)
        return entry

    def _output_size(self, request: ChatRequest) -> tuple[int, str]:
        configured = self.config.output_tokens
        if configured is None:
            return request.max_tokens or DEFAULT_OUTPUT_TOKENS, "length"
        limit = request.max_tokens
        return configured, "length" if limit is not None and configured >= limit else "stop"

    def _schedule(self, chunk_tokens: list[int]) -> list[int]:
        """Offset in ns of each content chunk: ttft, then ``tokens * itl`` per later chunk."""
        if self._zero_delays:
            return [0] * len(chunk_tokens)
        jitter = self.config.jitter
        uniform = self._jitter_rng.uniform
        low, high = 1 - jitter, 1 + jitter
        at = self._ttft_ns * (uniform(low, high) if jitter else 1.0)
        offsets = [int(at)]
        for tokens in chunk_tokens[1:]:
            at += tokens * self._itl_ns * (uniform(low, high) if jitter else 1.0)
            offsets.append(int(at))
        return offsets

    def plan(
        self, request: ChatRequest, received_ns: int, keep_alive: bool
    ) -> tuple[RequestRecord, list[Step]]:
        """Open the request's log record and list its writes in time order."""
        fault = self._draw_fault()
        tokens, finish_reason = self._output_size(request)
        record = self.log.open(received_ns, fault, tokens, request.prompt_tokens, request.stream)
        if fault in _ERRORS:
            status, message, kind = _ERRORS[fault]
            body = error_response(status, message, keep_alive, type=kind, x_request_id=record.id)
            return record, [(0, body, ERROR)]
        per_chunk = self.config.tokens_per_chunk
        full, last = divmod(tokens, per_chunk)
        chunk_tokens = [per_chunk] * full + ([last] if last else [])
        offsets = self._schedule(chunk_tokens)
        if fault == "disconnect":
            cut = len(chunk_tokens) // 2
            close: Step | None = (offsets[cut], b"", CLOSE)
        elif fault == "stall":
            cut = 1
            close = (offsets[0] + self._stall_ns, b"", CLOSE)
        else:
            cut = len(chunk_tokens)
            close = None
        if request.stream:
            steps = self._stream_steps(
                record, request, keep_alive, chunk_tokens[:cut], offsets, finish_reason
            )
        else:
            steps = self._body_steps(record, request, keep_alive, offsets, finish_reason)
        if close is not None:
            steps = [*steps[: 1 + cut], close] if request.stream else [close]
        return record, self._queued(steps, received_ns)

    def _queued(self, steps: list[Step], received_ns: int) -> list[Step]:
        """With a capacity, start the response when a slot frees (FIFO): every step moves by
        the wait, and the slot stays busy until the last step is due."""
        capacity = self.config.capacity
        if capacity is None:
            return steps
        slots = self._slots
        start = received_ns
        if len(slots) >= capacity:
            start = max(received_ns, heapq.heappop(slots))
        heapq.heappush(slots, start + max(offset for offset, _, _ in steps))
        wait = start - received_ns
        if wait <= 0:
            return steps
        return [(offset + wait, payload, entry) for offset, payload, entry in steps]

    def _stream_steps(
        self,
        record: RequestRecord,
        request: ChatRequest,
        keep_alive: bool,
        chunk_tokens: list[int],
        offsets: list[int],
        finish_reason: str,
    ) -> list[Step]:
        wire = self.wire
        num = record.num
        created = int(time.time())
        prefix = wire.chunk_prefix(num, created)
        head = wire.stream_head(num, keep_alive)
        steps: list[Step] = (
            [(0, head + wire.role_chunk(prefix), ROLE)]
            if self.config.role_chunk
            else [(0, head, None)]
        )
        per_chunk = self.config.tokens_per_chunk
        full_chunk = wire.content_chunk(prefix, per_chunk)
        full_entry = self._content_entry(per_chunk)
        broken = len(offsets) // 2 if record.fault == "malformed" else -1
        for index, tokens in enumerate(chunk_tokens):
            if index == broken:
                steps.append((offsets[index], MALFORMED, MALFORMED_ENTRY))
            elif index == 0 and wire.answer is not None:
                steps.append(
                    (offsets[0], wire.first_chunk(prefix, tokens), self._content_entry(tokens))
                )
            elif tokens == per_chunk:
                steps.append((offsets[index], full_chunk, full_entry))
            else:
                chunk = wire.content_chunk(prefix, tokens)
                steps.append((offsets[index], chunk, self._content_entry(tokens)))
        end = offsets[-1]
        steps.append((end, wire.finish_chunk(prefix, finish_reason), FINISH))
        if request.include_usage:
            usage = wire.usage_chunk(num, created, request.prompt_tokens, record.planned)
            steps.append((end, usage, USAGE))
        steps.append((end, DONE, DONE_ENTRY))
        return steps

    def _body_steps(
        self,
        record: RequestRecord,
        request: ChatRequest,
        keep_alive: bool,
        offsets: list[int],
        finish_reason: str,
    ) -> list[Step]:
        end = offsets[-1]
        if record.fault == "malformed":
            body = b'{"id": oops'
            head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            head += b"content-length: %d\r\n%s\r\n" % (
                len(body),
                b"" if keep_alive else b"connection: close\r\n",
            )
            return [(end, head + body, MALFORMED_ENTRY)]
        response = self.wire.completion_response(
            record.num,
            int(time.time()),
            request.prompt_tokens,
            record.planned,
            finish_reason,
            keep_alive,
        )
        return [(end, response, ("body", record.planned))]
