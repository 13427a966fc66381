"""What the server and a run's worker process say to each other: one JSON object per line.

The worker asks the server to describe, serve and release each model (the server owns model
services and their hosts) and reports progress and how the run ended; the server answers and
may ask it to cancel. Both sides validate every line against these models.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, Field, TypeAdapter

from flperf.bench.lifecycle import ModelLifecycle
from flperf.bench.run_document import RunState
from flperf.bench.runner import Target


class Describe(BaseModel):
    type: Literal["describe"] = "describe"
    key: str


class Described(BaseModel):
    type: Literal["described"] = "described"
    facts: dict[str, Any]


class Serve(BaseModel):
    type: Literal["serve"] = "serve"
    key: str


class TargetData(BaseModel):
    """A `Target` on the wire (its tokenizer, a function, stays behind)."""

    name: str
    endpoint: str
    served_model: str
    api_key: str | None = None
    pid: int | None = None
    lifecycle: ModelLifecycle | None = None

    @classmethod
    def of(cls, target: Target) -> TargetData:
        return cls(
            name=target.name,
            endpoint=target.endpoint,
            served_model=target.served_model,
            api_key=target.api_key,
            pid=target.pid,
            lifecycle=target.lifecycle,
        )

    def target(self) -> Target:
        return Target(
            self.name,
            self.endpoint,
            self.served_model,
            self.api_key,
            self.pid,
            lifecycle=self.lifecycle,
        )


class Served(BaseModel):
    """The answer to `Serve`: a target, or why there is none."""

    type: Literal["served"] = "served"
    target: TargetData | None = None
    error: str | None = None


class Release(BaseModel):
    type: Literal["release"] = "release"
    key: str


class Released(BaseModel):
    """The answer to `Release`: what stopping the model took, when the server knows."""

    type: Literal["released"] = "released"
    lifecycle: ModelLifecycle | None = None


class ProgressReport(BaseModel):
    """Where the run stands (sent a few times a second while it measures)."""

    type: Literal["progress"] = "progress"
    done: int
    total: int
    ok: int
    failed: int
    model: str | None
    scenario: str | None
    eta_s: float | None


class Finished(BaseModel):
    """How the run ended, once every record is stored."""

    type: Literal["finished"] = "finished"
    status: RunState
    error: str | None = None
    done: int


class Cancel(BaseModel):
    type: Literal["cancel"] = "cancel"


Message = Annotated[
    Describe | Described | Serve | Served | Release | Released | ProgressReport | Finished | Cancel,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(cast(Any, Message))


def encode(message: BaseModel) -> bytes:
    """One line of the conversation."""
    return message.model_dump_json().encode() + b"\n"


def decode(line: bytes | str) -> BaseModel:
    """The message on `line` (raises `pydantic.ValidationError` when it is not one)."""
    message: BaseModel = _ADAPTER.validate_json(line)
    return message
