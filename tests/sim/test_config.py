"""SimConfig accepts what makes sense and names what does not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flperf.sim import SimConfig


def test_defaults_are_an_instant_fault_free_server() -> None:
    config = SimConfig()
    assert (config.model, config.ttft_ms, config.itl_ms, config.output_tokens) == (
        "sim-model",
        0,
        0,
        None,
    )
    assert config.tokens_per_chunk == 1 and config.role_chunk is True
    assert sum(config.fault_rates().values()) == 0
    assert config.stall_s == 30


@pytest.mark.parametrize(
    ("fields", "field_named"),
    [
        ({"ttft_ms": -1}, "ttft_ms"),
        ({"itl_ms": -0.5}, "itl_ms"),
        ({"tokens_per_chunk": 0}, "tokens_per_chunk"),
        ({"output_tokens": 0}, "output_tokens"),
        ({"jitter": 1.5}, "jitter"),
        ({"fail_500": 1.2}, "fail_500"),
        ({"stall": -0.1}, "stall"),
        ({"stall_s": -1}, "stall_s"),
        ({"model": ""}, "model"),
        ({"unknown_knob": 1}, "unknown_knob"),
    ],
)
def test_out_of_range_values_are_rejected_naming_the_field(
    fields: dict[str, object], field_named: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        SimConfig(**fields)
    assert caught.value.errors()[0]["loc"] == (field_named,)


def test_fault_rates_may_not_add_up_to_more_than_one() -> None:
    assert SimConfig(fail_500=0.5, stall=0.5).stall == 0.5
    with pytest.raises(ValidationError, match=r"add up to 1\.1"):
        SimConfig(fail_500=0.5, fail_429=0.3, disconnect=0.3)
