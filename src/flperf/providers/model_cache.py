"""Which folder Foundry Local keeps its models in: the default one, or one the user chose.

Downloaded models are large, so people move them to another disk. The choice is kept in the
data folder (``<home>/foundry/model-cache.json``) and read by every process that opens the
runtime for that data folder: the server, each host process it starts, `flperf bench`. A chosen
folder must be an absolute path to an existing or creatable, writable folder
(`prepare_cache_folder` says which of these fails).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flperf.providers.errors import ProviderError

log = logging.getLogger(__name__)

CHOICE_FILE = "model-cache.json"
"""File under ``<home>/foundry`` holding the chosen folder: ``{"path": ..., "chosen_at": ...}``."""


class CacheFolderError(ProviderError):
    """A folder that cannot be Foundry Local's model cache; the message says why."""


@dataclass(frozen=True)
class ModelCacheLocation:
    """Where Foundry Local's model cache is, and where it is by default."""

    location: Path
    default: Path

    @property
    def is_default(self) -> bool:
        return self.location == self.default


def choice_file(foundry_root: Path) -> Path:
    return foundry_root / CHOICE_FILE


def read_choice(foundry_root: Path) -> Path | None:
    """The chosen model cache folder, or None for the default (also when the file is unreadable:
    that is logged)."""
    path = choice_file(foundry_root)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        chosen = data["path"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable model cache choice %s: %s", path, exc)
        return None
    if not isinstance(chosen, str) or not Path(chosen).is_absolute():
        log.warning("ignoring model cache choice %s: %r is not an absolute path", path, chosen)
        return None
    return Path(chosen)


def write_choice(foundry_root: Path, folder: Path | None) -> None:
    """Persist ``folder`` as the model cache (None: back to the default), atomically."""
    path = choice_file(foundry_root)
    if folder is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.write_text(
        json.dumps({"path": str(folder), "chosen_at": time.time()}), encoding="utf-8"
    )
    staging.replace(path)


def prepare_cache_folder(raw: str) -> Path:
    """The absolute folder ``raw`` names (``~`` expanded, symlinks resolved), created if missing
    and checked writable by creating and removing a file in it.

    Raises `CacheFolderError` naming the problem; a folder created here is removed again then.
    """
    text = raw.strip()
    if not text:
        raise CacheFolderError("an empty path names no folder")
    if "\x00" in text:
        raise CacheFolderError("the path contains a NUL character")
    folder = Path(text).expanduser()
    if not folder.is_absolute():
        raise CacheFolderError(
            f"{text!r} is a relative path: give an absolute folder path (or one starting with ~)"
        )
    folder = Path(os.path.normpath(folder))
    try:
        created = _create(folder)
    except OSError as exc:
        raise CacheFolderError(f"cannot create the folder {folder}: {_reason(exc)}") from exc
    try:
        _check_writable(folder)
    except CacheFolderError:
        for made in created:
            try:
                made.rmdir()
            except OSError:
                break
        raise
    return folder.resolve()


def _create(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the folders made, deepest first.

    Raises `CacheFolderError` when the path or one of its parents is an existing file.
    """
    missing: list[Path] = []
    current = folder
    while not current.exists():
        if current.is_symlink():
            raise CacheFolderError(f"{current} is a broken symbolic link")
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    if current.exists() and not current.is_dir():
        if current == folder:
            raise CacheFolderError(f"{folder} is a file, not a folder")
        raise CacheFolderError(f"{current} is a file, so {folder} cannot be created in it")
    for path in reversed(missing):
        path.mkdir()
    return missing


def _check_writable(folder: Path) -> None:
    try:
        handle, probe = tempfile.mkstemp(prefix=".flperf-write-check-", dir=folder)
    except OSError as exc:
        raise CacheFolderError(f"the folder {folder} is not writable: {_reason(exc)}") from exc
    os.close(handle)
    try:
        os.remove(probe)
    except OSError as exc:
        raise CacheFolderError(
            f"the folder {folder} does not let a file be removed again: {_reason(exc)}"
        ) from exc


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
