"""Checks of model folders and of the shipped demo model (no runtime needed)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from flperf.providers.errors import ModelFolderError
from flperf.providers.local_models import (
    DEMO_ALIAS,
    DEMO_MODEL_ID,
    demo_manifest,
    demo_model_source,
    model_id_for_folder,
    validate_model_folder,
)


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "My Model"
    shutil.copytree(demo_model_source(), target)
    return target


def test_shipped_demo_model_files_match_their_manifest() -> None:
    manifest = demo_manifest()
    folder = demo_model_source()
    actual = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.name != "MANIFEST.json"
    }
    assert actual == manifest["files"]
    assert manifest["model_id"] == DEMO_MODEL_ID
    assert manifest["alias"] == DEMO_ALIAS


def test_shipped_demo_model_fits_the_size_budget() -> None:
    total = sum(p.stat().st_size for p in demo_model_source().iterdir())
    assert total <= 8 * 1024 * 1024


def test_demo_model_never_lists_eos_as_emittable() -> None:
    facts = demo_manifest()["facts"]
    config = json.loads((demo_model_source() / "genai_config.json").read_text())
    assert config["model"]["eos_token_id"] == facts["eos_token_id"]
    assert facts["suppressed_tokens"] > 3  # the special tokens and non-ASCII byte tokens


def test_valid_folder_passes(model_copy: Path) -> None:
    validate_model_folder(model_copy)


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelFolderError, match="folder does not exist"):
        validate_model_folder(tmp_path / "nope")


def test_every_missing_part_is_named(model_copy: Path) -> None:
    (model_copy / "genai_config.json").unlink()
    (model_copy / "tokenizer.json").unlink()
    with pytest.raises(ModelFolderError) as info:
        validate_model_folder(model_copy)
    assert info.value.problems == ["missing genai_config.json", "missing tokenizer.json"]
    assert "missing genai_config.json" in str(info.value)


def test_onnx_file_named_by_genai_config_must_exist(model_copy: Path) -> None:
    (model_copy / "model.onnx").unlink()
    with pytest.raises(ModelFolderError, match=r"missing model\.onnx \(named by genai_config"):
        validate_model_folder(model_copy)


def test_broken_genai_config_is_reported(model_copy: Path) -> None:
    (model_copy / "genai_config.json").write_text("{not json")
    with pytest.raises(ModelFolderError, match="not valid JSON"):
        validate_model_folder(model_copy)


def test_chat_template_may_live_in_tokenizer_config(model_copy: Path) -> None:
    (model_copy / "chat_template.jinja").unlink()
    validate_model_folder(model_copy)  # tokenizer_config.json carries it too
    config = json.loads((model_copy / "tokenizer_config.json").read_text())
    del config["chat_template"]
    (model_copy / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFolderError, match="missing chat template"):
        validate_model_folder(model_copy)


def test_model_id_for_folder_is_a_valid_foundry_id() -> None:
    assert model_id_for_folder(Path("/x/My Model (v2)")) == "my-model-v2:1"
