"""Where a job's app and data come from: blobs of the scheduler or URIs, verified and cached by sha256."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests

from ..errors import GridError
from .cache import Cache


class JobFailed(Exception):
    """The job could not produce a result; the message goes to the scheduler and the user."""


@dataclass
class Sources:
    """How to fetch content: blobs from the scheduler, others from their URI."""

    cache: Cache
    blob_chunks: callable  # checksum -> iterator of bytes

    def fetch(self, uri: str | None, checksum: str | None, what: str) -> Path:
        if not uri:
            raise JobFailed(f"{what} has no location to fetch it from")
        if uri.startswith("blob:"):
            return self._cached(checksum or uri[5:], lambda: self.blob_chunks(checksum or uri[5:]), what)
        if checksum:
            return self._cached(checksum, lambda: _uri_chunks(uri), what)
        # Without a checksum nothing can be verified or cached: fetch it for this job only.
        path = self.cache.root / f".nochecksum-{os.getpid()}-{time.monotonic_ns()}"
        with open(path, "wb") as out:
            for chunk in _uri_chunks(uri):
                out.write(chunk)
        return path

    def _cached(self, checksum: str, fetch, what: str) -> Path:
        try:
            path = self.cache.get(checksum, fetch)
            self.cache.verify(path, checksum)
            return path
        except GridError as exc:
            raise JobFailed(f"{what}: {exc}") from None
        except (OSError, requests.RequestException) as exc:
            raise JobFailed(f"{what}: download failed: {exc}") from None


def _uri_chunks(uri: str):
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        with open(unquote(parsed.path), "rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk
    elif parsed.scheme in ("http", "https"):
        with requests.get(uri, stream=True, timeout=60) as response:
            response.raise_for_status()
            yield from response.iter_content(1 << 20)
    else:
        raise JobFailed(f"unsupported URI scheme in {uri!r}")
