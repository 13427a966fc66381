"""The foundry provider on the real Foundry Local runtime, offline, in a temp data folder."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from flperf.providers import (
    DEMO_ALIAS,
    DEMO_MODEL_ID,
    FoundryProvider,
    ModelTarget,
    Preparation,
    ProviderUnavailableError,
)
from flperf.providers.errors import ModelFolderError, ModelNotFoundError
from flperf.providers.local_models import demo_model_source
from flperf.providers.public_catalog import UNAVAILABLE_MESSAGE

pytestmark = pytest.mark.foundry


def test_listing_is_fast_and_flags_the_unreachable_catalog(foundry: FoundryProvider) -> None:
    foundry.runtime  # noqa: B018 - start the runtime outside the timed call
    started = time.perf_counter()
    listing = foundry.list_models()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert [m.id for m in listing.models if m.source == "demo"] == [DEMO_MODEL_ID]
    assert listing.public_catalog in ("loading", "unavailable")

    assert foundry.public_catalog.wait(10)
    settled = foundry.list_models()
    assert settled.public_catalog == "unavailable"
    assert settled.message == UNAVAILABLE_MESSAGE
    assert all(m.source != "public" for m in settled.models)


def test_demo_model_is_registered_once_and_marked(foundry: FoundryProvider) -> None:
    first = foundry.ensure_demo_model()
    second = foundry.ensure_demo_model()
    assert first == second
    assert first.id == DEMO_MODEL_ID
    assert first.alias == DEMO_ALIAS
    assert first.source == "demo"
    assert first.cached
    assert first.path is not None
    assert Path(first.path).parent == foundry.home.resolve() / "foundry"
    registry = json.loads(
        (foundry.home / "foundry" / "models" / "foundry.local.modelinfo.json").read_text()
    )
    assert [m["model_info"]["id"] for m in registry["models"]].count(DEMO_MODEL_ID) == 1


def test_demo_model_is_found_by_alias(foundry: FoundryProvider) -> None:
    assert foundry.get_model(DEMO_ALIAS).id == DEMO_MODEL_ID


def test_registering_a_folder_without_genai_config_names_it_and_registers_nothing(
    foundry: FoundryProvider, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(demo_model_source(), folder)
    (folder / "genai_config.json").unlink()
    before = [m.id for m in foundry.local_models()]
    with pytest.raises(ModelFolderError, match=r"missing genai_config\.json"):
        foundry.register_local_model(folder, "broken-generic-cpu:1")
    assert [m.id for m in foundry.local_models()] == before


def test_registering_a_missing_folder_fails_clearly(
    foundry: FoundryProvider, tmp_path: Path
) -> None:
    with pytest.raises(ModelFolderError, match="folder does not exist"):
        foundry.register_local_model(tmp_path / "absent", "absent-generic-cpu:1")
    with pytest.raises(ModelNotFoundError):
        foundry.get_model("absent-generic-cpu:1", allow_public=False)


def test_unknown_model_fails_fast_when_the_catalog_is_offline(
    foundry: FoundryProvider,
) -> None:
    started = time.perf_counter()
    with pytest.raises(ModelNotFoundError, match="unavailable"):
        foundry.get_model("nothing-like-this-generic-cpu:1")
    assert time.perf_counter() - started < 1.0


def test_registered_folder_is_listed_as_local_and_can_be_removed(
    foundry: FoundryProvider, tmp_path: Path
) -> None:
    folder = tmp_path / "mine"
    shutil.copytree(demo_model_source(), folder)
    model = foundry.register_local_model(folder, "mine-generic-cpu:1")
    assert model.source == "local"
    assert model.path == str(folder.resolve())
    assert "mine-generic-cpu:1" in {m.id for m in foundry.list_models().models}
    again = foundry.register_local_model(folder, "mine-generic-cpu:1")
    assert again.id == model.id
    foundry.unregister_local_model("mine-generic-cpu:1")
    assert "mine-generic-cpu:1" not in {m.id for m in foundry.local_models()}
    assert folder.is_dir()


def test_demo_model_loads_and_unloads_in_process(foundry: FoundryProvider) -> None:
    foundry.load(DEMO_MODEL_ID)
    sdk_model = foundry._sdk_model(DEMO_MODEL_ID)
    assert sdk_model.is_loaded
    foundry.unload(DEMO_MODEL_ID)
    assert not sdk_model.is_loaded


def test_without_a_host_manager_it_lists_but_cannot_serve(foundry: FoundryProvider) -> None:
    target = ModelTarget("foundry", DEMO_MODEL_ID)
    with pytest.raises(ProviderUnavailableError, match="no host manager"):
        foundry.start(target)
    assert foundry.server(target) is None
    assert list(foundry.new_logs(target)) == []
    assert foundry.health(target).detail == "not started"


def test_the_demo_model_is_prepared_at_once_and_describes_itself(foundry: FoundryProvider) -> None:
    target = ModelTarget("foundry", DEMO_ALIAS)
    assert foundry.prepare(target) == Preparation("ready", 100.0)
    assert foundry.prepare_status(target) == Preparation("ready", 100.0)
    facts = foundry.run_facts(target)
    assert facts["model_variant_id"] == DEMO_MODEL_ID
    assert facts["execution_provider"] and facts["model_file_size_mb"] > 0


def test_preparing_a_public_model_offline_ends_failed_with_the_reason(
    foundry: FoundryProvider,
) -> None:
    target = ModelTarget("foundry", "qwen2.5-0.5b-instruct-generic-cpu:4")
    foundry.prepare(target)
    deadline = time.monotonic() + 15
    while (status := foundry.prepare_status(target)).state == "downloading":
        assert time.monotonic() < deadline, "the download neither failed nor finished"
        time.sleep(0.1)
    assert status.state == "failed" and "offline" in (status.error or "")


def test_a_model_already_on_disk_has_no_download_time_and_a_failed_download_none_either(
    foundry: FoundryProvider,
) -> None:
    # Public-catalog downloads need the internet; offline, what can be checked is that nothing
    # is invented: no download ran for the demo model, and a failed one records no time.
    demo = ModelTarget("foundry", DEMO_MODEL_ID)
    foundry.prepare(demo)
    assert foundry.lifecycle(demo).download_ms is None
    public = ModelTarget("foundry", "qwen2.5-0.5b-instruct-generic-cpu:4")
    foundry.prepare(public)
    task = foundry.download_status(public.model_id)
    assert task is not None and task.wait(15)
    facts = foundry.lifecycle(public)
    assert facts.download_ms is None and "not started" in facts.unavailable["load"]


def test_a_finished_download_is_remembered_with_its_time_and_the_size_on_disk(
    foundry: FoundryProvider,
) -> None:
    # What the download task does once `model.download()` returns, on a model whose files are
    # here (the demo's): its time and the size of its folder become the model's download facts.
    sdk_model = foundry._sdk_model(DEMO_MODEL_ID)
    foundry._remember_download("some-model:1", sdk_model, 1234.5)
    facts = foundry.lifecycle(ModelTarget("foundry", "some-model:1"))
    assert facts.download_ms == 1234.5 and facts.downloaded_at is not None
    assert facts.download_mb is not None and 0.5 < facts.download_mb < 8
