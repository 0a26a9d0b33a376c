"""The scheduler's Prometheus metrics: request latency of the worker protocol, measured as it
happens, and the grid's counts (jobs, queue, workers), read from the database at each scrape.

Per request the cost is one dictionary look-up for every route, and for the timed worker routes
two clock reads and one histogram update."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from ..scheduler.dashboard import GridCounts

# worker requests answer in milliseconds; a slow database or a large report takes seconds
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0)
TIMED = {"pull": "/worker/pull", "reports": "/worker/reports", "alive": "/worker/alive"}


class SchedulerMetrics:
    def __init__(self, api_prefix: str):
        disable_created_metrics()  # *_created series: noise for these dashboards
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # CPU seconds, resident memory, open files
        duration = Histogram("cumulus_grid_worker_request_duration_seconds",
                             "Worker protocol requests by route, from arrival to the last byte answered.",
                             ["route"], buckets=BUCKETS, registry=self.registry)
        refused = Counter("cumulus_grid_worker_request_errors_total",
                          "Worker protocol requests answered with an error, by route and status class.",
                          ["route", "code"], registry=self.registry)
        # children resolved once, so that a request does no label look-up
        self.timers = {api_prefix + path: (duration.labels(route), refused.labels(route, "4xx"),
                                           refused.labels(route, "5xx"))
                       for route, path in TIMED.items()}

    def render(self, counts: GridCounts, accept: str | None) -> tuple[bytes, str]:
        """The exposition text (or OpenMetrics, if the scraper asks for it) and its content type."""
        encoder, content_type = choose_encoder(accept)
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Families([*self.registry.collect(), *_database_families(counts)]))
        return encoder(scrape), content_type


class TimedRoutes:
    """ASGI middleware timing the worker routes SchedulerMetrics names; every other request passes
    through after one dictionary look-up."""

    def __init__(self, app, metrics: SchedulerMetrics):
        self.app = app
        self.timers = metrics.timers

    async def __call__(self, scope, receive, send):
        timers = self.timers.get(scope["path"]) if scope["type"] == "http" else None
        if timers is None:
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = [500]

        async def recorded_send(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recorded_send)
        finally:
            duration, client_errors, server_errors = timers
            duration.observe(time.perf_counter() - started)
            if status[0] >= 500:
                server_errors.inc()
            elif status[0] >= 400:
                client_errors.inc()


class _Families:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return iter(self.families)


def _database_families(counts: GridCounts):
    jobs = GaugeMetricFamily("cumulus_grid_jobs", "Jobs by status.", labels=["status"])
    for status in ("PENDING", "RUNNING", "COMPLETED", "ERROR", "ABORTED"):
        jobs.add_metric([status], counts.jobs_by_status.get(status, 0))
    workers = GaugeMetricFamily("cumulus_grid_workers", "Workers by status (ALIVE or LOST).", labels=["status"])
    for status in ("ALIVE", "LOST"):
        workers.add_metric([status], counts.workers_by_status.get(status, 0))
    yield jobs
    yield workers
    yield GaugeMetricFamily("cumulus_grid_workers_blacklisted", "Workers blacklisted.",
                            value=counts.workers_blacklisted)
    yield GaugeMetricFamily("cumulus_grid_slots_alive", "Job slots of the alive workers.", value=counts.slots_alive)
    yield GaugeMetricFamily("cumulus_grid_replicates_pending", "Replicates waiting for a worker.",
                            value=counts.replicates_pending)
    yield GaugeMetricFamily("cumulus_grid_queue_oldest_seconds",
                            "How long the oldest pending job has waited (0 when none waits).",
                            value=counts.oldest_pending_age or 0.0)
