"""One timed request with its reply text: the engine's measurement for a quick prompt test."""

from __future__ import annotations

from time import perf_counter_ns

from flperf.bench.client import ChatClient, RequestPlan, build_body
from flperf.bench.records import RequestRecord
from flperf.bench.runner import Target
from flperf.bench.sse import parse_completion, parse_stream


async def send_one(
    target: Target,
    prompt: str,
    *,
    max_tokens: int = 64,
    temperature: float | None = 0.7,
    timeout_s: float = 60.0,
) -> tuple[RequestRecord, str]:
    """Send `prompt` once (streaming, usage requested); return its record and the reply text."""
    body = build_body(
        target.served_model, [{"role": "user", "content": prompt}], max_tokens, temperature, True
    )
    plan = RequestPlan(
        index=0,
        model=target.name,
        scenario="prompt test",
        iteration=0,
        warmup=False,
        trial=0,
        body=body,
        max_tokens=max_tokens,
        streamed=True,
    )
    ref_ns = perf_counter_ns()
    async with ChatClient(
        target.endpoint,
        timeout_s=timeout_s,
        ref_ns=ref_ns,
        api_key=target.api_key,
        tokenizer=target.tokenizer,
    ) as client:
        capture = await client.send(plan, perf_counter_ns())
        record = client.record(capture)
    facts = parse_stream(capture.reads) if capture.is_stream else parse_completion(capture.body)
    return record, facts.text
