"""How `flperf bench` gets its models served: an endpoint you run, or Foundry Local hosts.

With `--endpoint` every model is a name sent to that server, which is neither started nor
stopped. Without it each `--model` is a Foundry Local model id or alias: a host process is
started just before the model's turn and stopped right after it, as the server does for runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.runner import Target
from flperf.bench.session import ModelRef, ServeError, StaticServing


def endpoint_serving(
    names: Sequence[str], endpoint: str, api_key: str | None, pid: int | None
) -> EndpointServing:
    """Models of an OpenAI-compatible server the user runs (nothing to start or stop)."""
    return EndpointServing(
        [Target(name, endpoint, name, api_key=api_key, pid=pid) for name in names]
    )


class EndpointServing(StaticServing):
    """Models of a server the user runs, with what that server tells about their lifecycle
    (Ollama: whether a model is loaded before its turn, its memory after; others: nothing,
    and why)."""

    def serve(self, key: str) -> Target:
        target = super().serve(key)
        facts = self._facts_now(target).model_copy(update={"started_for_run": False})
        return replace(target, lifecycle=facts)

    def release(self, key: str) -> ModelLifecycle | None:
        return self._facts_now(super().serve(key))

    @staticmethod
    def _facts_now(target: Target) -> ModelLifecycle:
        from flperf.providers import ModelTarget, OpenAIProvider

        model = ModelTarget("openai", target.served_model, endpoint=target.endpoint)
        return OpenAIProvider().lifecycle(model)


class FoundryServing:
    """Foundry Local models, each served by a host process for the length of its turn.

    Models are looked up in the catalogs first, so records carry each model's alias; a model
    that cannot be found is still listed (under the name given) and fails when served.
    """

    def __init__(self, names: Sequence[str], start_timeout_s: float = 120.0) -> None:
        from flperf.host import HostManager
        from flperf.providers import FoundryProvider, ProviderError

        self._provider = FoundryProvider(hosts=HostManager())
        self._timeout_s = start_timeout_s
        self._ids: dict[str, str] = {}
        self._facts: dict[str, dict[str, Any]] = {}
        self._problems: dict[str, str] = {}
        self.models: list[ModelRef] = []
        for name in names:
            try:
                info = self._provider.get_model(name)
            except ProviderError as exc:
                self._problems[name] = _first_line(exc)
                self.models.append(ModelRef(name))
                continue
            key = info.alias or name
            self._ids[key] = info.id
            self._facts[key] = info.run_facts()
            self.models.append(ModelRef(key, info.alias))

    def describe(self, key: str) -> dict[str, Any]:
        return self._facts.get(key, {"provider": "foundry", "model_variant_id": key})

    def serve(self, key: str) -> Target:
        from flperf.providers import ModelTarget, ProviderError

        if key in self._problems:
            raise ServeError(self._problems[key])
        try:
            served = self._provider.start(
                ModelTarget(provider="foundry", model_id=self._ids[key]), timeout_s=self._timeout_s
            )
        except ProviderError as exc:  # a host that does not come up is one too
            raise ServeError(_first_line(exc)) from None
        # Every model gets a host of its own for its turn: it is started and loaded for it.
        facts = (served.lifecycle or ModelLifecycle()).model_copy(
            update={"started_for_run": True, "cold_start": True}
        )
        return Target(
            name=key,
            endpoint=served.base_url,
            served_model=served.model,
            pid=served.pid,
            lifecycle=facts,
        )

    def release(self, key: str) -> ModelLifecycle | None:
        from flperf.providers import ModelTarget

        if key not in self._ids:
            return None
        return self._provider.stop(ModelTarget(provider="foundry", model_id=self._ids[key]))

    def close(self) -> None:
        """Stop every host still running (after a failure or Ctrl-C)."""
        self._provider.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
