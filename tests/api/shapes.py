"""The documented shapes of spec/api.md, as field -> accepted types, and a checker."""

from __future__ import annotations

from typing import Any

NoneType = type(None)
Number = (int, float)
OptNumber = (int, float, NoneType)
OptStr = (str, NoneType)

MODEL = {
    "id": str,
    "alias": str,
    "model_id": str,
    "endpoint": OptStr,
    "status": str,
    "last_error": OptStr,
    "last_heartbeat": (int, NoneType),
    "created_at": int,
    "updated_at": int,
}
LOG = {
    "id": int,
    "entity_type": str,
    "entity_id": OptStr,
    "level": str,
    "message": str,
    "metadata": (dict, NoneType),
    "created_at": int,
}
RUN = {
    "id": str,
    "suite_name": str,
    "model_ids": list,
    "config": dict,
    "hardware_info": (dict, NoneType),
    "status": str,
    "started_at": (int, NoneType),
    "completed_at": (int, NoneType),
}
RESULT = {
    "id": str,
    "run_id": str,
    "model_id": str,
    "scenario": str,
    "tps": OptNumber,
    "ttft": OptNumber,
    "latency_p50": OptNumber,
    "latency_p95": OptNumber,
    "latency_p99": OptNumber,
    "error_rate": Number,
    "timeout_rate": Number,
    "cpu_avg": OptNumber,
    "ram_avg": OptNumber,
    "gpu_avg": OptNumber,
}


def check_shape(obj: Any, shape: dict[str, Any], where: str = "") -> None:
    """Every documented field is present with a documented type (bool is not a number)."""
    assert isinstance(obj, dict), f"{where}: expected an object, got {obj!r}"
    for name, types in shape.items():
        assert name in obj, f"{where}: field {name!r} missing in {sorted(obj)}"
        value = obj[name]
        accepted = types if isinstance(types, tuple) else (types,)
        if isinstance(value, bool):
            assert bool in accepted, f"{where}.{name}: bool where {accepted} expected"
        assert isinstance(value, accepted), f"{where}.{name}: {value!r} is not {accepted}"
