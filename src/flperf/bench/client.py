"""Streaming chat-completions client with precise timing (one connection pool per run).

Between `request_start` and the end of the response the client does the least possible work: take
the clock, keep the bytes. Parsing, token counting and checks happen after the response ends.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter_ns
from types import TracebackType

import orjson

from flperf import __version__
from flperf.bench.http1 import ConnectionBroken, ConnectionPool, Exchange, MalformedResponse, Origin
from flperf.bench.records import ErrorKind, RequestRecord, Status, TokenSource
from flperf.bench.sse import StreamFacts, parse_completion, parse_stream

Tokenizer = Callable[[str], int]


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """One request to send: its identity in the run and its pre-encoded body."""

    index: int
    model: str
    scenario: str
    iteration: int
    warmup: bool
    trial: int
    body: bytes
    max_tokens: int
    streamed: bool
    expected_pattern: str | None = None


@dataclass(slots=True)
class Capture:
    """What `send` saw of one request, unparsed: timestamps and bytes only."""

    plan: RequestPlan
    scheduled_ns: int
    start_ns: int
    end_ns: int
    wall_start: float
    status_code: int
    reads: list[tuple[int, bytes]]
    body: bytes
    is_stream: bool
    failure: tuple[Status, ErrorKind, str] | None


def build_body(
    model: str,
    messages: list[dict[str, str]],
    max_tokens: int,
    temperature: float | None,
    streaming: bool,
    extra: dict[str, object] | None = None,
) -> bytes:
    """The JSON body of a chat completion request; streaming always asks for usage."""
    body: dict[str, object] = {"model": model, "messages": messages, "max_tokens": max_tokens}
    if temperature is not None:
        body["temperature"] = temperature
    if streaming:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    else:
        body["stream"] = False
    if extra:
        body.update(extra)
    return orjson.dumps(body)


def _http_error_message(status: int, body: bytes) -> str:
    try:
        obj = orjson.loads(body)
        err = obj.get("error") if isinstance(obj, dict) else None
        if isinstance(err, dict) and err.get("message"):
            return f"HTTP {status}: {str(err['message'])[:300]}"
        if isinstance(err, str):
            return f"HTTP {status}: {err[:300]}"
    except orjson.JSONDecodeError:
        pass
    text = body[:300].decode("utf-8", "replace").strip()
    return f"HTTP {status}" + (f": {text}" if text else "")


class ChatClient:
    """Sends chat completion requests to one OpenAI-compatible endpoint and measures them."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        ref_ns: int,
        pool_size: int = 0,
        api_key: str | None = None,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        if not base_url.rstrip("/").endswith("/v1"):
            self.url = base_url.rstrip("/") + "/v1/chat/completions"
        self._bad_url: str | None = None
        try:
            self.origin = Origin.of(self.url)
        except ValueError as exc:  # every request fails with this, like an unreachable server
            self._bad_url = str(exc)
            self.origin = Origin("http", "invalid", 0, "/", "invalid")
        self.timeout_s = timeout_s
        self.ref_ns = ref_ns
        self.tokenizer = tokenizer
        self._pool_size = pool_size
        headers = {
            "Host": self.origin.host_header,
            "User-Agent": f"flperf/{__version__}",
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
            "Accept-Encoding": "identity",
        }
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        head = f"POST {self.origin.target} HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        self._head = (head + "Content-Length: ").encode("latin-1")
        self._pool: ConnectionPool | None = None

    async def __aenter__(self) -> ChatClient:
        self._pool = ConnectionPool(self.origin, self._pool_size)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def request_bytes(self, body: bytes) -> bytes:
        """The whole HTTP request for a JSON body: what `send` writes in one call."""
        return b"%b%d\r\n\r\n%b" % (self._head, len(body), body)

    async def send(self, plan: RequestPlan, scheduled_ns: int) -> Capture:
        """Send one request and capture its timings and bytes. Never raises for request failures.

        `request_start` is stamped just before the request is written in one call (a request
        that opens a connection counts the connect, as a user's would); every read is stamped
        as it arrives. Turning the capture into a record (`record`) is left to the caller, so
        the parsing of one finished stream never delays the reads of others still in flight.
        """
        pool = self._pool
        if pool is None:
            raise RuntimeError("ChatClient used outside 'async with'")
        request = self.request_bytes(plan.body)
        exchange = Exchange(asyncio.get_running_loop().create_future())
        failure: tuple[Status, ErrorKind, str] | None = None
        wall_start = time.time()
        start_ns = 0
        try:
            async with asyncio.timeout(self.timeout_s):
                start_ns = perf_counter_ns()
                if self._bad_url is not None:
                    raise ConnectionBroken(f"the endpoint cannot be used: {self._bad_url}")
                await pool.exchange(request, exchange)
            end_ns = exchange.end_ns
        except TimeoutError:
            end_ns = perf_counter_ns()
            failure = (
                Status.TIMEOUT,
                ErrorKind.TIMEOUT,
                f"no complete response in {self.timeout_s:g} s",
            )
        except asyncio.CancelledError:
            end_ns = perf_counter_ns()
            failure = (Status.CANCELLED, ErrorKind.CANCELLED, "run cancelled")
        except MalformedResponse as exc:
            end_ns = perf_counter_ns()
            failure = (Status.ERROR, ErrorKind.MALFORMED, f"malformed response: {exc}"[:300])
        except ConnectionBroken as exc:
            end_ns = perf_counter_ns()
            failure = (Status.ERROR, ErrorKind.CONNECTION, str(exc)[:300])
        except OSError as exc:
            end_ns = perf_counter_ns()
            failure = (
                Status.ERROR,
                ErrorKind.CONNECTION,
                f"cannot connect to {self.origin.host_header}: {type(exc).__name__}: {exc}"[:300],
            )
        status_code = exchange.status
        is_stream = plan.streamed
        if is_stream and status_code == 200 and "event-stream" not in exchange.content_type:
            is_stream = False  # the server ignored `stream: true`
        streamed_ok = is_stream and status_code == 200
        return Capture(
            plan,
            scheduled_ns,
            start_ns,
            end_ns,
            wall_start,
            status_code,
            exchange.reads if streamed_ok else [],
            b"" if streamed_ok else exchange.body,
            is_stream,
            failure,
        )

    def record(self, capture: Capture) -> RequestRecord:
        """Parse a capture into the request's record (DESIGN section 5 timings)."""
        plan, scheduled_ns, start_ns = capture.plan, capture.scheduled_ns, capture.start_ns
        end_ns, status_code, is_stream = capture.end_ns, capture.status_code, capture.is_stream
        failure = capture.failure
        http_status: int | None = status_code or None
        if failure is None and status_code != 200:
            failure = (Status.ERROR, ErrorKind.HTTP, _http_error_message(status_code, capture.body))
        facts = StreamFacts()
        if status_code == 200:
            facts = parse_stream(capture.reads) if is_stream else parse_completion(capture.body)
            if failure is None:
                failure = _stream_failure(facts)
        tokens, source, disagree = self._count_tokens(facts)
        ttft_ms = e2e_ms = itl_ms = None
        if is_stream and facts.first_token_ns is not None and facts.last_token_ns is not None:
            ttft_ms = (facts.first_token_ns - start_ns) / 1e6
            e2e_ms = (facts.last_token_ns - start_ns) / 1e6
            if tokens is not None and tokens >= 2:
                itl_ms = (facts.last_token_ns - facts.first_token_ns) / 1e6 / (tokens - 1)
        elif failure is None:
            e2e_ms = (end_ns - start_ns) / 1e6
        status, kind, message = failure if failure else (Status.OK, None, None)
        quality = None
        if status is Status.OK and plan.expected_pattern is not None:
            quality = _compiled(plan.expected_pattern).search(facts.text) is not None
        ref = self.ref_ns
        return RequestRecord(
            index=plan.index,
            model=plan.model,
            scenario=plan.scenario,
            iteration=plan.iteration,
            warmup=plan.warmup,
            trial=plan.trial,
            scheduled_ms=(scheduled_ns - ref) / 1e6,
            start_ms=(start_ns - ref) / 1e6,
            end_ms=(end_ns - ref) / 1e6,
            wall_start=capture.wall_start,
            dispatch_delay_ms=max(0.0, (start_ns - scheduled_ns) / 1e6),
            ttft_ms=ttft_ms,
            e2e_ms=e2e_ms,
            itl_ms=itl_ms,
            output_tokens=tokens,
            prompt_tokens=_int_or_none((facts.usage or {}).get("prompt_tokens")),
            token_source=source,
            chunk_count=facts.token_events,
            tokens_disagree=disagree,
            status=status,
            error_kind=kind,
            http_status=http_status,
            error_message=message,
            response_id=facts.response_id,
            finish_reason=facts.finish_reason,
            max_tokens=plan.max_tokens,
            quality_pass=quality,
            streamed=is_stream,
        )

    def _count_tokens(self, facts: StreamFacts) -> tuple[int | None, TokenSource | None, bool]:
        usage_tokens = _int_or_none((facts.usage or {}).get("completion_tokens"))
        if usage_tokens is not None:
            # More token-bearing chunks than tokens cannot be right: flag the server's count.
            return usage_tokens, TokenSource.USAGE, facts.token_events > usage_tokens
        if self.tokenizer is not None and facts.text_parts:
            return self.tokenizer(facts.text), TokenSource.TOKENIZER, False
        if facts.token_events or facts.done:
            return facts.token_events, TokenSource.CHUNKS, False
        return None, None, False


def _stream_failure(facts: StreamFacts) -> tuple[Status, ErrorKind, str] | None:
    if facts.error_event is not None:
        return Status.ERROR, ErrorKind.MALFORMED, f"server sent an error event: {facts.error_event}"
    if facts.malformed is not None:
        return Status.ERROR, ErrorKind.MALFORMED, facts.malformed
    if not facts.done and facts.finish_reason is None:
        return Status.ERROR, ErrorKind.CONNECTION, "stream ended before [DONE]"
    return None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)
