"""Reusable job directories: emptied between jobs instead of removed and created again.

Removing a directory is a slow call on some filesystems (over a millisecond here), which
shows when jobs last a few milliseconds; emptying keeps each job's directory fresh all the same.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

OUTPUT_DIR = "output"


@dataclass(frozen=True)
class Slot:
    """A job directory and the unprivileged uid its jobs run as (None when jobs are not confined)."""

    path: Path
    uid: int | None


class JobDirs:
    def __init__(self, root: Path, new_uid=lambda: None):
        self.root = Path(root)
        shutil.rmtree(self.root, ignore_errors=True)  # leftovers of a previous run
        self.root.mkdir(parents=True, mode=0o711)
        self._new_uid = new_uid  # gives each new slot its own uid
        self._free: queue.SimpleQueue[Slot] = queue.SimpleQueue()
        self._count = 0
        self._lock = threading.Lock()

    @contextmanager
    def lease(self) -> Iterator[Slot]:
        """A slot whose directory holds only an empty `output/`; emptied again afterwards."""
        slot = self._take()
        try:
            yield slot
        finally:
            try:
                _reset(slot.path)
                self._free.put(slot)
            except OSError:  # a job left something we cannot remove: never reuse that directory
                pass

    def _take(self) -> Slot:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                self._count += 1
                path = self.root / f"slot-{self._count}"
                uid = self._new_uid()
            _reset(path)
            return Slot(path, uid)

    def io_file(self, job_dir: Path, name: str) -> Path:
        """stdin/stdout/stderr live beside the job directory, out of the archive."""
        return job_dir.with_name(f"{job_dir.name}.{name}")


def _reset(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    _empty(path, keep=OUTPUT_DIR)
    output = path / OUTPUT_DIR
    if output.is_dir() and not output.is_symlink():
        _empty(output, keep=None)
    else:
        output.mkdir()


def _empty(path: Path, keep: str | None) -> None:
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.name == keep and entry.is_dir(follow_symlinks=False):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
