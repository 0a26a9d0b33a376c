"""What the public dashboard reads is computed at most once a second, however many people watch:
one aggregate query set (or one request to the oracle) serves every viewer of that second."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import requests
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from ..public import OracleStatus, OracleView

T = TypeVar("T")
ORACLE_STATUS_MAX_BYTES = 1 << 20
ORACLE_TIMEOUT = 2.0


class Cached(Generic[T]):
    """The last value of `compute`, recomputed by one caller at a time once older than `ttl` seconds."""

    def __init__(self, compute: Callable[..., Awaitable[T]], ttl: float):
        self.compute, self.ttl = compute, ttl
        self._value: T | None = None
        self._at = float("-inf")
        self._lock: asyncio.Lock | None = None

    async def get(self, *args) -> T:
        if time.monotonic() - self._at < self.ttl:
            return self._value
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.monotonic() - self._at >= self.ttl:  # another caller may have refreshed it meanwhile
                self._value = await self.compute(*args)
                self._at = time.monotonic()
        return self._value


def oracle_status_reader(url: str | None) -> Callable[[], Awaitable[OracleView]]:
    """Reads an oracle's /status for the dashboard: bounded in time and size, validated against
    OracleStatus (so nothing else the oracle might send is relayed); never raises."""

    async def read() -> OracleView:
        if not url:
            return OracleView(configured=False, reachable=False)
        try:
            body = await run_in_threadpool(_fetch, url)
            return OracleView(configured=True, reachable=True, status=OracleStatus.model_validate(json.loads(body)))
        except (requests.RequestException, TooLarge) as exc:
            return OracleView(configured=True, reachable=False, error=f"cannot read the oracle's status: {_line(exc)}")
        except (ValueError, ValidationError) as exc:
            return OracleView(configured=True, reachable=False,
                              error=f"the oracle's status is not valid: {_line(exc)}")

    return read


class TooLarge(Exception):
    pass


def _fetch(url: str) -> bytes:
    with requests.get(url, timeout=ORACLE_TIMEOUT, stream=True, allow_redirects=False) as response:
        response.raise_for_status()
        body = b""
        for chunk in response.iter_content(65536):
            body += chunk
            if len(body) > ORACLE_STATUS_MAX_BYTES:
                raise TooLarge(f"over {ORACLE_STATUS_MAX_BYTES} bytes")
        return body


def _line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
