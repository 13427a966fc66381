"""Suites: the built-in default, validation errors that name file, scenario and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flperf.bench.workload import (
    WorkloadError,
    get_suite,
    list_suites,
    load_suite_file,
    prompt_suite,
    resolve_suite,
    synthetic_prompt,
)


def test_default_suite_has_nine_scenarios_within_token_bounds() -> None:
    suite = get_suite("default")
    assert len(suite.scenarios) == 9
    assert all(50 <= s.max_tokens <= 300 for s in suite.scenarios)
    assert "default" in [s.name for s in list_suites()]


def test_error_names_file_scenario_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    data = {
        "name": "bad",
        "scenarios": [
            {"name": "fine", "prompt": "hi", "max_tokens": 5},
            {"name": "broken", "prompt": "hi", "max_tokens": -1},
        ],
    }
    path.write_text(json.dumps(data))
    with pytest.raises(WorkloadError) as err:
        load_suite_file(path)
    message = str(err.value)
    assert str(path) in message
    assert "scenario 2 ('broken')" in message
    assert "'max_tokens'" in message


def test_scenario_needs_exactly_one_of_prompt_or_messages(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"name": "s", "scenarios": [{"name": "x", "max_tokens": 5}]}))
    with pytest.raises(WorkloadError, match="exactly one of 'prompt' or 'messages'"):
        load_suite_file(path)


def test_invalid_json_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{\n  oops\n}")
    with pytest.raises(WorkloadError, match="not valid JSON \\(line 2"):
        load_suite_file(path)


def test_bad_regex_pattern_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    scenario = {"name": "x", "prompt": "p", "max_tokens": 5, "expected_pattern": "(unclosed"}
    path.write_text(json.dumps({"name": "s", "scenarios": [scenario]}))
    with pytest.raises(WorkloadError, match="expected_pattern"):
        load_suite_file(path)


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "", "..", "x" * 100])
def test_suite_names_cannot_reach_outside(name: str) -> None:
    with pytest.raises(WorkloadError):
        get_suite(name)


def test_user_suite_in_data_dir_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLPERF_HOME", str(tmp_path))
    (tmp_path / "suites").mkdir()
    suite = {"name": "mine", "scenarios": [{"name": "x", "prompt": "p", "max_tokens": 3}]}
    (tmp_path / "suites" / "mine.json").write_text(json.dumps(suite))
    assert resolve_suite("mine").scenarios[0].max_tokens == 3


def test_unknown_scenario_selection_names_it() -> None:
    with pytest.raises(WorkloadError, match="'nope'"):
        get_suite("default").select(["nope"])


def test_prompt_and_synthetic_suites() -> None:
    assert prompt_suite("Hello?", 7).scenarios[0].max_tokens == 7
    text = synthetic_prompt(200, seed=1)
    assert text == synthetic_prompt(200, seed=1)
    assert 180 <= len(text.split()) <= 210
    with pytest.raises(WorkloadError):
        prompt_suite("   ", 5)
