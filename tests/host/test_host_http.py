"""OpenAI-compatible HTTP of a real host serving the demo model."""

from __future__ import annotations

import json
import threading
import time

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

    def run(key: int) -> None:
        body = chat(1500, stream=True)
        first = last = 0.0
        with httpx.stream("POST", demo_host.base_url + "/chat/completions", json=body) as r:
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
