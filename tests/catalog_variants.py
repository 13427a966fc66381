"""A public catalog seen earlier and kept on disk: two models, each built for several devices.

Foundry's public catalog needs the internet; a server offline shows the last list it fetched.
`seed_public_catalog` leaves such a list in a data folder, written by flperf's own cache.
"""

from __future__ import annotations

import socket
from pathlib import Path

from flperf.providers.catalog_model import CatalogModel
from flperf.providers.foundry_runtime import FoundryDirs
from flperf.providers.public_catalog import PublicCatalogCache


def _variant(alias: str, variant: str, device: str, provider: str, size_mb: float) -> CatalogModel:
    return CatalogModel(
        id=f"{alias}-instruct-{variant}",
        alias=alias,
        display_name=f"{alias} instruct",
        size_mb=size_mb,
        device=device,
        execution_provider=provider,
        task="chat-completion",
        source="public",
    )


# In the catalog's own order, which mixes models and devices.
VARIANTS = [
    _variant("qwen2.5-0.5b", "qnn-npu:3", "NPU", "QNNExecutionProvider", 560.0),
    _variant("phi-4-mini", "generic-cpu:5", "CPU", "CPUExecutionProvider", 4800.0),
    _variant("qwen2.5-0.5b", "generic-cpu:4", "CPU", "CPUExecutionProvider", 822.0),
    _variant("qwen2.5-0.5b", "cuda-gpu:4", "GPU", "CUDAExecutionProvider", 528.0),
    _variant("phi-4-mini", "openvino-npu:2", "NPU", "OpenVINOExecutionProvider", 2600.0),
    _variant("qwen2.5-0.5b", "generic-gpu:4", "GPU", "WebGpuExecutionProvider", 528.0),
]

QWEN_IN_ORDER = [
    "qwen2.5-0.5b-instruct-generic-cpu:4",
    "qwen2.5-0.5b-instruct-cuda-gpu:4",
    "qwen2.5-0.5b-instruct-generic-gpu:4",
    "qwen2.5-0.5b-instruct-qnn-npu:3",
]
"""The qwen variants as listings order them: CPU, GPU (by execution provider), NPU."""


def seed_public_catalog(home: Path) -> None:
    """Leave `VARIANTS` in ``home`` as the public catalog's last fetched list."""
    cache_file = FoundryDirs.under(home).public_catalog_cache
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    with socket.socket() as reachable:  # the cache fetches only from a host that answers
        reachable.bind(("127.0.0.1", 0))
        reachable.listen(1)
        url = f"http://127.0.0.1:{reachable.getsockname()[1]}/asset-gallery/v1.0/models"
        cache = PublicCatalogCache(lambda: list(VARIANTS), [url], cache_file)
        cache.refresh().wait(10)
    assert cache_file.is_file(), "the public catalog cache was not written"
