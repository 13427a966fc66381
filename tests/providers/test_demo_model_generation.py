"""The demo model on the real runtime always generates exactly the tokens asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flperf.host.chat_params import parse_chat_request
from flperf.host.engine import ChatEngine
from flperf.providers import FoundryProvider
from flperf.providers.local_models import ensure_demo

pytestmark = pytest.mark.foundry


@pytest.fixture(scope="module")
def engine(foundry: FoundryProvider) -> Iterator[ChatEngine]:
    model: Any = ensure_demo(foundry.runtime)
    model.load()
    engine = ChatEngine(foundry.runtime.sdk, model)
    yield engine
    engine.close()  # its idle sessions hold the model
    model.unload()


@pytest.mark.parametrize("temperature", [0.0, 0.7])
@pytest.mark.parametrize("max_tokens", [1, 16, 64, 300])
def test_completion_tokens_equal_max_tokens(
    engine: ChatEngine, max_tokens: int, temperature: float
) -> None:
    params = parse_chat_request(
        {
            "messages": [{"role": "user", "content": "Tell me a long story about a river."}],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
    )
    pieces: list[str] = []
    result = engine.stream(params, pieces.extend)
    assert result.completion_tokens == max_tokens
    assert result.finish_reason == "length"
    assert len(pieces) == max_tokens  # one visible text piece per token
    assert all(piece and piece.isascii() for piece in pieces)


def test_finished_sessions_are_reused_per_set_of_options(engine: ChatEngine) -> None:
    def body(**extra: object) -> dict[str, object]:
        return {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4, **extra}

    engine.close()
    before = engine.sessions_created
    usages = []
    pieces: list[str] = []
    for extra in ({}, {}, {"seed": 1}, {"seed": 2}, {}):
        result = engine.stream(parse_chat_request({**body(**extra), "stream": True}), pieces.extend)
        usages.append(result.prompt_tokens)
    assert engine.sessions_created - before == 2  # one without a seed, one with
    assert len(set(usages)) == 1  # no request saw an earlier one's turns
    engine.complete(parse_chat_request(body()))  # a whole answer needs its own kind
    assert engine.sessions_created - before == 3


def test_same_seed_gives_the_same_text(engine: ChatEngine) -> None:
    body = {
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 32,
        "temperature": 0.7,
        "seed": 7,
    }
    first = engine.complete(parse_chat_request(body))
    second = engine.complete(parse_chat_request(body))
    assert first.text == second.text
    assert first.completion_tokens == 32
