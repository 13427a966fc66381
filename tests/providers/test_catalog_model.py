"""A model's variants are listed together, by device: CPU, then GPU, then NPU."""

from __future__ import annotations

from flperf.providers.catalog_model import CatalogListing, CatalogModel, group_variants
from tests.catalog_variants import QWEN_IN_ORDER, VARIANTS


def test_variants_of_one_alias_form_one_group_in_device_order() -> None:
    groups = group_variants(VARIANTS)

    assert [g.alias for g in groups] == ["qwen2.5-0.5b", "phi-4-mini"]  # as first seen
    qwen, phi = groups
    assert qwen.variant_ids == QWEN_IN_ORDER
    assert qwen.devices == ["CPU", "GPU", "NPU"]
    assert qwen.display_name == "qwen2.5-0.5b instruct"
    assert phi.devices == ["CPU", "NPU"]


def test_a_variant_of_unknown_device_comes_last_and_adds_no_device() -> None:
    odd = CatalogModel(id="m-x:1", alias="m", source="local")
    npu = CatalogModel(id="m-npu:1", alias="m", source="local", device="NPU")

    (group,) = group_variants([odd, npu])

    assert group.variant_ids == ["m-npu:1", "m-x:1"]
    assert group.devices == ["NPU"]


def test_a_listing_carries_its_groups_when_serialised() -> None:
    listing = CatalogListing(models=VARIANTS, public_catalog="fresh")

    dumped = listing.model_dump()

    assert [g["alias"] for g in dumped["groups"]] == ["qwen2.5-0.5b", "phi-4-mini"]
    assert CatalogListing.model_validate(dumped).groups == listing.groups
