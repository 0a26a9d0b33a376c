"""The worker's subscription to the scheduler's event stream (server-sent events).

The worker opens the connection (NAT-friendly, as every other request) and keeps it open,
reconnecting with backoff; each event goes to a handler. Pull stays the fallback: a missed
event only means the worker learns later, at its next pull or report.
"""

from __future__ import annotations

import json
import logging
import threading

import requests

from .client import SchedulerRefused, WorkerClient

log = logging.getLogger("xw.worker")
READ_TIMEOUT = 60.0  # the scheduler sends a keep-alive comment every 15 s


class EventSubscription(threading.Thread):
    def __init__(self, client: WorkerClient, handle, stop: threading.Event):
        super().__init__(name="events", daemon=True)
        self.client, self.handle, self.stop = client, handle, stop
        self.connected = threading.Event()

    def run(self) -> None:
        delay = 0.2
        while not self.stop.is_set():
            try:
                response = self.client.open_stream("/events", timeout=(10, READ_TIMEOUT))
            except SchedulerRefused as exc:
                if self.stop.is_set():
                    return
                if "404" in str(exc):
                    log.info("the scheduler offers no event stream; pulling only")
                    return
                log.warning("event stream refused: %s", exc)
                self.stop.wait(delay)
                delay = min(5.0, delay * 2)
                continue
            try:
                self.connected.set()
                log.info("subscribed to the scheduler's events")
                delay = 0.2
                self._read(response)
            except (requests.RequestException, OSError) as exc:
                log.info("event stream interrupted (%s); reconnecting", exc.__class__.__name__)
            finally:
                self.connected.clear()
                response.close()
            self.stop.wait(delay)

    def _read(self, response: requests.Response) -> None:
        for line in response.iter_lines(chunk_size=None, decode_unicode=True):
            if self.stop.is_set():
                return
            if not line or not line.startswith("data:"):
                continue  # blank separators and keep-alive comments
            try:
                message = json.loads(line[5:])
            except ValueError:
                log.warning("unreadable event from the scheduler: %.200s", line)
                continue
            if isinstance(message, dict):
                try:
                    self.handle(message)
                except Exception:  # a bad event must not end the subscription
                    log.exception("handling event %.200s failed", line)
