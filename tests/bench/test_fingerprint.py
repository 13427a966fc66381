from __future__ import annotations

import platform
import time
from importlib import metadata

import psutil

from flperf.bench.fingerprint import (
    Fingerprint,
    GpuInfo,
    collect_fingerprint,
    comparability,
    fingerprint_differences,
    run_fingerprint,
)
from flperf.bench.run_config import RunConfig, workload_hash

SUITE = {"name": "default", "prompts": [{"messages": [{"role": "user", "content": "hi"}]}]}
CONFIG = {
    "iterations": 10,
    "concurrency": 2,
    "max_tokens": 128,
    "temperature": 0.7,
    "streaming": True,
}


def test_fingerprint_describes_this_machine() -> None:
    fp = collect_fingerprint()

    assert fp.cpu_cores_logical == psutil.cpu_count(logical=True)
    assert fp.ram_total_gb is not None
    assert abs(fp.ram_total_gb - psutil.virtual_memory().total / 1024**3) < 0.01
    assert fp.cpu_model
    assert fp.os_name == platform.system()
    assert fp.python_version == platform.python_version()
    assert fp.packages["flperf"] == metadata.version("flperf")


def test_fingerprint_reports_absent_packages_as_none() -> None:
    fp = collect_fingerprint()

    assert "onnxruntime-genai" in fp.packages
    for name, version in fp.packages.items():
        try:
            expected: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected = None
        assert version == expected, name


def test_fingerprint_takes_caller_fields_and_keeps_other_extras() -> None:
    fp = collect_fingerprint(
        {
            "execution_provider": "CPU",
            "model_variant_id": "demo:1",
            "model_file_size_mb": 2.8,
            "host": "lab-3",
        }
    )

    assert (fp.execution_provider, fp.model_variant_id, fp.model_file_size_mb) == (
        "CPU",
        "demo:1",
        2.8,
    )
    assert fp.extra == {"host": "lab-3"}


def test_fingerprint_survives_a_caller_value_of_the_wrong_type() -> None:
    fp = collect_fingerprint({"model_file_size_mb": "big"})

    assert fp.model_file_size_mb is None
    assert fp.extra == {"model_file_size_mb": "big"}


def test_fingerprint_is_fast() -> None:
    collect_fingerprint()  # first call pays imports
    started = time.perf_counter()
    collect_fingerprint()
    assert time.perf_counter() - started < 0.2


def test_fingerprint_round_trips_through_json() -> None:
    fp = collect_fingerprint({"execution_provider": "CPU"})

    assert Fingerprint.model_validate_json(fp.model_dump_json()) == fp


def test_comparability_names_the_reason_when_workloads_differ() -> None:
    a = workload_hash(SUITE, RunConfig.model_validate(CONFIG))
    b = workload_hash(SUITE, RunConfig.model_validate({**CONFIG, "concurrency": 8}))

    same = comparability(a, a)
    different = comparability(a, b)

    assert same.comparable and same.reason is None
    assert not different.comparable
    assert different.reason is not None and a[:12] in different.reason


def _fingerprint(**changes: object) -> Fingerprint:
    base = Fingerprint(
        cpu_model="Xeon",
        cpu_cores_physical=2,
        cpu_cores_logical=2,
        ram_total_gb=16.0,
        os_name="Linux",
        os_release="6.1",
        machine="x86_64",
        python_version="3.11.9",
        packages={"onnxruntime": "1.31.0", "onnxruntime-genai": None},
        execution_provider="CPU",
    )
    return base.model_copy(update=changes)


def test_fingerprint_differences_list_hardware_and_versions() -> None:
    a = _fingerprint()
    b = _fingerprint(
        execution_provider="CUDA",
        gpus=[GpuInfo(index=0, name="NVIDIA H100")],
        packages={"onnxruntime": "1.32.0", "onnxruntime-genai": None},
    )

    lines = fingerprint_differences(a, b)

    assert lines == [
        "execution_provider: CPU vs CUDA",
        "gpus: none vs ['NVIDIA H100']",
        "onnxruntime: 1.31.0 vs 1.32.0",
    ]
    assert fingerprint_differences(a, _fingerprint(os_release="6.2")) == []
    assert comparability("h", "h", a, b).differences == lines


def test_a_single_model_run_names_its_device_and_variant() -> None:
    facts = {
        "alias": "qwen-npu",
        "model_variant_id": "qwen2.5-0.5b-instruct-qnn-npu:3",
        "execution_provider": "QNNExecutionProvider",
        "device": "NPU",
        "model_file_size_mb": 510.0,
    }

    fp = run_fingerprint({"m1": facts})

    assert (fp.device, fp.execution_provider, fp.model_variant_id) == (
        "NPU",
        "QNNExecutionProvider",
        "qwen2.5-0.5b-instruct-qnn-npu:3",
    )
    assert fp.extra["models"] == {"m1": facts}
    both = run_fingerprint({"m1": facts, "m2": {**facts, "device": "CPU"}})
    assert both.device is None  # two models: each one's device is in extra.models
    assert both.extra["models"]["m2"]["device"] == "CPU"


def test_the_same_model_on_cpu_and_npu_differs_by_device_and_provider() -> None:
    cpu = _fingerprint(device="CPU", model_variant_id="qwen-generic-cpu:4")
    npu = _fingerprint(device="NPU", execution_provider="QNN", model_variant_id="qwen-qnn-npu:3")

    assert fingerprint_differences(cpu, npu) == [
        "device: CPU vs NPU",
        "execution_provider: CPU vs QNN",
        "model_variant_id: qwen-generic-cpu:4 vs qwen-qnn-npu:3",
    ]
