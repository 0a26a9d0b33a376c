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
