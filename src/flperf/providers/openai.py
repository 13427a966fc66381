"""The ``openai`` provider: an OpenAI-compatible server the user already runs.

Ollama, llama.cpp's llama-server, vLLM, LM Studio, or a Foundry Local CLI service (0.8.x
answers ``/openai/status``, 0.10+ and the SDK web service ``/status``). Start and stop only
check reachability; the server's PID, when given, lets the monitor attribute resources to it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flperf.bench.lifecycle import ModelLifecycle
from flperf.endpoint_health import HealthReport, one_token_request
from flperf.providers.errors import EndpointUnreachableError
from flperf.providers.registry import (
    LogLine,
    ModelTarget,
    Preparation,
    Provider,
    ServedModel,
    ServerProcess,
    register_provider,
)

PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class ProbeAnswer:
    """One GET of a probe route."""

    status: int | None
    body: Any = None
    error: str | None = None


@dataclass(frozen=True)
class EndpointInfo:
    """What probing an endpoint found out."""

    base_url: str
    reachable: bool
    kind: str
    """``ollama``, ``foundry-0.8``, ``foundry``, ``flperf-host``, ``openai`` or ``unknown``."""
    models: list[str] = field(default_factory=list)
    server_pid: int | None = None
    """PID the server reports about itself (Foundry Local's status routes), when it does."""
    detail: str | None = None


def normalize_base_url(endpoint: str) -> str:
    """The server root: scheme and host, no trailing slash and no ``/v1``."""
    url = endpoint.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    for suffix in ("/v1", "/openai"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def _get(url: str, timeout_s: float) -> ProbeAnswer:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read(1_000_000)
            status = response.status
    except urllib.error.HTTPError as exc:
        return ProbeAnswer(exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return ProbeAnswer(None, error=str(reason))
    try:
        return ProbeAnswer(status, json.loads(raw))
    except ValueError:
        return ProbeAnswer(status, raw.decode("utf-8", "replace"))


def _model_ids(body: Any) -> list[str]:
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return [str(m.get("id")) for m in body["data"] if isinstance(m, dict) and m.get("id")]
    return []


def probe_endpoint(endpoint: str, timeout_s: float = PROBE_TIMEOUT_S) -> EndpointInfo:
    """Find out whether ``endpoint`` answers and what kind of server it is."""
    base = normalize_base_url(endpoint)
    models = _get(base + "/v1/models", timeout_s)
    if models.status is None:
        return EndpointInfo(base, False, "unknown", detail=models.error)
    model_ids = _model_ids(models.body)
    health = _get(base + "/health", timeout_s)
    if isinstance(health.body, dict) and health.body.get("server") == "flperf-host":
        pid = health.body.get("pid")
        return EndpointInfo(
            base, True, "flperf-host", model_ids, pid if isinstance(pid, int) else None
        )
    status = _get(base + "/status", timeout_s)
    if status.status == 200 and isinstance(status.body, dict) and "endpoints" in status.body:
        return EndpointInfo(base, True, "foundry", model_ids, _pid(status.body))
    old_status = _get(base + "/openai/status", timeout_s)
    if old_status.status == 200 and isinstance(old_status.body, dict):
        return EndpointInfo(base, True, "foundry-0.8", model_ids, _pid(old_status.body))
    version = _get(base + "/api/version", timeout_s)
    if version.status == 200 and isinstance(version.body, dict) and "version" in version.body:
        return EndpointInfo(
            base, True, "ollama", model_ids, detail=f"ollama {version.body['version']}"
        )
    kind = "openai" if models.status == 200 else "unknown"
    detail = None if models.status == 200 else f"GET /v1/models answered {models.status}"
    return EndpointInfo(base, True, kind, model_ids, detail=detail)


OLLAMA_LOAD_TIME = (
    "Ollama reports load_duration only in its own /api/generate and /api/chat answers, not "
    "in the OpenAI-compatible stream flperf measures"
)
_MIB = 1024 * 1024


def server_lifecycle(info: EndpointInfo, model_id: str, timeout_s: float) -> ModelLifecycle:
    """What a server the user runs tells about ``model_id``'s lifecycle (never raises).

    Ollama lists the models it holds in memory, with their size, on ``/api/ps``: whether the
    model is loaded now (``cold_start``: the next request loads it) and how much memory it
    takes. A flperf host tells the facts it measured on ``/health``. Other servers tell nothing
    over their OpenAI-compatible API; `unavailable` says so.
    """
    facts = (
        ModelLifecycle(source=info.kind)
        .with_reason("download", "the user's server holds the model: flperf downloads nothing")
        .with_reason("unload", "the user's server unloads models on its own terms")
    )
    if info.kind == "flperf-host":  # a host another flperf started: it tells its own facts
        health = _get(info.base_url + "/health", timeout_s)
        told = health.body.get("lifecycle") if isinstance(health.body, dict) else None
        if isinstance(told, dict):
            return ModelLifecycle.model_validate(told).model_copy(update={"source": info.kind})
    if info.kind != "ollama":
        why = f"this server ({info.kind}) tells nothing about loading models over its OpenAI API"
        return facts.with_reason("load", why).with_reason("memory", why)
    facts = facts.with_reason("load", OLLAMA_LOAD_TIME)
    answer = _get(info.base_url + "/api/ps", timeout_s)
    if answer.status != 200 or not isinstance(answer.body, dict):
        why = f"Ollama's /api/ps did not answer ({answer.error or answer.status})"
        return facts.with_reason("memory", why)
    entry = _ollama_entry(answer.body, model_id)
    if entry is None:
        return facts.model_copy(update={"cold_start": True}).with_reason(
            "memory", "not loaded now: Ollama loads a model on its first request"
        )
    size = entry.get("size")
    memory = float(size) / _MIB if isinstance(size, int | float) and size > 0 else None
    loaded = facts.model_copy(update={"cold_start": False, "memory_after_load_mb": memory})
    return loaded.with_reason("memory", "Ollama's /api/ps gave no size for the model")


def _ollama_entry(body: dict[str, Any], model_id: str) -> dict[str, Any] | None:
    """The /api/ps entry of ``model_id`` (Ollama adds ``:latest`` to a name without a tag)."""
    names = {model_id, model_id + ":latest"}
    for entry in body.get("models") or []:
        if isinstance(entry, dict) and ({entry.get("name"), entry.get("model")} & names):
            return entry
    return None


def _pid(body: dict[str, Any]) -> int | None:
    for key in ("pid", "Pid", "processId"):
        value = body.get(key)
        if isinstance(value, int):
            return value
    return None


@register_provider("openai")
class OpenAIProvider(Provider):
    """An endpoint the user runs; flperf never starts or stops it."""

    owns_server = False

    def __init__(self, timeout_s: float = PROBE_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s

    def probe(self, endpoint: str) -> EndpointInfo:
        return probe_endpoint(endpoint, self.timeout_s)

    def start(self, target: ModelTarget, timeout_s: float = 60.0) -> ServedModel:
        """Check that the endpoint answers; raise `EndpointUnreachableError` when not."""
        if not target.endpoint:
            raise EndpointUnreachableError(f"model {target.model_id} has no endpoint configured")
        info = probe_endpoint(target.endpoint, min(timeout_s, self.timeout_s))
        if not info.reachable:
            raise EndpointUnreachableError(
                f"{info.base_url} does not answer ({info.detail or 'no response'})"
            )
        return ServedModel(
            model=target.model_id,
            base_url=info.base_url + "/v1",
            pid=target.pid or info.server_pid,
            kind=info.kind,
            lifecycle=server_lifecycle(info, target.model_id, self.timeout_s),
        )

    def stop(self, target: ModelTarget, timeout_s: float = 5.0) -> None:
        """Nothing to stop: the user owns the server."""

    def lifecycle(self, target: ModelTarget) -> ModelLifecycle:
        """What the server tells now (Ollama: whether the model is loaded, and its memory)."""
        if not target.endpoint:
            return ModelLifecycle(source="openai").with_reason("load", "no endpoint configured")
        info = probe_endpoint(target.endpoint, self.timeout_s)
        if not info.reachable:
            why = f"{info.base_url} does not answer ({info.detail or 'no response'})"
            return (
                ModelLifecycle(source="openai").with_reason("load", why).with_reason("memory", why)
            )
        return server_lifecycle(info, target.model_id, self.timeout_s)

    def server(self, target: ModelTarget) -> ServerProcess | None:
        """None: flperf never starts the user's server."""
        return None

    def new_logs(self, target: ModelTarget) -> Sequence[LogLine]:
        """Nothing: the server's output goes wherever the user sent it."""
        return []

    def prepare(self, target: ModelTarget) -> Preparation:
        """Check that the endpoint answers (the user's server holds the model)."""
        self.start(target)
        return Preparation("ready", 100.0)

    def prepare_status(self, target: ModelTarget) -> Preparation:
        return Preparation("ready", 100.0)

    def run_facts(self, target: ModelTarget) -> dict[str, Any]:
        return {"endpoint": target.endpoint}

    def health(self, target: ModelTarget) -> HealthReport:
        """Reachable, the model listed by ``/v1/models``, and a one-token answer; ``detail``
        says what is wrong (e.g. which models the server serves instead)."""
        if not target.endpoint:
            return HealthReport(False, False, False, detail="no endpoint configured")
        info = probe_endpoint(target.endpoint, self.timeout_s)
        if not info.reachable:
            return HealthReport(False, False, False, detail=info.detail)
        problems = []
        listed = not info.models or target.model_id in info.models
        if not listed:
            problems.append(
                f"model {target.model_id!r} is not served by {info.base_url}/v1; "
                f"it serves: {', '.join(info.models)}"
            )
        answered, latency, detail = one_token_request(
            info.base_url, target.model_id, max(self.timeout_s, 30.0)
        )
        if detail:
            problems.append(detail)
        return HealthReport(
            True,
            listed,
            answered,
            latency,
            "; ".join(problems) or None,
            {"kind": info.kind, "models": info.models},
        )
