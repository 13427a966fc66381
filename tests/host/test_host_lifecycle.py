"""Starting, stopping and losing host processes, and the errors a failed start gives."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from flperf.host import HostManager, HostStartError, start_host
from flperf.providers import DEMO_MODEL_ID
from flperf.providers.local_models import demo_model_source

pytestmark = pytest.mark.foundry


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


def test_stop_leaves_no_process_behind(
    host_home: Path, offline_catalog_urls: tuple[str, ...]
) -> None:
    handle = start_host(DEMO_MODEL_ID, data_dir=host_home, catalog_urls=offline_catalog_urls)
    pids = [handle.pid] + [c.pid for c in psutil.Process(handle.pid).children(recursive=True)]
    assert handle.alive
    status = handle.stop(timeout_s=5)
    assert status == 0  # it exited by itself when asked (SIGTERM; CTRL_BREAK on Windows)
    assert not handle.alive
    assert all(gone(pid) for pid in pids)


def test_killed_host_is_noticed(host_home: Path, offline_catalog_urls: tuple[str, ...]) -> None:
    handle = start_host(DEMO_MODEL_ID, data_dir=host_home, catalog_urls=offline_catalog_urls)
    psutil.Process(handle.pid).kill()  # SIGKILL; TerminateProcess on Windows
    handle.process.wait(5)
    assert not handle.alive
    if sys.platform != "win32":
        assert handle.returncode == -signal.SIGKILL
    report = handle.health()
    assert not report.alive and not report.ok
    assert "exited" in (report.detail or "")
    handle.stop()


def test_busy_port_is_a_clear_error(
    host_home: Path, offline_catalog_urls: tuple[str, ...], busy_port: int
) -> None:
    with pytest.raises(HostStartError) as info:
        start_host(
            DEMO_MODEL_ID, port=busy_port, data_dir=host_home, catalog_urls=offline_catalog_urls
        )
    assert info.value.kind == "port_in_use"
    assert f"port {busy_port}" in str(info.value)


def test_folder_without_genai_config_fails_and_registers_nothing(
    host_home: Path, offline_catalog_urls: tuple[str, ...], tmp_path: Path
) -> None:
    folder = tmp_path / "incomplete"
    shutil.copytree(demo_model_source(), folder)
    (folder / "genai_config.json").unlink()
    with pytest.raises(HostStartError) as info:
        start_host(
            "incomplete-generic-cpu:1",
            data_dir=host_home,
            model_path=folder,
            catalog_urls=offline_catalog_urls,
        )
    assert info.value.kind == "invalid_model_folder"
    assert "missing genai_config.json" in str(info.value)
    registry = host_home / "foundry" / "models" / "foundry.local.modelinfo.json"
    assert "incomplete-generic-cpu:1" not in registry.read_text()


def test_missing_model_folder_is_a_clear_error(
    host_home: Path, offline_catalog_urls: tuple[str, ...], tmp_path: Path
) -> None:
    with pytest.raises(HostStartError) as info:
        start_host(
            "absent-generic-cpu:1",
            data_dir=host_home,
            model_path=tmp_path / "absent",
            catalog_urls=offline_catalog_urls,
        )
    assert info.value.kind == "invalid_model_folder"
    assert "folder does not exist" in str(info.value)


def test_unknown_model_offline_is_model_not_found(
    host_home: Path, offline_catalog_urls: tuple[str, ...]
) -> None:
    with pytest.raises(HostStartError) as info:
        start_host(
            "no-such-model-generic-cpu:1",
            data_dir=host_home,
            catalog_urls=offline_catalog_urls,
            timeout=30,
        )
    assert info.value.kind == "model_not_found"
    assert "no-such-model-generic-cpu:1" in str(info.value)
    assert info.value.log_tail  # the host's own last lines come with the error


def test_registered_folder_is_served(
    host_home: Path, offline_catalog_urls: tuple[str, ...], tmp_path: Path
) -> None:
    folder = tmp_path / "byom"
    shutil.copytree(demo_model_source(), folder)
    handle = start_host(
        "byom-generic-cpu:1",
        data_dir=host_home,
        model_path=folder,
        catalog_urls=offline_catalog_urls,
    )
    try:
        assert handle.model_id == "byom-generic-cpu:1"
        assert handle.health().ok
    finally:
        handle.stop()


def test_manager_reuses_a_running_host_and_stops_all_on_close(
    host_home: Path, offline_catalog_urls: tuple[str, ...]
) -> None:
    manager = HostManager(home=host_home, catalog_urls=offline_catalog_urls)
    first = manager.start("flperf-demo")
    assert manager.start(DEMO_MODEL_ID) is first  # alias and full id name one host
    assert manager.get(DEMO_MODEL_ID) is first
    manager.close()
    assert not first.alive
    assert gone(first.pid)
    with pytest.raises(RuntimeError):
        manager.start("flperf-demo")


def test_host_exits_when_its_parent_dies(
    host_home: Path, offline_catalog_urls: tuple[str, ...]
) -> None:
    script = (
        "import sys, time\n"
        "from flperf.host import start_host\n"
        f"h = start_host('flperf-demo', data_dir={str(host_home)!r}, "
        f"catalog_urls={offline_catalog_urls!r})\n"
        "print(h.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    host_pid = int(parent.stdout.readline())
    host = psutil.Process(host_pid)
    parent.kill()
    parent.wait(5)
    host.wait(10)  # raises TimeoutExpired if the orphan keeps running
    assert gone(host_pid)
