"""Workloads: benchmark suites (JSON files of scenarios), single prompts and synthetic prompts."""

from __future__ import annotations

import json
import random
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from flperf import config

BUILTIN_SUITES_PACKAGE = "flperf.bench.suites"
_SUITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class WorkloadError(ValueError):
    """A suite or prompt that cannot be used, with a message naming what was wrong."""


class Message(BaseModel):
    """One chat message sent to the model."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class Scenario(BaseModel):
    """One kind of request: a prompt (or messages) with its generation length."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    prompt: str | None = Field(default=None, min_length=1)
    messages: list[Message] | None = Field(default=None, min_length=1)
    max_tokens: int = Field(ge=1, le=32768)
    expected_output_length: int | None = Field(default=None, ge=1)
    expected_pattern: str | None = Field(
        default=None, description="Regular expression a correct answer matches (quality check)."
    )

    @model_validator(mode="after")
    def _one_input(self) -> Scenario:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give exactly one of 'prompt' or 'messages'")
        return self

    @field_validator("expected_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    def chat_messages(self) -> list[dict[str, str]]:
        """The messages to send, as plain dicts for the request body."""
        if self.messages is not None:
            return [m.model_dump() for m in self.messages]
        return [{"role": "user", "content": self.prompt or ""}]


class Suite(BaseModel):
    """A named, versioned list of scenarios."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    description: str = ""
    version: str = "1"
    scenarios: list[Scenario] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_scenarios(self) -> Suite:
        seen: set[str] = set()
        for scenario in self.scenarios:
            if scenario.name in seen:
                raise ValueError(f"scenario name {scenario.name!r} appears twice")
            seen.add(scenario.name)
        return self

    def select(self, names: list[str] | None) -> Suite:
        """A copy holding only the named scenarios (all of them when `names` is empty)."""
        if not names:
            return self
        known = {s.name for s in self.scenarios}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise WorkloadError(
                f"suite {self.name!r} has no scenario named {', '.join(map(repr, unknown))}"
            )
        return self.model_copy(update={"scenarios": [s for s in self.scenarios if s.name in names]})

    def content_dict(self) -> dict[str, Any]:
        """The suite as plain JSON data (what its content hash is computed from)."""
        return self.model_dump(mode="json")


def _describe_errors(source: str, data: Any, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
            idx = loc[1]
            name = None
            if isinstance(data, dict) and isinstance(data.get("scenarios"), list):
                scenarios = data["scenarios"]
                if idx < len(scenarios) and isinstance(scenarios[idx], dict):
                    name = scenarios[idx].get("name")
            where = f"scenario {idx + 1}" + (f" ({name!r})" if name else "")
            loc = loc[2:]
        field = ".".join(str(p) for p in loc)
        bits = [b for b in (where, f"field {field!r}" if field else "") if b]
        parts.append(f"{', '.join(bits) or 'suite'}: {err['msg']}")
    return f"{source}: " + "; ".join(parts)


def parse_suite(data: Any, source: str = "suite") -> Suite:
    """Validate suite data; errors name the source, the scenario and the field."""
    try:
        return Suite.model_validate(data)
    except ValidationError as exc:
        raise WorkloadError(_describe_errors(source, data, exc)) from None


def load_suite_file(path: Path) -> Suite:
    """Read and validate one suite file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkloadError(f"{path}: cannot read suite file ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkloadError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return parse_suite(data, str(path))


def _builtin_files() -> dict[str, Path]:
    root = resources.files(BUILTIN_SUITES_PACKAGE)
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in root.iterdir()
        if entry.name.endswith(".json")
    }


def _user_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(config.suites_dir().glob("*.json"))}


def list_suites() -> list[Suite]:
    """Every valid suite: the built-in ones, then the user's (a user suite may not shadow one)."""
    files = _builtin_files()
    for name, path in _user_files().items():
        files.setdefault(name, path)
    suites = []
    for _, path in sorted(files.items()):
        try:
            suites.append(load_suite_file(path))
        except WorkloadError:
            continue  # a broken user file must not hide the others; `get_suite` reports it
    return suites


def get_suite(name: str) -> Suite:
    """A suite by name (built-in or in the user's suites folder). Names cannot reach outside."""
    if not _SUITE_NAME.match(name):
        raise WorkloadError(f"invalid suite name {name!r}: use letters, digits, '.', '_' or '-'")
    path = _builtin_files().get(name) or _user_files().get(name)
    if path is None:
        known = sorted({*_builtin_files(), *_user_files()})
        raise WorkloadError(f"unknown suite {name!r} (known: {', '.join(known)})")
    return load_suite_file(path)


def resolve_suite(name_or_path: str) -> Suite:
    """A suite given as a name or as a path to a JSON file."""
    if name_or_path.endswith(".json") or "/" in name_or_path or "\\" in name_or_path:
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise WorkloadError(f"suite file not found: {name_or_path}")
        return load_suite_file(path)
    return get_suite(name_or_path)


def prompt_suite(prompt: str, max_tokens: int) -> Suite:
    """A one-scenario suite for a single prompt given on the command line."""
    if not prompt.strip():
        raise WorkloadError("--prompt is empty")
    return parse_suite(
        {
            "name": "prompt",
            "description": "A single prompt given on the command line",
            "scenarios": [{"name": "prompt", "prompt": prompt, "max_tokens": max_tokens}],
        },
        "--prompt",
    )


_WORDS = (
    "system",
    "model",
    "token",
    "latency",
    "memory",
    "river",
    "stone",
    "garden",
    "window",
    "signal",
    "number",
    "market",
    "cloud",
    "engine",
    "paper",
    "light",
    "bridge",
    "forest",
    "letter",
    "planet",
    "music",
    "season",
    "orange",
    "harbor",
    "pencil",
    "silver",
    "valley",
    "winter",
    "circle",
    "mirror",
    "rocket",
    "island",
    "coffee",
    "ladder",
    "violet",
    "thunder",
    "castle",
)


def synthetic_prompt(target_tokens: int, seed: int = 0) -> str:
    """A deterministic prompt of about `target_tokens` tokens (a common word is about 1 token)."""
    if target_tokens < 1:
        raise WorkloadError("synthetic prompt length must be at least 1 token")
    rng = random.Random(seed)
    words = [rng.choice(_WORDS) for _ in range(max(target_tokens - 8, 1))]
    return "Repeat the following words back in order: " + " ".join(words)


def synthetic_suite(prompt_tokens: int, max_tokens: int, seed: int = 0) -> Suite:
    """A one-scenario suite with a synthetic prompt of a target token length."""
    return parse_suite(
        {
            "name": f"synthetic-{prompt_tokens}",
            "description": f"Synthetic prompt of about {prompt_tokens} tokens",
            "scenarios": [
                {
                    "name": f"synthetic-{prompt_tokens}in-{max_tokens}out",
                    "prompt": synthetic_prompt(prompt_tokens, seed),
                    "max_tokens": max_tokens,
                    "expected_output_length": max_tokens,
                }
            ],
        },
        "synthetic prompt",
    )
