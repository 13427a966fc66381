"""A simulated OpenAI-compatible chat server with known timings, injected faults and a log of
when each chunk was written: the fixture the benchmark engine is tested and calibrated against.

Routes
    ``POST /v1/chat/completions`` (SSE stream over chunked encoding when ``"stream": true``,
    else one JSON completion), ``GET /v1/models``, ``GET /health``, ``GET /sim/config``,
    ``GET /sim/log`` (``?summary=1``: counts only), ``POST /sim/reset`` (clears the log, restarts
    ids at ``chatcmpl-sim-1`` and the random sequences).

Output
    Every token is the text ``"tok "``. Output length: ``SimConfig.output_tokens`` when set,
    else the request's ``max_completion_tokens`` / ``max_tokens``, else 16. Prompt tokens are
    the whitespace-separated words of all message texts. ``finish_reason`` is ``"length"`` when
    the output reached the request's limit (or the default of 16 applied), else ``"stop"``.

Timing (see :class:`SimConfig`)
    The role-only chunk leaves on receipt; content chunk 1 at ``ttft_ms``; each later chunk of
    ``t`` tokens ``t * itl_ms`` after the one before (``itl_ms`` is per token). The finish,
    usage and ``[DONE]`` chunks go out with the last content chunk; a non-streamed body goes
    out when the last content chunk would have. With ``tokens_per_chunk`` k > 1 the first k
    tokens arrive together, so an ITL computed as (last - first) / (n - 1) reads
    ``itl_ms * (n - k) / (n - 1)``. Chunks due at the same moment share one write. Deadlines
    are absolute (no drift); a chunk leaves up to about 1 ms late on loop timers, within about
    0.1 ms with ``spin_ms`` set. The write log always holds the actual times.

Capacity (``capacity`` K, see :class:`SimConfig`)
    At most K responses are generated at once; later requests wait in a FIFO queue and their
    whole timeline starts when a slot frees. A response of n tokens holds its slot for
    ``SimConfig.service_ms(n)``, so the true knee of a load sweep is K requests in flight, or
    ``SimConfig.capacity_rps(n)`` requests/s; past it throughput stays there and TTFT grows.

Faults (at most one per request, drawn from a generator seeded with ``seed``; n below is the
number of content chunks planned)
    ``fail_500`` / ``fail_429``: an OpenAI-style JSON error at once. ``disconnect``: the
    connection closes when content chunk ``n // 2 + 1`` is due (non-streamed: no bytes).
    ``malformed``: content chunk ``n // 2 + 1`` is replaced by ``data: {"id": oops`` and the
    stream goes on (non-streamed: a body that is not JSON); usage still reports the planned
    tokens. ``stall``: nothing after the first content chunk; the connection closes
    ``stall_s`` later (non-streamed: no bytes, closed ``ttft + stall_s`` after receipt).

Write log
    Per request: id, ``received_ns`` (``time.perf_counter_ns()`` once the request was read),
    fault, planned and delivered tokens, and ``[ns, kind, tokens]`` per chunk, where ``ns`` is
    taken right after ``transport.write`` returned (kinds: see ``flperf.sim.log.CHUNK_KINDS``).
    On Linux perf_counter_ns is CLOCK_MONOTONIC, so these times compare with any other
    process's perf_counter_ns on the same machine.
"""

from __future__ import annotations

from flperf.sim.config import SimConfig
from flperf.sim.server import SimServer

__all__ = ["SimConfig", "SimServer"]
