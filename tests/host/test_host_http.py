"""OpenAI-compatible HTTP of a real host serving the demo model."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from flperf.host import HostHandle
from flperf.providers import DEMO_MODEL_ID

pytestmark = pytest.mark.foundry


def chat(max_tokens: int, **extra: object) -> dict[str, object]:
    return {
        "model": DEMO_MODEL_ID,
        "messages": [{"role": "user", "content": "Tell me about rivers."}],
        "max_tokens": max_tokens,
        **extra,
    }


def sse_events(response: httpx.Response) -> list[str]:
    return [line[len("data: ") :] for line in response.iter_lines() if line.startswith("data: ")]


def test_stream_has_openai_shape_and_exact_usage(demo_host: HostHandle) -> None:
    body = chat(64, stream=True, stream_options={"include_usage": True}, temperature=0.7)
    with httpx.stream("POST", demo_host.base_url + "/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
    assert len(content) == 64
    finish = chunks[-2]
    assert finish["choices"][0]["finish_reason"] == "length"
    usage = chunks[-1]
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == 64
    assert usage["usage"]["total_tokens"] == 64 + usage["usage"]["prompt_tokens"]
    assert {c["id"] for c in chunks} == {chunks[0]["id"]}


def test_stream_without_include_usage_has_no_usage_chunk(demo_host: HostHandle) -> None:
    with httpx.stream(
        "POST", demo_host.base_url + "/chat/completions", json=chat(8, stream=True)
    ) as response:
        events = sse_events(response)
    chunks = [json.loads(e) for e in events[:-1]]
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_non_streaming_answer_has_usage(demo_host: HostHandle) -> None:
    response = httpx.post(demo_host.base_url + "/chat/completions", json=chat(300))
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["usage"]["completion_tokens"] == 300
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["choices"][0]["message"]["content"]


def test_stop_string_ends_generation_early(demo_host: HostHandle) -> None:
    body = chat(200, temperature=0.7, seed=3)
    text = httpx.post(demo_host.base_url + "/chat/completions", json=body).json()
    full = text["choices"][0]["message"]["content"]
    stop = full[40:43]
    stopped = httpx.post(demo_host.base_url + "/chat/completions", json={**body, "stop": [stop]})
    answer = stopped.json()
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert answer["choices"][0]["message"]["content"] == full[: full.index(stop)]
    assert answer["usage"]["completion_tokens"] < 200


def test_models_and_health(demo_host: HostHandle) -> None:
    models = httpx.get(demo_host.base_url + "/models").json()
    assert [m["id"] for m in models["data"]] == [DEMO_MODEL_ID]
    health = httpx.get(demo_host.url + "/health").json()
    assert health["loaded"] is True
    assert health["pid"] == demo_host.pid
    report = demo_host.health()
    assert report.ok
    assert report.latency_ms is not None


def test_unknown_model_name_is_404_and_bad_body_is_400(demo_host: HostHandle) -> None:
    url = demo_host.base_url + "/chat/completions"
    missing = httpx.post(url, json={**chat(1), "model": "other:1"})
    assert missing.status_code == 404
    assert "other:1" in missing.json()["error"]["message"]
    bad = httpx.post(url, json={"messages": []})
    assert bad.status_code == 400
    assert "messages" in bad.json()["error"]["message"]
    alias = httpx.post(url, json={**chat(1), "model": "flperf-demo"})
    assert alias.status_code == 200


def test_two_streams_are_served_at_the_same_time(demo_host: HostHandle) -> None:
    spans: dict[int, tuple[float, float]] = {}
    # Both requests leave together (clients made beforehand, a barrier), and each stream is
    # long (~4,000 tokens of the 4,096 context): a thread delayed on a busy machine once sent
    # its request after the other's whole 1,500-token stream had ended.
    clients = [httpx.Client(base_url=demo_host.base_url, timeout=60) for _ in range(2)]
    together = threading.Barrier(2)

    def run(key: int) -> None:
        body = chat(4000, stream=True)
        first = last = 0.0
        together.wait()
        with clients[key].stream("POST", "/chat/completions", json=body) as r:
            for line in r.iter_lines():
                if '"content":"' in line and '"role"' not in line:
                    last = time.perf_counter()
                    first = first or last
        spans[key] = (first, last)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    (a_start, a_end), (b_start, b_end) = spans[0], spans[1]
    assert a_start < b_end and b_start < a_end  # their token streams overlap in time


def test_client_disconnect_cancels_generation(demo_host: HostHandle) -> None:
    body = chat(4000, stream=True)
    with httpx.stream("POST", demo_host.base_url + "/chat/completions", json=body) as response:
        for line in response.iter_lines():
            if '"content":"' in line and '"role"' not in line:
                break
    record = demo_host.wait_for_log(lambda r: "client went away" in r.message, 10)
    assert record is not None, demo_host.log_tail()
    pieces = int(record.message.split("after ")[1].split(" ")[0])
    assert pieces < 4000


def test_openai_provider_recognises_a_host(demo_host: HostHandle) -> None:
    from flperf.providers import ModelTarget, OpenAIProvider, probe_endpoint

    info = probe_endpoint(demo_host.url)
    assert (info.kind, info.server_pid, info.models) == (
        "flperf-host",
        demo_host.pid,
        [DEMO_MODEL_ID],
    )
    report = OpenAIProvider().health(
        ModelTarget("openai", DEMO_MODEL_ID, endpoint=demo_host.base_url)
    )
    assert report.ok


def test_streamed_request_beyond_the_context_is_a_400_before_any_stream(
    demo_host: HostHandle,
) -> None:
    body = chat(5000, stream=True)
    response = httpx.post(demo_host.base_url + "/chat/completions", json=body)
    assert response.status_code == 400
    assert "context length" in response.json()["error"]["message"]


def test_repeated_requests_carry_no_history(demo_host: HostHandle) -> None:
    body = chat(8, stream=True, stream_options={"include_usage": True})
    prompt_tokens = []
    with httpx.Client(base_url=demo_host.base_url) as client:
        for extra in ({}, {"seed": 3}, {}, {"seed": 3}):
            with client.stream("POST", "/chat/completions", json={**body, **extra}) as response:
                usage = json.loads(sse_events(response)[-2])["usage"]
            prompt_tokens.append(usage["prompt_tokens"])
    assert len(set(prompt_tokens)) == 1


def test_engine_client_times_streams_over_one_kept_alive_connection(
    demo_host: HostHandle,
) -> None:
    from flperf.bench import event_loop
    from flperf.bench.client import ChatClient, RequestPlan, build_body

    body = build_body(DEMO_MODEL_ID, [{"role": "user", "content": "Hi."}], 32, 0.0, True)
    plan = RequestPlan(0, "demo", "s", 0, False, 0, body, 32, True)

    async def run() -> list[Any]:
        async with ChatClient(demo_host.base_url, timeout_s=60, ref_ns=0, pool_size=1) as client:
            captures = [await client.send(plan, time.perf_counter_ns()) for _ in range(3)]
            return [client.record(capture) for capture in captures]

    records = event_loop.run(run())
    assert all(r.ok and r.output_tokens == 32 and r.chunk_count == 32 for r in records)
    assert all(r.ttft_ms is not None and 0 < r.ttft_ms <= (r.e2e_ms or 0) for r in records)


def test_http10_stream_is_not_chunked_and_ends_with_the_connection(
    demo_host: HostHandle,
) -> None:
    payload = json.dumps(chat(4, stream=True)).encode()
    request = (
        f"POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    data = b""
    with socket.create_connection(("127.0.0.1", demo_host.port), timeout=30) as sock:
        sock.sendall(request)
        while chunk := sock.recv(65536):
            data += chunk
    head, _, stream = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"transfer-encoding" not in head.lower()
    events = [e for e in stream.split(b"\n\n") if e]
    assert events[-1] == b"data: [DONE]"
    assert sum(b'"content":"' in e and b'"role"' not in e for e in events) == 4
