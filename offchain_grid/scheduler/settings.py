"""Scheduler knobs, set from `xw scheduler` options (tests shorten the timeouts)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    db_url: str = "sqlite:///xw-scheduler.db"
    data_dir: Path = Path("xw-data")  # content-addressed uploads and result archives
    lease_seconds: float = 60.0  # a replicate whose lease is not renewed for this long is lost
    alive_timeout: float = 60.0  # a worker silent for this long is marked LOST
    max_upload_bytes: int = 256 * 1024 * 1024  # apps and data
    max_result_bytes: int = 64 * 1024 * 1024  # one result archive
    max_request_bytes: int = 32 * 1024 * 1024  # any other request body (a batch of jobs, a pull)
    max_worker_failures: int = 5  # consecutive failures before a worker is blacklisted
    challenge_seconds: float = 300.0  # how long a login nonce stays valid
    open_signup: bool = True  # anyone proving an Ethereum key may get a (non-admin) user account
    reaper_interval: float | None = None  # defaults to a quarter of the shortest timeout
    dashboard: bool = True  # the public read-only dashboard (/dashboard and /api/v1/dashboard)
    metrics: bool = True  # Prometheus text at /metrics
    oracle_status_url: str | None = None  # an oracle's /status beside the grid, shown on the dashboard

    @property
    def reap_every(self) -> float:
        return self.reaper_interval or max(0.1, min(self.lease_seconds, self.alive_timeout) / 4)
