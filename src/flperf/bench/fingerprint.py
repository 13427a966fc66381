"""What a run was measured on, and whether two runs measured the same workload.

`collect_fingerprint` records the hardware and software a run ran on (fast, never raises: a probe
that fails leaves its field None). Two runs are comparable only when their workload hashes
(`flperf.bench.run_config.workload_hash`) match.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import psutil
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "TRACKED_PACKAGES",
    "Comparability",
    "Fingerprint",
    "GpuInfo",
    "collect_fingerprint",
    "comparability",
    "fingerprint_differences",
]

TRACKED_PACKAGES: tuple[str, ...] = (
    "flperf",
    "foundry-local-sdk",
    "onnxruntime",
    "onnxruntime-gpu",
    "onnxruntime-genai",
    "onnxruntime-genai-core",
    "onnxruntime-genai-cuda",
)
"""Distributions whose versions change what a benchmark measures."""

_GB = 1024**3
_MB = 1024**2
_T = TypeVar("_T")


class GpuInfo(BaseModel):
    """One GPU as NVML reports it."""

    index: int = Field(description="NVML device index.")
    name: str = Field(description="Marketing name, e.g. 'NVIDIA H100 80GB HBM3'.")
    memory_total_mb: float | None = Field(None, description="Total device memory, MiB.")
    driver_version: str | None = Field(None, description="NVIDIA driver version.")


class Fingerprint(BaseModel):
    """Hardware and software a run was measured on. None: could not be determined."""

    model_config = ConfigDict(extra="allow")  # a newer flperf's facts survive a read-back

    cpu_model: str | None = Field(None, description="CPU model name.")
    cpu_cores_physical: int | None = Field(None, description="Physical CPU cores.")
    cpu_cores_logical: int | None = Field(None, description="Logical CPUs (hardware threads).")
    ram_total_gb: float | None = Field(None, description="Total system RAM, GiB.")
    gpus: list[GpuInfo] = Field(default_factory=list, description="NVIDIA GPUs; [] when none.")
    os_name: str | None = Field(None, description="Operating system, e.g. 'Linux'.")
    os_release: str | None = Field(None, description="Kernel/OS release.")
    machine: str | None = Field(None, description="CPU architecture, e.g. 'x86_64'.")
    python_version: str | None = Field(None, description="Python version, e.g. '3.11.9'.")
    packages: dict[str, str | None] = Field(
        default_factory=dict, description="Versions of TRACKED_PACKAGES; None when not installed."
    )
    execution_provider: str | None = Field(None, description="ONNX Runtime EP, e.g. 'CPU'.")
    device: str | None = Field(None, description="Device the model ran on: CPU, GPU or NPU.")
    model_variant_id: str | None = Field(None, description="Exact model variant benchmarked.")
    model_file_size_mb: float | None = Field(None, description="Model files on disk, MiB.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Other caller-supplied facts.")


_CALLER_FIELDS = ("execution_provider", "device", "model_variant_id", "model_file_size_mb")


def collect_fingerprint(extra: Mapping[str, Any] | None = None) -> Fingerprint:
    """Describe this machine. `extra` fills the caller fields; other keys land in `extra`."""
    given = dict(extra or {})
    caller = {key: given.pop(key) for key in _CALLER_FIELDS if key in given}
    memory = _safe(lambda: psutil.virtual_memory().total / _GB)
    fingerprint = Fingerprint(
        cpu_model=_safe(_cpu_model),
        cpu_cores_physical=_safe(lambda: psutil.cpu_count(logical=False)),
        cpu_cores_logical=_safe(lambda: psutil.cpu_count(logical=True)),
        ram_total_gb=round(memory, 2) if memory is not None else None,
        gpus=_safe(_nvml_gpus) or [],
        os_name=platform.system(),
        os_release=platform.release(),
        machine=platform.machine(),
        python_version=platform.python_version(),
        packages={name: _version(name) for name in TRACKED_PACKAGES},
        extra=given,
    )
    try:
        return fingerprint.model_validate({**fingerprint.model_dump(), **caller})
    except ValueError:  # a caller value of the wrong type must not lose the fingerprint
        return fingerprint.model_copy(update={"extra": {**given, **caller}})


def run_fingerprint(models: Mapping[str, Mapping[str, Any]]) -> Fingerprint:
    """The machine plus what each model of a run was (`extra.models`, keyed by model).

    With a single model its variant id, execution provider, device and size also fill the
    fingerprint's own fields.
    """
    extra: dict[str, Any] = {"models": {name: dict(facts) for name, facts in models.items()}}
    if len(models) == 1:
        only = next(iter(models.values()))
        extra.update({key: only.get(key) for key in _CALLER_FIELDS})
    return collect_fingerprint(extra)


def _safe(probe: Callable[[], _T]) -> _T | None:
    try:
        return probe()
    except Exception:
        return None


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except (metadata.PackageNotFoundError, ValueError):
        return None


def _cpu_model() -> str | None:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "Processor") and value.strip():
                return value.strip()
    if sys.platform == "win32":
        import winreg

        key = r"HARDWARE\DESCRIPTION\System\CentralProcessor\0"
        try:  # platform.processor() gives only the family and vendor
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key) as cpu:
                name = winreg.QueryValueEx(cpu, "ProcessorNameString")[0]
        except OSError:
            name = None
        if isinstance(name, str) and name.strip():
            return name.strip()
    if sys.platform == "darwin":
        import subprocess

        out = subprocess.run(
            ["sysctl", "-n", "machdep.cpu.brand_string"],
            capture_output=True,
            text=True,
            timeout=1,
            check=False,
        )
        if out.stdout.strip():
            return out.stdout.strip()
    return platform.processor() or None


def _nvml_gpus() -> list[GpuInfo]:
    import pynvml

    pynvml.nvmlInit()
    try:
        driver = _safe(lambda: _text(pynvml.nvmlSystemGetDriverVersion()))
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            gpus.append(
                GpuInfo(
                    index=index,
                    name=_text(pynvml.nvmlDeviceGetName(handle)),
                    memory_total_mb=_memory_total_mb(pynvml, handle),
                    driver_version=driver,
                )
            )
        return gpus
    finally:
        pynvml.nvmlShutdown()


def _memory_total_mb(pynvml: Any, handle: Any) -> float | None:
    try:
        return float(pynvml.nvmlDeviceGetMemoryInfo(handle).total) / _MB
    except Exception:
        return None


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Comparability(BaseModel):
    """Whether two runs can be compared, and what differs around them."""

    comparable: bool = Field(description="True when both runs measured the same workload.")
    reason: str | None = Field(None, description="Why not comparable; None when comparable.")
    differences: list[str] = Field(
        default_factory=list,
        description="Environment differences (hardware, versions, EP): worth knowing, not fatal.",
    )


def comparability(
    a_hash: str,
    b_hash: str,
    a_fingerprint: Fingerprint | None = None,
    b_fingerprint: Fingerprint | None = None,
) -> Comparability:
    """Runs are comparable when their workload hashes match; fingerprints list what else differs."""
    differences = (
        fingerprint_differences(a_fingerprint, b_fingerprint)
        if a_fingerprint is not None and b_fingerprint is not None
        else []
    )
    if a_hash != b_hash:
        return Comparability(
            comparable=False,
            reason=(
                f"different workloads (hash {a_hash[:12]} vs {b_hash[:12]}): the suite or a "
                "workload setting (iterations, load, warm-up, max_tokens, temperature, "
                "streaming, trials) differs"
            ),
            differences=differences,
        )
    return Comparability(comparable=True, differences=differences)


def fingerprint_differences(a: Fingerprint, b: Fingerprint) -> list[str]:
    """Human-readable lines naming each fact that differs between two fingerprints."""
    lines = []
    for name in (
        "cpu_model",
        "cpu_cores_physical",
        "cpu_cores_logical",
        "os_name",
        "machine",
        "device",
        "execution_provider",
        "model_variant_id",
    ):
        left, right = getattr(a, name), getattr(b, name)
        if left != right:
            lines.append(f"{name}: {left} vs {right}")
    if a.ram_total_gb and b.ram_total_gb and abs(a.ram_total_gb - b.ram_total_gb) > 0.5:
        lines.append(f"ram_total_gb: {a.ram_total_gb} vs {b.ram_total_gb}")
    gpus_a = [g.name for g in a.gpus]
    gpus_b = [g.name for g in b.gpus]
    if gpus_a != gpus_b:
        lines.append(f"gpus: {gpus_a or 'none'} vs {gpus_b or 'none'}")
    for package in sorted(set(a.packages) | set(b.packages)):
        left, right = a.packages.get(package), b.packages.get(package)
        if left != right:
            lines.append(f"{package}: {left or 'absent'} vs {right or 'absent'}")
    return lines
