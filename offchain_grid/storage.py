"""Content-addressed blob store on disk: uploads land under their sha256, written atomically."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import ChecksumMismatch, InvalidInput, NotFound, TooLarge

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20


def normalize_checksum(value: str) -> str:
    """Lowercase 64-hex sha256 without 0x; InvalidInput otherwise."""
    text = value.lower()
    text = text[2:] if text.startswith("0x") else text
    if not _HEX64.match(text):
        raise InvalidInput(f"checksum must be a sha256 as 64 hex digits, got {value!r}")
    return text


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, checksum: str) -> Path:
        checksum = normalize_checksum(checksum)
        return self.root / checksum[:2] / checksum

    def has(self, checksum: str) -> bool:
        return self.path(checksum).is_file()

    def put_stream(self, stream: BinaryIO, *, max_bytes: int, expected: str | None = None,
                   before_commit: Callable[[str], None] = lambda checksum: None) -> tuple[str, int]:
        """Copy `stream` in, refusing more than max_bytes or a sha256 other than `expected`.
        `before_commit(checksum)` runs once the bytes are known and before they take their place."""
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"upload exceeds the limit of {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
            checksum = digest.hexdigest()
            if expected is not None and normalize_checksum(expected) != checksum:
                raise ChecksumMismatch(f"upload has sha256 {checksum}, not the announced {expected}")
            before_commit(checksum)
            self._commit(tmp, checksum)
            return checksum, size
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def stage(self, max_bytes: int, keep_in_memory: int = 0) -> "Staged":
        """A temporary file beside the blobs for bytes arriving in pieces (a result archive in a report);
        the first `keep_in_memory` bytes stay in memory, so a small archive never costs a file."""
        return Staged(self.root, max_bytes, keep_in_memory)

    def commit_staged(self, staged: "Staged") -> str:
        """Put finished staged bytes in place under their sha256 (the same bytes may already be there)."""
        staged.close()
        if staged.path is None:
            return self.put_bytes(staged.content())  # writes nothing when these bytes are stored already
        self._commit(str(staged.path), staged.sha256)
        return staged.sha256

    def put_bytes(self, data: bytes) -> str:
        checksum = hashlib.sha256(data).hexdigest()
        if not self.has(checksum):
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            self._commit(tmp, checksum)
        return checksum

    def _commit(self, tmp: str, checksum: str) -> None:
        target = self.path(checksum)
        target.parent.mkdir(exist_ok=True)
        os.replace(tmp, target)

    def remove(self, checksum: str) -> bool:
        try:
            self.path(checksum).unlink()
            return True
        except FileNotFoundError:
            return False

    def open(self, checksum: str) -> Path:
        path = self.path(checksum)
        if not path.is_file():
            raise NotFound(f"no stored content with sha256 {checksum}")
        return path


class Staged:
    """Bytes received in pieces: counted and hashed as they arrive, no longer kept past `max_bytes`
    (only `oversized` says so). The first `keep_in_memory` bytes stay in memory; beyond them
    everything goes to a temporary file of the store (opening a file per small result archive
    was the largest cost of a report on some filesystems)."""

    def __init__(self, root: Path, max_bytes: int, keep_in_memory: int = 0):
        self.root, self.max_bytes, self.keep_in_memory = root, max_bytes, keep_in_memory
        self.path: Path | None = None  # the temporary file, once the bytes outgrew memory
        self.size = 0
        self.oversized = False
        self._memory = bytearray()
        self._file = None
        self._digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.oversized:
            return
        if self.size > self.max_bytes:
            self.oversized = True
            self._memory = bytearray()
            if self._file is not None:
                self._file.truncate(0)
            return
        self._digest.update(data)
        if self._file is None and self.size <= self.keep_in_memory:
            self._memory += data
            return
        if self._file is None:
            fd, path = tempfile.mkstemp(dir=self.root, prefix=".upload-")
            self.path, self._file = Path(path), os.fdopen(fd, "wb")
            self._file.write(self._memory)
            self._memory = bytearray()
        self._file.write(data)

    @property
    def in_memory(self) -> int:
        return len(self._memory)

    def content(self) -> bytes | Path:
        """The bytes themselves while they are in memory, else the file holding them."""
        return self.path if self.path is not None else bytes(self._memory)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def close(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()

    def discard(self) -> None:
        self.close()
        self._memory = bytearray()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
