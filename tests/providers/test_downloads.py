"""Background downloads: progress, cancel, and failures that are reported, not lost."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from flperf.providers import FoundryProvider
from flperf.providers.downloads import DownloadTask


def test_progress_is_reported_and_ends_at_100() -> None:
    seen: list[float] = []

    def work(progress: Callable[[float], None], cancel: threading.Event) -> None:
        for percent in (10.0, 55.5, 90.0):
            progress(percent)

    task = DownloadTask("m:1", work, seen.append)
    assert task.wait(5)
    status = task.status()
    assert (status.state, status.percent, status.error) == ("done", 100.0, None)
    assert seen == [10.0, 55.5, 90.0]


def test_cancel_stops_the_work() -> None:
    started = threading.Event()

    def work(progress: Callable[[float], None], cancel: threading.Event) -> None:
        started.set()
        cancel.wait(5)
        raise RuntimeError("stopped by cancel")

    task = DownloadTask("m:1", work)
    assert started.wait(5)
    task.cancel()
    assert task.wait(5)
    assert task.status().state == "cancelled"
    assert task.status().error is None


def test_failure_keeps_its_message() -> None:
    def work(progress: Callable[[float], None], cancel: threading.Event) -> None:
        raise RuntimeError("disk full")

    task = DownloadTask("m:1", work)
    assert task.wait(5)
    assert (task.status().state, task.status().error) == ("failed", "disk full")


@pytest.mark.foundry
def test_offline_download_of_a_public_model_fails_with_a_reason(foundry: FoundryProvider) -> None:
    foundry.public_catalog.refresh().wait(10)
    task = foundry.download("qwen2.5-0.5b-instruct-generic-cpu:4")
    assert task.wait(10)
    status = task.status()
    assert status.state == "failed"
    assert status.error is not None and "offline" in status.error
