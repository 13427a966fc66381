"""A one-prompt test of a configured model: the reply and its timing, measured by the engine."""

from __future__ import annotations

from pydantic import BaseModel, Field

from flperf.bench import event_loop
from flperf.bench.single import send_one
from flperf.bench.strict_json import StrictJsonModel
from flperf.service.errors import UpstreamError
from flperf.service.models import ModelService


class PromptTestBody(StrictJsonModel):
    """What to send."""

    prompt: str = Field(min_length=1, max_length=20_000)
    max_tokens: int = Field(default=64, ge=1, le=4096)
    temperature: float = Field(default=0.7, ge=0, le=2)


class PromptTestView(BaseModel):
    """The reply and the engine's record of the request (times in ms)."""

    status: str = Field(description="ok (a failed request answers 502 with the reason)")
    reply: str
    response: str = Field(description="The reply text (the original web client's name)")
    latency: float | None = Field(
        description="End-to-end time of the request, ms (the original web client's name)"
    )
    ttft_ms: float | None
    e2e_ms: float | None
    itl_ms: float | None
    gen_tps: float | None = Field(description="Decode speed, tokens/s")
    output_tokens: int | None
    prompt_tokens: int | None
    token_source: str | None
    error: str | None


def run_prompt_test(models: ModelService, model_id: str, body: PromptTestBody) -> PromptTestView:
    """Serve the model if needed (it stays running) and measure one request to it."""
    target, _ = models.ensure_serving(model_id, "a prompt test")
    record, reply = event_loop.run(
        send_one(target, body.prompt, max_tokens=body.max_tokens, temperature=body.temperature)
    )
    if not record.ok:
        reason = record.error_message or record.status.value
        raise UpstreamError(f"the model's server failed the prompt ({record.status}): {reason}")
    return PromptTestView(
        status=record.status.value,
        reply=reply,
        response=reply,
        latency=record.e2e_ms,
        ttft_ms=record.ttft_ms,
        e2e_ms=record.e2e_ms,
        itl_ms=record.itl_ms,
        gen_tps=record.gen_tps,
        output_tokens=record.output_tokens,
        prompt_tokens=record.prompt_tokens,
        token_source=record.token_source.value if record.token_source else None,
        error=record.error_message,
    )
