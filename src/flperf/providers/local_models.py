"""Bring-your-own models and the built-in demo model: folder checks and LOCAL-catalog entries."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flperf.providers.catalog_model import CatalogModel, ModelSource
from flperf.providers.errors import (
    ModelAlreadyRegisteredError,
    ModelFolderError,
    ProviderError,
)

if TYPE_CHECKING:
    from flperf.providers.foundry_runtime import FoundryRuntime

DEMO_MODEL_ID = "flperf-demo-generic-cpu:1"
DEMO_ALIAS = "flperf-demo"
DEMO_PROPERTY = "flperf_demo"
"""String property set to "true" on the demo model's registration."""

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*:[0-9]+$")


def demo_model_source() -> Path:
    """The demo model folder shipped inside the flperf package."""
    return Path(str(resources.files("flperf.providers") / "demo_model"))


def demo_manifest() -> dict[str, Any]:
    """Build parameters and file hashes of the shipped demo model."""
    data: dict[str, Any] = json.loads(
        (demo_model_source() / "MANIFEST.json").read_text(encoding="utf-8")
    )
    return data


def validate_model_folder(path: Path) -> None:
    """Raise `ModelFolderError` naming every part missing from an ONNX Runtime GenAI folder."""
    if not path.exists():
        raise ModelFolderError(str(path), ["folder does not exist"])
    if not path.is_dir():
        raise ModelFolderError(str(path), ["not a folder"])
    problems: list[str] = []
    config_path = path / "genai_config.json"
    config: dict[str, Any] = {}
    if not config_path.is_file():
        problems.append("missing genai_config.json")
    else:
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"genai_config.json is not valid JSON ({exc})")
    if config:
        decoder = config.get("model", {}).get("decoder", {})
        onnx_name = decoder.get("filename", "model.onnx") if isinstance(decoder, dict) else None
        if not isinstance(onnx_name, str):
            problems.append("genai_config.json has no model.decoder section")
        elif not (path / onnx_name).is_file():
            problems.append(f"missing {onnx_name} (named by genai_config.json)")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if not (path / name).is_file():
            problems.append(f"missing {name}")
    if not _has_chat_template(path):
        problems.append(
            "missing chat template (chat_template.jinja or tokenizer_config.json 'chat_template')"
        )
    if problems:
        raise ModelFolderError(str(path), problems)


def _has_chat_template(path: Path) -> bool:
    if (path / "chat_template.jinja").is_file():
        return True
    try:
        config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(isinstance(config, dict) and config.get("chat_template"))


def model_id_for_folder(path: Path) -> str:
    """A `<name>:1` model id made from a folder name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.name).strip("-._").lower() or "local-model"
    return f"{name}:1"


def check_model_id(model_id: str) -> None:
    if not _ID_PATTERN.match(model_id):
        raise ProviderError(
            f"invalid model id {model_id!r}: use <name>:<version>, e.g. my-model-generic-cpu:1"
        )


def register_folder(
    runtime: FoundryRuntime,
    path: Path,
    model_id: str | None = None,
    *,
    alias: str | None = None,
    description: str | None = None,
    extra: dict[str, str] | None = None,
) -> Any:
    """Register a model folder in the LOCAL catalog and return the SDK model.

    The folder is checked first, so nothing is registered when it is not usable. Registering
    the same id for the same folder again returns the existing entry.
    """
    path = Path(path).expanduser().resolve()
    validate_model_folder(path)
    model_id = model_id or model_id_for_folder(path)
    check_model_id(model_id)
    catalog = runtime.local_catalog()
    existing = catalog.get_model_variant(model_id)
    if existing is not None:
        if Path(existing.get_path()).resolve() == path:
            return existing
        raise ModelAlreadyRegisteredError(
            f"model id {model_id} is already registered for {existing.get_path()}; "
            "remove it first or choose another id"
        )
    sdk = runtime.sdk
    with sdk.ModelInfoBuilder() as metadata:
        metadata.set_string_property("task", "chat-completion")
        if alias:
            metadata.set_string_property("alias", alias)
        if description:
            metadata.set_string_property("description", description)
        size_mb = sum(p.stat().st_size for p in path.iterdir() if p.is_file()) / 1e6
        metadata.set_int_property("filesize_mb", max(1, round(size_mb)))
        metadata.set_string_property("device_type", "CPU")
        for key, value in (extra or {}).items():
            metadata.set_string_property(key, value)
        try:
            return catalog.register_model(
                model_path=str(path), model_id=model_id, metadata=metadata
            )
        except sdk.FoundryLocalException as exc:
            raced = catalog.get_model_variant(model_id)
            if raced is not None and Path(raced.get_path()).resolve() == path:
                return raced  # another flperf process registered it a moment ago
            raise ProviderError(f"Foundry Local refused to register {path}: {exc}") from exc


def unregister(runtime: FoundryRuntime, model_id: str) -> None:
    """Remove a LOCAL-catalog registration (the files stay where they are)."""
    runtime.local_catalog().unregister_model(model_id)


def install_demo_files(runtime: FoundryRuntime) -> Path:
    """Copy the shipped demo model into the data folder unless an identical copy is there."""
    source = demo_model_source()
    target = runtime.dirs.demo_model
    manifest = (source / "MANIFEST.json").read_bytes()
    current = target / "MANIFEST.json"
    if current.is_file() and current.read_bytes() == manifest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo-model-", dir=target.parent))
    for item in source.iterdir():
        if item.is_file():
            shutil.copyfile(item, staging / item.name)
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:  # another process installed it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def ensure_demo(runtime: FoundryRuntime) -> Any:
    """The demo model's SDK entry, registering (and installing) it on first use."""
    path = install_demo_files(runtime)
    catalog = runtime.local_catalog()
    existing = catalog.get_model_variant(DEMO_MODEL_ID)
    if existing is not None and Path(existing.get_path()).resolve() == path.resolve():
        return existing
    if existing is not None:
        catalog.unregister_model(DEMO_MODEL_ID)
    manifest = demo_manifest()
    return register_folder(
        runtime,
        path,
        DEMO_MODEL_ID,
        alias=DEMO_ALIAS,
        description=manifest.get("description"),
        extra={
            DEMO_PROPERTY: "true",
            "display_name": "flperf demo (offline)",
            "publisher": "flperf",
            "execution_provider": "CPUExecutionProvider",
        },
    )


def describe(model: Any, source: ModelSource | None = None) -> CatalogModel:
    """A `CatalogModel` from an SDK model variant."""
    info = model.info
    runtime_info = info.runtime
    local = info.provider_type == "LocalRegistration"
    if source is None:
        demo = info.get_string_property(DEMO_PROPERTY) == "true"
        source = "demo" if demo else ("local" if local else "public")
    cached = bool(model.is_cached)
    path: str | None = None
    if cached:
        try:
            path = model.get_path() or None
        except Exception:  # the SDK raises its own exception type for uncached models
            path = None
    return CatalogModel(
        id=info.id,
        alias=info.alias,
        display_name=info.display_name,
        description=info.get_string_property("description"),
        size_mb=info.file_size_mb,
        device=str(runtime_info.device_type) if runtime_info and runtime_info.device_type else None,
        execution_provider=(runtime_info.execution_provider or None) if runtime_info else None,
        task=info.task,
        source=source,
        cached=cached,
        path=path,
    )


def folder_mib(folder: str | Path) -> float | None:
    """Size of a model's files on disk, MiB (None when the folder cannot be read)."""
    try:
        files = [p for p in Path(folder).rglob("*") if p.is_file()]
        return round(sum(p.stat().st_size for p in files) / (1024 * 1024), 3)
    except OSError:
        return None
