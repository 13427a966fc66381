"""Model downloads that run in the background, report progress and can be cancelled."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

DownloadState = Literal["running", "done", "failed", "cancelled"]


@dataclass(frozen=True)
class DownloadStatus:
    """Progress of one download at one moment."""

    model_id: str
    state: DownloadState
    percent: float
    error: str | None
    started_at: float
    ended_at: float | None


class DownloadTask:
    """A download running in its own thread.

    ``work(progress, cancel)`` does the download, calling ``progress(percent)`` as it goes and
    stopping soon after ``cancel`` is set.
    """

    def __init__(
        self,
        model_id: str,
        work: Callable[[Callable[[float], None], threading.Event], None],
        on_progress: Callable[[float], None] | None = None,
    ) -> None:
        self.model_id = model_id
        self._work = work
        self._on_progress = on_progress
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._percent = 0.0
        self._state: DownloadState = "running"
        self._error: str | None = None
        self._started_at = time.time()
        self._ended_at: float | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"flperf-download-{model_id}", daemon=True
        )
        self._thread.start()

    def _progress(self, percent: float) -> None:
        self._percent = max(self._percent, min(100.0, percent))
        if self._on_progress is not None:
            self._on_progress(self._percent)

    def _run(self) -> None:
        try:
            self._work(self._progress, self._cancel)
        except Exception as exc:  # reported through status(), never lost
            self._state = "cancelled" if self._cancel.is_set() else "failed"
            self._error = None if self._cancel.is_set() else str(exc)
        else:
            self._state = "cancelled" if self._cancel.is_set() else "done"
            if self._state == "done":
                self._percent = 100.0
        finally:
            self._ended_at = time.time()
            self._done.set()

    def cancel(self) -> None:
        """Ask the download to stop; `wait` tells when it has."""
        self._cancel.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """True once the download has ended (done, failed or cancelled)."""
        return self._done.wait(timeout_s)

    def status(self) -> DownloadStatus:
        return DownloadStatus(
            self.model_id, self._state, self._percent, self._error, self._started_at, self._ended_at
        )
