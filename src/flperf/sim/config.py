"""Configuration of the simulated OpenAI-compatible server."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

FAULT_KINDS: tuple[str, ...] = ("fail_500", "fail_429", "disconnect", "malformed", "stall")
"""Injectable faults, in the order the per-request draw tests them."""


class SimConfig(BaseModel):
    """Timings, output size and fault rates of the simulator.

    Timing model (all delays in milliseconds, measured from the moment the request was
    completely read): the first content chunk is written at ``ttft_ms``; each later content
    chunk carrying ``t`` tokens is written ``t * itl_ms`` after the previous one, so ``itl_ms``
    is the time *per token* and chunks of ``tokens_per_chunk`` tokens are spaced
    ``tokens_per_chunk * itl_ms`` apart. With ``jitter`` j every delay is multiplied by a factor
    drawn uniformly from ``[1 - j, 1 + j]``.

    Capacity model: with ``capacity`` K set, at most K responses are generated at once; a request
    arriving while K are in progress waits in a FIFO queue, and its whole timeline (role chunk
    included) starts when a slot frees. A slot is held until the response's last write was due
    (a client that hangs up early does not free it sooner). Throughput therefore saturates at
    ``capacity_rps`` requests/s (a closed loop at K requests in flight) and, past that, TTFT
    grows with the queue.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field("sim-model", min_length=1, description="Model id reported by the server.")
    ttft_ms: float = Field(0.0, ge=0, description="Delay from request receipt to first content.")
    itl_ms: float = Field(0.0, ge=0, description="Delay per output token between content chunks.")
    output_tokens: int | None = Field(
        None,
        ge=1,
        description="Tokens per response; unset = request max_tokens, else 16.",
    )
    tokens_per_chunk: int = Field(1, ge=1, description="Tokens carried by each content chunk.")
    jitter: float = Field(0.0, ge=0, le=1, description="Relative spread of every delay.")
    seed: int = Field(0, description="Seed of the random draws (faults, jitter).")
    role_chunk: bool = Field(True, description="Send a role-only chunk on receipt.")
    fail_500: float = Field(0.0, ge=0, le=1, description="Rate of HTTP 500 answers.")
    fail_429: float = Field(0.0, ge=0, le=1, description="Rate of HTTP 429 answers.")
    disconnect: float = Field(0.0, ge=0, le=1, description="Rate of mid-stream disconnects.")
    malformed: float = Field(0.0, ge=0, le=1, description="Rate of one broken SSE chunk.")
    stall: float = Field(0.0, ge=0, le=1, description="Rate of streams that stop and hang.")
    stall_s: float = Field(30.0, ge=0, description="How long a stalled stream is held open.")
    answer: str | None = Field(
        None,
        max_length=2000,
        description="Text the first content chunk carries instead of its tokens' text (a reply "
        "that a suite's answer check passes or fails); token counts are unchanged.",
    )
    capacity: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Responses generated at once; more wait in a FIFO queue (unset: no limit).",
    )
    log_limit: int = Field(200_000, ge=1, description="Requests kept in the write log.")
    ollama: bool = Field(
        False,
        description="Also answer like Ollama: GET /api/version, and GET /api/ps listing the "
        "model (with its memory) once a chat request has loaded it.",
    )
    ollama_size_mb: float = Field(
        512.0, gt=0, description="Memory /api/ps reports for the loaded model, MiB (--ollama)."
    )
    spin_ms: float = Field(
        0.0,
        ge=0,
        le=100,
        description="Poll the loop this long before each deadline instead of waiting on a "
        "timer: chunks leave within ~0.1 ms of their time instead of ~1 ms, for more CPU.",
    )

    @model_validator(mode="after")
    def _fault_rates_fit(self) -> SimConfig:
        total = sum(self.fault_rates().values())
        if total > 1 + 1e-9:
            raise ValueError(f"fault rates add up to {total:g}, more than 1")
        return self

    def fault_rates(self) -> dict[str, float]:
        """Rate of each fault kind, keyed by name."""
        return {kind: float(getattr(self, kind)) for kind in FAULT_KINDS}

    def service_ms(self, output_tokens: int) -> float:
        """How long one response of ``output_tokens`` tokens holds a slot, ms (no jitter): the
        first chunk at ``ttft_ms``, then ``itl_ms`` per token after the first chunk's."""
        first = min(self.tokens_per_chunk, output_tokens)
        return self.ttft_ms + (output_tokens - first) * self.itl_ms

    def capacity_rps(self, output_tokens: int) -> float | None:
        """Requests/s the server completes at most with responses of ``output_tokens`` tokens:
        ``capacity`` / service time (None without a capacity, or with no service time)."""
        service = self.service_ms(output_tokens)
        if self.capacity is None or service <= 0:
            return None
        return self.capacity * 1000.0 / service
