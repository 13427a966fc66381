"""Run settings: the load as a typed union, the flat spec keys, one set of bounds, and a workload
hash derived from the schema."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from flperf.bench.run_config import (
    ClosedLoad,
    ConstantRateLoad,
    PoissonRateLoad,
    RunConfig,
    config_bounds,
    field_name,
    workload_hash,
)

SUITE = {"name": "default", "scenarios": [{"name": "a", "prompt": "hi", "max_tokens": 8}]}
BASE: dict[str, Any] = {"iterations": 10, "max_tokens": 128, "temperature": 0.7}


def _hash(**settings: Any) -> str:
    return workload_hash(SUITE, RunConfig.model_validate({**BASE, **settings}))


def test_spec_flat_concurrency_becomes_a_closed_loop() -> None:
    config = RunConfig.model_validate({"iterations": 5, "concurrency": 4, "timeout": 30000})
    assert config.load == ClosedLoad(concurrency=4)
    assert config.model_dump(mode="json")["concurrency"] == 4  # the spec's field, still there


def test_flat_rate_keys_become_a_rate_load_with_its_seed() -> None:
    config = RunConfig.model_validate(
        {"rate": 5, "rate_mode": "poisson", "max_concurrency": 3, "seed": 9}
    )
    assert config.load == PoissonRateLoad(rate=5, max_concurrency=3, seed=9)
    constant = RunConfig.model_validate({"rate": 2})
    assert constant.load == ConstantRateLoad(rate=2)


def test_a_dumped_config_reads_back_equal() -> None:
    for load in ({"kind": "closed", "concurrency": 3}, {"kind": "poisson", "rate": 4, "seed": 2}):
        config = RunConfig.model_validate({"load": load, "trials": 2})
        assert RunConfig.model_validate(config.model_dump(mode="json")) == config


def test_configs_stored_by_earlier_versions_still_load() -> None:
    stored = {
        "iterations": 5,
        "concurrency": 2,
        "rate": None,
        "rate_mode": "constant",
        "max_concurrency": None,
        "warmup": 1,
        "timeout": 30000,
        "temperature": 0.7,
        "max_tokens": None,
        "streaming": True,
        "trials": 1,
        "seed": 0,
        "scenarios": None,
        "slos": [],
    }
    assert RunConfig.model_validate(stored).load == ClosedLoad(concurrency=2)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_concurrency": 2}, "max_concurrency applies only with a request rate"),
        ({"rate": 2, "concurrency": 8}, "with a request rate use max_concurrency"),
        ({"load": {"kind": "closed", "concurrency": 2}, "concurrency": 3}, "not both"),
        ({"load": {"kind": "constant", "rate": 1, "seed": 3}}, "seed"),
        ({"rate": 1, "rate_mode": "bursty"}, "rate_mode"),
    ],
)
def test_contradictory_load_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RunConfig.model_validate(settings)
    assert message in str(caught.value)


def test_errors_in_the_load_name_the_setting_as_users_write_it() -> None:
    with pytest.raises(ValidationError) as caught:
        RunConfig.model_validate({"concurrency": 0})
    (error,) = caught.value.errors()
    assert field_name(error["loc"]) == "concurrency"


def test_bounds_come_from_the_schema_for_every_numeric_setting() -> None:
    bounds = config_bounds()
    assert bounds["concurrency"].minimum == 1 and bounds["concurrency"].maximum == 1024
    assert bounds["rate"].minimum == 0.001
    assert bounds["max_concurrency"].maximum == 4096
    assert bounds["timeout"].minimum == 100  # milliseconds, as in the API and the CLI
    with pytest.raises(ValidationError):
        RunConfig.model_validate({"concurrency": bounds["concurrency"].maximum + 1})


def test_constant_and_poisson_runs_are_different_workloads() -> None:
    assert _hash(rate=5, rate_mode="constant") != _hash(rate=5, rate_mode="poisson")


def test_the_in_flight_cap_and_trials_change_the_workload() -> None:
    assert _hash(rate=5) != _hash(rate=5, max_concurrency=2)
    assert _hash(trials=1) != _hash(trials=3)
    assert _hash(rate=5, rate_mode="poisson", seed=1) != _hash(rate=5, rate_mode="poisson", seed=2)


def test_every_setting_changes_the_hash_unless_the_schema_says_it_does_not() -> None:
    base = _hash()
    for key, value in [
        ("iterations", 11),
        ("concurrency", 4),
        ("max_tokens", 64),
        ("streaming", False),
        ("warmup", 3),
        ("temperature", 0.0),
    ]:
        assert _hash(**{key: value}) != base, key
    # Not workload: how long to wait, which objectives to judge, and the selection (the suite
    # snapshot the hash covers is already the selected one).
    assert _hash(timeout=1000, slos=["ttft_p95_ms=5"], scenarios=["a"]) == base


def test_a_new_field_counts_as_workload_unless_marked() -> None:
    workload_fields = set(RunConfig().workload())
    marked = {"timeout", "scenarios", "slos"}
    assert workload_fields == set(RunConfig.model_fields) - marked


def test_hash_ignores_key_order_and_equal_numbers() -> None:
    assert _hash(temperature=1) == _hash(temperature=1.0)
    reordered = dict(reversed(list(BASE.items())))
    assert workload_hash(SUITE, RunConfig.model_validate(reordered)) == _hash()
    assert workload_hash({**SUITE, "description": "x"}, RunConfig.model_validate(BASE)) != _hash()
