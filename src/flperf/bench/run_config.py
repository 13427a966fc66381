"""The knobs of a benchmark run, validated once and shared by the CLI, the API and the UI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flperf.bench.stats import Slo, parse_slo


class RunConfig(BaseModel):
    """How a suite is run against each model. Field names follow spec/api.md's `config`."""

    model_config = ConfigDict(extra="forbid")

    iterations: int = Field(
        default=5, ge=1, le=100_000, description="Measured requests per scenario"
    )
    concurrency: int = Field(
        default=1, ge=1, le=1024, description="Requests in flight at once (closed loop)"
    )
    rate: float | None = Field(
        default=None, gt=0, le=100_000, description="Requests/s (open loop); None = closed loop"
    )
    rate_mode: Literal["constant", "poisson"] = Field(
        default="constant", description="Arrival process when `rate` is set"
    )
    max_concurrency: int | None = Field(
        default=None, ge=1, le=4096, description="Cap on requests in flight in open loop"
    )
    warmup: int = Field(
        default=1, ge=0, le=1000, description="Warm-up requests per scenario (measured, excluded)"
    )
    timeout: int = Field(
        default=30_000, ge=100, le=3_600_000, description="Per-request timeout, ms"
    )
    temperature: float | None = Field(default=0.7, ge=0, le=2)
    max_tokens: int | None = Field(
        default=None, ge=1, le=32768, description="Overrides every scenario's max_tokens"
    )
    streaming: bool = True
    trials: int = Field(default=1, ge=1, le=100, description="Repeats of each scenario")
    seed: int = Field(default=0, ge=0, description="Seed for anything random (Poisson arrivals)")
    scenarios: list[str] | None = Field(
        default=None, description="Run only these scenarios of the suite"
    )
    slos: list[str] = Field(
        default_factory=list,
        description="Service-level objectives such as 'ttft_p95_ms=500' (goodput, pass/fail)",
    )

    @field_validator("slos")
    @classmethod
    def _slos_parse(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_slo(text)  # raises ValueError naming what is wrong
        return value

    def parsed_slos(self) -> list[Slo]:
        """The SLOs as objects."""
        return [parse_slo(text) for text in self.slos]

    @model_validator(mode="after")
    def _cap_needs_rate(self) -> RunConfig:
        if self.max_concurrency is not None and self.rate is None:
            raise ValueError("max_concurrency applies only with a request rate")
        return self

    @property
    def timeout_s(self) -> float:
        """The per-request timeout in seconds."""
        return self.timeout / 1000.0
