"""The oracle's read-only HTTP port (`oracle run --metrics-port`): Prometheus metrics at /metrics,
its public status as JSON at /status (what the grid's dashboard shows, `xw scheduler
--oracle-status URL/status`), and one task at /tasks/<task id> (what a dapp's front end shows).
Nothing secret is served: task ids, states, blocks, gas and grid job uids, never a request's
parameters. A request is answered from a census at most one second old."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, ProcessCollector, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.utils import floatToGoString

from .census import LATENCY_BUCKETS, Census, OracleCensus
from .task_states import TaskState

log = logging.getLogger("oracle.monitor")
TASK_PATH = re.compile(r"^/tasks/(0x[0-9a-fA-F]{64})$")
FRESH_FOR = 1.0


class Monitor:
    """Serves the census on host:port from a thread of its own until stop()."""

    def __init__(self, census: OracleCensus, host: str, port: int):
        disable_created_metrics()
        self.census = census
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self._lock = threading.Lock()
        self._last: tuple[float, Census] | None = None
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="monitor", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "Monitor":
        self.thread.start()
        log.info("metrics at %s/metrics, status at %s/status", self.url, self.url)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def latest(self) -> Census:
        with self._lock:  # one census at a time, shared by the requests of the same second
            if self._last is None or time.monotonic() - self._last[0] > FRESH_FOR:
                self._last = (time.monotonic(), self.census.read())
            return self._last[1]

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(accept)
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Families([*self.registry.collect(), *families(self.latest())]))
        return encoder(scrape), content_type


def families(census: Census):
    """The census as Prometheus metric families (counts from the database are totals since the
    oracle's database began, so they survive restarts)."""
    tasks = GaugeMetricFamily("cumulus_oracle_tasks", "The pool's tasks by the oracle's state.", labels=["state"])
    for state in TaskState:
        tasks.add_metric([state.value], census.by_state.get(state.value, 0))
    yield tasks
    tx = census.transactions
    for name, what in (("sent", "signed and broadcast, resends included"), ("resent", "resent with a higher fee"),
                       ("mined", "mined and successful"), ("reverted", "mined and reverted")):
        yield CounterMetricFamily(f"cumulus_oracle_transactions_{name}", f"The oracle's transactions {what}.",
                                  value=tx[name])
    yield GaugeMetricFamily("cumulus_oracle_transactions_pending", "The oracle's transactions not mined yet.",
                            value=tx["pending"])
    yield CounterMetricFamily("cumulus_oracle_gas", "Gas used by the oracle's mined transactions (reverted ones too).",
                              value=census.gas_spent)
    yield CounterMetricFamily("cumulus_oracle_pool_earned_rlc",
                              "RLC earned by the pool (owner's fee and workers' pay) on finalized tasks.",
                              value=census.earned_nrlc / 1e9)
    cumulative, buckets = 0, []
    for bound, count in zip([*map(floatToGoString, LATENCY_BUCKETS), "+Inf"], census.latency_counts):
        cumulative += count
        buckets.append((bound, cumulative))
    yield HistogramMetricFamily("cumulus_oracle_settle_latency_blocks",
                                "Blocks from a task's request to its finalization.", buckets=buckets,
                                sum_value=census.latency_sum)
    if census.head_block is not None:
        yield GaugeMetricFamily("cumulus_oracle_head_block", "The chain's latest block.", value=census.head_block)
    if census.cursor_block is not None:
        yield GaugeMetricFamily("cumulus_oracle_cursor_block", "The last block whose requests were processed.",
                                value=census.cursor_block)
    if census.head_block is not None and census.cursor_block is not None:
        yield GaugeMetricFamily("cumulus_oracle_blocks_behind", "Blocks between the head and the oracle's cursor.",
                                value=max(0, census.head_block - census.cursor_block))
    yield GaugeMetricFamily("cumulus_oracle_chain_up", "1 if the chain answered the last scrape.",
                            value=0 if census.head_block is None else 1)


class _Families:
    def __init__(self, items):
        self.items = items

    def collect(self):
        return iter(self.items)


def _handler(monitor: Monitor):
    class Handler(BaseHTTPRequestHandler):
        server_version = "cumulus-oracle"

        def do_GET(self):  # noqa: N802 (the standard library's name)
            path = self.path.split("?", 1)[0]
            try:
                if path == "/metrics":
                    body, content_type = monitor.exposition(self.headers.get("Accept"))
                    return self._send(200, body, content_type)
                if path == "/status":
                    return self._json(200, monitor.latest().status())
                match = TASK_PATH.match(path)
                if match:
                    task = monitor.census.task(match.group(1).lower())
                    return self._json(200, task) if task else self._json(404, {"detail": "the oracle never saw "
                                                                                          "this task"})
                return self._json(404, {"detail": "not found: /metrics, /status or /tasks/<task id>"})
            except Exception as exc:  # the database or the chain failed: say so in one line, keep serving
                log.warning("monitor request %s failed: %s", path, exc)
                return self._json(503, {"detail": "the oracle's state cannot be read now; retry"})

        def _json(self, status: int, value) -> None:
            self._send(status, json.dumps(value, separators=(",", ":")).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):  # a scrape every few seconds is not news
            pass

    return Handler
