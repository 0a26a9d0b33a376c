"""App and data cache by sha256 with a size cap; the least recently used entry goes first."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import ChecksumMismatch

CHUNK = 1 << 20


class Cache:
    def __init__(self, root: Path, max_bytes: int):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, int] = OrderedDict()  # checksum -> size, oldest use first
        self._fetching: dict[str, threading.Lock] = {}  # one download per checksum at a time
        for path in sorted(self.root.glob("[0-9a-f]" * 64), key=lambda p: p.stat().st_mtime):
            self._entries[path.name] = path.stat().st_size

    def checksums(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def get(self, checksum: str, fetch: Callable[[], Iterator[bytes]]) -> Path:
        """Path of verified content, fetching it (chunks from `fetch`) unless cached."""
        path = self.root / checksum
        with self._lock:
            fetching = self._fetching.setdefault(checksum, threading.Lock())
        with fetching:
            with self._lock:
                if checksum in self._entries and path.exists():
                    self._entries.move_to_end(checksum)
                    return path
            size = self._download(checksum, fetch, path)
        with self._lock:
            self._entries[checksum] = size
            self._entries.move_to_end(checksum)
            self._evict(keep=checksum)
        return path

    def _download(self, checksum: str, fetch, path: Path) -> int:
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".dl-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in fetch():
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if digest.hexdigest() != checksum:
                raise ChecksumMismatch(f"checksum mismatch: expected sha256 {checksum}, got {digest.hexdigest()}")
            os.chmod(tmp, 0o555)
            os.replace(tmp, path)
            return size
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _evict(self, keep: str) -> None:
        total = sum(self._entries.values())
        for checksum in list(self._entries):
            if total <= self.max_bytes:
                break
            if checksum == keep:
                continue
            total -= self._entries.pop(checksum)
            (self.root / checksum).unlink(missing_ok=True)

    def verify(self, path: Path, checksum: str) -> None:
        """Re-hash a cached file before running it: a cache on disk can be altered."""
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != checksum:
            with self._lock:
                self._entries.pop(checksum, None)
            path.unlink(missing_ok=True)
            raise ChecksumMismatch(f"cached file {checksum} no longer matches its checksum")
