"""`/api/cache`: Foundry Local's model cache folder shown, switched (validated, persisted, used by
the hosts) and the models found there, on the real runtime behind a live `flperf serve`."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flperf.providers import DEMO_MODEL_ID
from flperf.providers.foundry_runtime import FoundryRuntime
from flperf.providers.local_models import demo_model_source, register_folder
from flperf.providers.model_cache import write_choice
from tests.api.server import OFFLINE_CATALOG, LiveServer, wait_for

pytestmark = pytest.mark.foundry

CUSTOM_ID = "cache-custom-generic-cpu:1"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _refused(response: Any, status: int = 400) -> str:
    assert response.status_code == status, response.text
    error: str = response.json()["error"]
    return error


def _require_foundry(server: LiveServer) -> None:
    if server.get("/system/health").json()["foundryLocal"] != "available":
        pytest.skip("Foundry Local is not usable here")


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'flperf.db'}"


def folder_with_a_custom_model(folder: Path, scratch_home: Path) -> None:
    """A model cache as a user brings one: a model folder in it, registered in its LOCAL catalog
    (done here through the product's own code, as another flperf data folder would)."""
    model = folder / "my-model"
    shutil.copytree(demo_model_source(), model)
    write_choice(scratch_home / "foundry", folder)
    try:
        runtime = FoundryRuntime.open(scratch_home, (OFFLINE_CATALOG,))
        register_folder(runtime, model, CUSTOM_ID, alias="cache-custom", description="mine")
    finally:
        FoundryRuntime.close_current()


def unwritable_folder(tmp_path: Path) -> Path:
    """An existing folder that refuses new files to this user."""
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    if sys.platform == "linux" and Path("/sys/kernel").is_dir():
        return Path("/sys/kernel")  # sysfs refuses new files even to root
    pytest.skip("running as root on an OS without a folder that refuses root's files")


def test_switch_is_validated_persisted_and_used_by_the_hosts(
    launch: Callable[[str], LiveServer], tmp_path: Path
) -> None:
    server = launch(_sqlite(tmp_path))
    _require_foundry(server)
    default = _ok(server.get("/cache/location"))
    home_cache = (server.home / "foundry" / "models").resolve()
    assert default == {
        "location": str(home_cache),
        "defaultPath": str(home_cache),
        "isDefault": True,
    }
    cached = _ok(server.get("/cache/models"))
    assert [m["id"] for m in cached["models"]] == [DEMO_MODEL_ID]
    assert cached["count"] == 1 and cached["location"] == str(home_cache)

    disk = tmp_path / "other-disk" / "foundry-cache"
    disk.mkdir(parents=True)
    folder_with_a_custom_model(disk, tmp_path / "scratch-home")
    switched = _ok(server.post("/cache/switch", json={"path": str(disk)}))
    assert switched == {
        "success": True,
        "location": str(disk.resolve()),
        "defaultPath": str(home_cache),
        "isDefault": False,
    }
    assert _ok(server.get("/cache/location"))["location"] == str(disk.resolve())

    # The models found there: the folder registered in that cache, and the demo model.
    there = {m["id"]: m for m in _ok(server.get("/cache/models"))["models"]}
    assert set(there) == {CUSTOM_ID, DEMO_MODEL_ID}
    assert there[CUSTOM_ID]["alias"] == "cache-custom"
    assert there[CUSTOM_ID]["description"] == "mine"
    assert all(m["isCustom"] and m["description"] for m in there.values())
    available = {m["id"]: m for m in _ok(server.get("/models/available"))["models"]}
    assert available[CUSTOM_ID]["isCustom"] is True
    assert available[CUSTOM_ID]["source"] == "local"
    assert available[DEMO_MODEL_ID]["isCustom"] is True

    # A host started now finds the model only the switched cache knows.
    custom = _ok(server.post("/models", json={"alias": "custom", "model_id": CUSTOM_ID}), 201)
    _ok(server.post(f"/models/{custom['model']['id']}/start"))
    busy = _refused(server.post("/cache/switch", json={"path": "default"}), 409)
    assert CUSTOM_ID in busy and "stop" in busy
    _ok(server.post(f"/models/{custom['model']['id']}/stop"))
    # The demo model still works there (registered in that cache on first use).
    demo = _ok(server.post("/models", json={"alias": "demo", "model_id": DEMO_MODEL_ID}), 201)
    reply = _ok(server.post(f"/models/{demo['model']['id']}/test", json={"prompt": "hi"}))
    assert reply["status"] == "ok" and reply["output_tokens"] > 0
    _ok(server.post(f"/models/{demo['model']['id']}/stop"))
    catalog = json.loads((disk / "foundry.local.modelinfo.json").read_text(encoding="utf-8"))
    assert {m["model_info"]["id"] for m in catalog["models"]} == {CUSTOM_ID, DEMO_MODEL_ID}

    # A benchmark run with a Foundry model holds the cache until it ends.
    run = _ok(
        server.post(
            "/benchmarks/run",
            json={"modelIds": [demo["model"]["id"]], "config": {"iterations": 200}},
        )
    )
    during_run = _refused(server.post("/cache/switch", json={"path": "default"}), 409)
    assert run["runId"] in during_run
    _ok(server.post(f"/benchmarks/runs/{run['runId']}/cancel"))
    wait_for(
        lambda: (
            server.get(f"/benchmarks/runs/{run['runId']}/status").json()["status"] == "cancelled"
        ),
        what="the run to be cancelled",
    )

    # The choice outlives a restart, and the models there are still found.
    server.stop()
    server = launch(_sqlite(tmp_path))
    assert _ok(server.get("/cache/location"))["location"] == str(disk.resolve())
    assert CUSTOM_ID in [m["id"] for m in _ok(server.get("/cache/models"))["models"]]

    # Folders that cannot be a cache: 400 with the reason; the cache stays where it was.
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    assert "is a file, not a folder" in _refused(
        server.post("/cache/switch", json={"path": str(a_file)})
    )
    under_file = _refused(server.post("/cache/switch", json={"path": str(a_file / "models")}))
    assert f"{a_file} is a file" in under_file and not (a_file / "models").exists()
    assert "relative path" in _refused(server.post("/cache/switch", json={"path": "models"}))
    locked = unwritable_folder(tmp_path)
    assert "not writable" in _refused(server.post("/cache/switch", json={"path": str(locked)}))
    assert "'path'" in _refused(server.post("/cache/switch", json={}))
    assert "'folder'" in _refused(server.post("/cache/switch", json={"path": "~", "folder": 1}))
    assert _ok(server.get("/cache/location"))["location"] == str(disk.resolve())

    # A folder that does not exist yet is created.
    fresh = tmp_path / "new-disk" / "a" / "b"
    assert _ok(server.post("/cache/switch", json={"path": str(fresh)}))["location"] == str(
        fresh.resolve()
    )
    assert fresh.is_dir() and not [p for p in fresh.iterdir() if "write-check" in p.name]

    # "default" goes back; the other cache's own model is no longer offered.
    back = _ok(server.post("/cache/switch", json={"path": "default"}))
    assert back["isDefault"] and back["location"] == str(home_cache)
    assert CUSTOM_ID not in [m["id"] for m in _ok(server.get("/models/available"))["models"]]
    assert [m["id"] for m in _ok(server.get("/cache/models"))["models"]] == [DEMO_MODEL_ID]


def test_a_chosen_cache_that_is_gone_is_reported_not_recreated(
    launch: Callable[[str], LiveServer], tmp_path: Path
) -> None:
    server = launch(_sqlite(tmp_path))
    _require_foundry(server)
    removable = tmp_path / "usb" / "models"
    _ok(server.post("/cache/switch", json={"path": str(removable)}))
    server.stop()
    shutil.rmtree(removable)  # the disk is not mounted at the next start

    server = launch(_sqlite(tmp_path))
    health = _ok(server.get("/system/health"))
    assert health["foundryLocal"] == "unavailable"
    assert str(removable) in health["foundryLocalReason"]
    assert "does not exist" in health["foundryLocalReason"]
    listed = _ok(server.get("/cache/models"))
    assert listed["models"] == [] and "does not exist" in listed["message"]
    assert not removable.exists()
    assert _ok(server.get("/cache/location"))["location"] == str(removable.resolve())
    assert _ok(server.post("/cache/switch", json={"path": "default"}))["isDefault"]
    assert DEMO_MODEL_ID in [m["id"] for m in _ok(server.get("/cache/models"))["models"]]
