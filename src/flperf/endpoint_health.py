"""Whether an OpenAI-compatible server works now: the health report and the one-token probe.

Neutral ground for `flperf.providers` and `flperf.host`: both ask servers the same question
and neither imports the other for it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HealthReport:
    """Whether a served model works now."""

    alive: bool
    """The server process or endpoint answers."""
    model_loaded: bool
    """The model is loaded and ready."""
    answered: bool
    """A one-token completion came back."""
    latency_ms: float | None = None
    detail: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.alive and self.model_loaded and self.answered


def one_token_request(base_url: str, model: str, timeout_s: float) -> tuple[bool, float, str]:
    """Send a one-token non-streaming completion; (answered, latency ms, detail).

    ``base_url`` is the server root (``/v1/chat/completions`` is appended).
    """
    payload = json.dumps(
        {
            "model": model,
            "max_tokens": 1,
            "stream": False,
            "messages": [{"role": "user", "content": "ping"}],
        }
    ).encode()
    request = urllib.request.Request(
        base_url.rstrip("/") + "/v1/chat/completions", payload, {"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace")
        return False, (time.perf_counter() - started) * 1e3, f"HTTP {exc.code}: {detail}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, (time.perf_counter() - started) * 1e3, str(exc)
    latency = (time.perf_counter() - started) * 1e3
    answered = isinstance(body, dict) and bool(body.get("choices"))
    return answered, latency, "" if answered else "no choices in the answer"
