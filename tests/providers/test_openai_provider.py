"""Probing OpenAI-compatible servers: which kind answers, and what an unreachable one gives."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from flperf.providers import EndpointUnreachableError, ModelTarget, OpenAIProvider
from flperf.providers.openai import normalize_base_url, probe_endpoint
from tests.providers.conftest import closed_port

MODELS = {"object": "list", "data": [{"id": "m1", "object": "model"}]}
COMPLETION = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}}]}


def serve(routes: dict[str, Any]) -> Iterator[str]:
    """A tiny fixture server answering GET/POST paths with fixed JSON (404 elsewhere)."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = routes.get(self.path.split("?")[0])
            data = json.dumps(body).encode() if body is not None else b"{}"
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._answer()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def ollama() -> Iterator[str]:
    yield from serve(
        {
            "/v1/models": MODELS,
            "/api/version": {"version": "0.5.1"},
            "/v1/chat/completions": COMPLETION,
        }
    )


@pytest.fixture
def foundry_new() -> Iterator[str]:
    yield from serve(
        {"/v1/models": MODELS, "/status": {"endpoints": ["x"], "pid": 4321, "modelCachePath": "/m"}}
    )


@pytest.fixture
def foundry_old() -> Iterator[str]:
    yield from serve(
        {"/v1/models": MODELS, "/openai/status": {"Endpoints": ["x"], "ModelDirPath": "/m"}}
    )


@pytest.fixture
def plain() -> Iterator[str]:
    yield from serve({"/v1/models": MODELS, "/v1/chat/completions": COMPLETION})


def test_ollama_is_recognised(ollama: str) -> None:
    info = probe_endpoint(ollama)
    assert (info.reachable, info.kind, info.models) == (True, "ollama", ["m1"])


def test_foundry_cli_010_and_sdk_service_are_recognised_with_their_pid(foundry_new: str) -> None:
    info = probe_endpoint(foundry_new + "/v1/")
    assert (info.kind, info.server_pid) == ("foundry", 4321)


def test_foundry_cli_08_is_recognised(foundry_old: str) -> None:
    assert probe_endpoint(foundry_old).kind == "foundry-0.8"


def test_other_servers_are_plain_openai(plain: str) -> None:
    assert probe_endpoint(plain).kind == "openai"


def test_unreachable_endpoint_is_reported_quickly() -> None:
    started = time.perf_counter()
    info = probe_endpoint(f"http://127.0.0.1:{closed_port()}")
    assert not info.reachable
    assert info.detail
    assert time.perf_counter() - started < 2.0


def test_start_checks_reachability_and_keeps_the_given_pid(plain: str) -> None:
    provider = OpenAIProvider()
    served = provider.start(ModelTarget("openai", "m1", endpoint=plain, pid=99))
    assert served.base_url == plain + "/v1"
    assert served.pid == 99
    with pytest.raises(EndpointUnreachableError):
        provider.start(ModelTarget("openai", "m1", endpoint=f"http://127.0.0.1:{closed_port()}"))


def test_health_sends_a_one_token_request(ollama: str) -> None:
    report = OpenAIProvider().health(ModelTarget("openai", "m1", endpoint=ollama))
    assert report.ok
    assert report.extra["kind"] == "ollama"


def test_base_url_is_normalised() -> None:
    assert normalize_base_url("localhost:11434/v1/") == "http://localhost:11434"
    assert normalize_base_url("http://h:1/openai") == "http://h:1"


def test_health_of_a_model_the_server_does_not_list_says_what_it_serves(plain: str) -> None:
    report = OpenAIProvider().health(ModelTarget("openai", "m2", endpoint=plain))
    assert report.answered and not report.model_loaded and not report.ok
    assert report.detail == f"model 'm2' is not served by {plain}/v1; it serves: m1"


def test_an_openai_server_is_the_users_so_it_only_gets_checked(plain: str) -> None:
    provider = OpenAIProvider()
    target = ModelTarget("openai", "m1", endpoint=plain)
    assert not provider.owns_server
    assert provider.prepare(target).state == "ready"
    assert provider.server(target) is None and list(provider.new_logs(target)) == []
    assert provider.run_facts(target) == {"endpoint": plain}
    with pytest.raises(EndpointUnreachableError):
        provider.prepare(ModelTarget("openai", "m1", endpoint=f"http://127.0.0.1:{closed_port()}"))
