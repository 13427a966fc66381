"""What model listings are made of: one `CatalogModel` per model variant, and the listing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

ModelSource = Literal["public", "local", "demo"]
"""Where a model entry comes from: Foundry's public catalog, a folder the user registered, or
flperf's built-in offline demo model."""

PublicCatalogState = Literal["fresh", "stale", "loading", "unavailable"]

DEVICE_ORDER = ("CPU", "GPU", "NPU")
"""How variants of one model are listed: devices in this order, unknown ones last."""


class CatalogModel(BaseModel):
    """One servable model variant as the catalogs describe it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Full variant id, `<name>:<version>`; what requests name.")
    alias: str = Field(description="Short name shared by the variants of one model.")
    display_name: str | None = None
    description: str | None = None
    size_mb: float | None = Field(default=None, description="Download size in MB, when known.")
    device: str | None = Field(default=None, description="CPU, GPU or NPU, when known.")
    execution_provider: str | None = Field(
        default=None, description="ONNX Runtime execution provider, e.g. QNNExecutionProvider."
    )
    task: str | None = None
    source: ModelSource
    cached: bool = Field(
        default=False, description="The files are on this machine (downloaded or local)."
    )
    path: str | None = Field(default=None, description="Model folder, when on this machine.")

    @computed_field(  # type: ignore[prop-decorator]
        description="Not from Foundry's public catalog: a folder registered in the model "
        "cache's LOCAL catalog, or the built-in demo model (the original web client's badge)."
    )
    @property
    def isCustom(self) -> bool:  # the name the original web client reads
        return self.source != "public"

    def run_facts(self) -> dict[str, Any]:
        """What a run's fingerprint records about this model: variant, EP, device, size (MiB)."""
        from flperf.providers.local_models import folder_mib  # it imports this module

        return {
            "provider": "foundry",
            "model_variant_id": self.id,
            "execution_provider": self.execution_provider,
            "device": self.device,
            "model_file_size_mb": folder_mib(self.path) if self.path else self.size_mb,
        }


class ModelGroup(BaseModel):
    """The variants of one model (one alias): the same weights built for different devices."""

    alias: str
    display_name: str | None = None
    variant_ids: list[str] = Field(description="Variant ids: CPU, then GPU, then NPU variants.")
    devices: list[str] = Field(description="Devices the variants run on, in that order.")


def _variant_order(model: CatalogModel) -> tuple[int, str, str]:
    device = (model.device or "").upper()
    rank = DEVICE_ORDER.index(device) if device in DEVICE_ORDER else len(DEVICE_ORDER)
    return rank, model.execution_provider or "", model.id


def group_variants(models: Iterable[CatalogModel]) -> list[ModelGroup]:
    """Models grouped by alias, in the order each alias first appears; variants by device."""
    by_alias: dict[str, list[CatalogModel]] = {}
    for model in models:
        by_alias.setdefault(model.alias, []).append(model)
    groups = []
    for alias, variants in by_alias.items():
        variants.sort(key=_variant_order)
        devices = list(dict.fromkeys(v.device for v in variants if v.device))
        groups.append(
            ModelGroup(
                alias=alias,
                display_name=next((v.display_name for v in variants if v.display_name), None),
                variant_ids=[v.id for v in variants],
                devices=devices,
            )
        )
    return groups


class CatalogListing(BaseModel):
    """Models available now, with how current the public part is.

    ``models`` always holds the local and demo models; public models come from the last
    successful background fetch of the public catalog, whose age and state are reported.
    """

    models: list[CatalogModel]
    public_catalog: PublicCatalogState
    public_catalog_age_s: float | None = Field(
        default=None, description="Seconds since the public list shown was fetched."
    )
    message: str | None = Field(default=None, description="Why the public list is missing/old.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def groups(self) -> list[ModelGroup]:
        """``models`` grouped by alias: each model with its CPU, GPU and NPU variants."""
        return group_variants(self.models)
