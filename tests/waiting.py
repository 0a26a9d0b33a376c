"""Waiting on a condition in tests that drive real processes: never a fixed sleep."""

from __future__ import annotations

import time


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.2, what: str = "condition"):
    """Poll until `predicate()` is truthy and return its value; AssertionError after `timeout`
    (the predicate is asked once more at the deadline, so a slow poll still counts)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
