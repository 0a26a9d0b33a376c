"""Worker cache: verified by sha256, capped, least recently used evicted first."""

import hashlib

import pytest

from offchain_grid.errors import ChecksumMismatch
from offchain_grid.worker.cache import Cache


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_fetch_once_then_hit(tmp_path):
    cache, calls = Cache(tmp_path, 1000), []
    data = b"x" * 10

    def fetch():
        calls.append(1)
        yield data

    assert cache.get(sha(data), fetch).read_bytes() == data
    assert cache.get(sha(data), fetch).read_bytes() == data
    assert len(calls) == 1


def test_mismatch_is_refused_and_not_cached(tmp_path):
    cache = Cache(tmp_path, 1000)
    with pytest.raises(ChecksumMismatch):
        cache.get(sha(b"good"), lambda: iter([b"evil"]))
    assert cache.checksums() == []


def test_least_recently_used_goes_first(tmp_path):
    cache = Cache(tmp_path, 250)
    blobs = [bytes([i]) * 100 for i in range(3)]
    cache.get(sha(blobs[0]), lambda: iter([blobs[0]]))
    cache.get(sha(blobs[1]), lambda: iter([blobs[1]]))
    cache.get(sha(blobs[0]), lambda: iter([]))  # touch: now blob 1 is the oldest
    cache.get(sha(blobs[2]), lambda: iter([blobs[2]]))
    assert set(cache.checksums()) == {sha(blobs[0]), sha(blobs[2])}
    assert not (tmp_path / sha(blobs[1])).exists()


def test_verify_catches_altered_file(tmp_path):
    cache = Cache(tmp_path, 1000)
    path = cache.get(sha(b"abc"), lambda: iter([b"abc"]))
    path.chmod(0o644)
    path.write_bytes(b"abd")
    with pytest.raises(ChecksumMismatch):
        cache.verify(path, sha(b"abc"))
    assert cache.checksums() == []
