"""Events pushed to workers: a replicate to stop (its job finished or was aborted), new work.

Data functions `note` an event in their session; it is delivered only if the transaction
commits. On PostgreSQL the events travel as NOTIFY inside that transaction, and every
scheduler on the database LISTENs, so a worker subscribed to one scheduler hears what another
decided. On SQLite (one scheduler) they go straight to this process's subscribers after commit.
Delivery is best effort: a worker that misses an event still learns it by pulling and reporting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import defaultdict

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

log = logging.getLogger("xw.scheduler")
CHANNEL = "cumulus_grid"
_PENDING = "grid_events"
MAX_UIDS_PER_NOTIFY = 100  # keeps each NOTIFY payload far below PostgreSQL's 8,000 bytes
QUEUE_SIZE = 1000  # events waiting for one slow subscriber; later ones are dropped (pull still works)
MAX_SUBSCRIPTIONS_PER_WORKER = 4


def note_stop(session: Session, worker_id: int, replicate_uid: str, reason: str) -> None:
    """Tell `worker_id` to stop running `replicate_uid`, once this transaction commits."""
    stops = session.info.setdefault(_PENDING, {}).setdefault("stop", defaultdict(list))
    stops[(worker_id, reason)].append(replicate_uid)


def note_work(session: Session) -> None:
    """Tell idle workers that replicates became pending, once this transaction commits."""
    session.info.setdefault(_PENDING, {})["work"] = True


def _messages(pending: dict) -> list[dict]:
    out = [{"type": "work"}] if pending.get("work") else []
    for (worker_id, reason), uids in pending.get("stop", {}).items():
        for first in range(0, len(uids), MAX_UIDS_PER_NOTIFY):
            out.append({"type": "stop", "worker": worker_id, "replicates": uids[first:first + MAX_UIDS_PER_NOTIFY],
                        "reason": reason})
    return out


@event.listens_for(Session, "before_commit")
def _notify_in_transaction(session: Session) -> None:
    if _PENDING not in session.info or session.get_bind().dialect.name != "postgresql":
        return
    for message in _messages(session.info.pop(_PENDING)):
        session.execute(text("SELECT pg_notify(:channel, :payload)"),
                        {"channel": CHANNEL, "payload": json.dumps(message, separators=(",", ":"))})


@event.listens_for(Session, "after_commit")
def _deliver_here(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        SUBSCRIBERS.deliver(_messages(pending))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


class Subscribers:
    """The workers connected to this scheduler's event stream, each with an asyncio queue."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queues: dict[int, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = defaultdict(list)

    def subscribe(self, worker_id: int) -> asyncio.Queue | None:
        """A queue of this worker's events (None when it already holds too many subscriptions)."""
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        with self._lock:
            if len(self._queues[worker_id]) >= MAX_SUBSCRIPTIONS_PER_WORKER:
                return None
            self._queues[worker_id].append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, worker_id: int, queue: asyncio.Queue) -> None:
        with self._lock:
            self._queues[worker_id] = [(lp, q) for lp, q in self._queues[worker_id] if q is not queue]
            if not self._queues[worker_id]:
                del self._queues[worker_id]

    def deliver(self, messages: list[dict]) -> None:
        """Hand messages to the subscribers they concern; callable from any thread."""
        with self._lock:
            if not self._queues:
                return
            targets = []
            for message in messages:
                if message["type"] == "stop":
                    targets += [(lp, q, message) for lp, q in self._queues.get(message["worker"], ())]
                else:
                    targets += [(lp, q, message) for subs in self._queues.values() for lp, q in subs]
        for loop, queue, message in targets:
            loop.call_soon_threadsafe(_offer, queue, message)


def _offer(queue: asyncio.Queue, message: dict) -> None:
    try:
        queue.put_nowait(message)
    except asyncio.QueueFull:
        pass  # a stuck subscriber: it will learn by pulling


SUBSCRIBERS = Subscribers()


def listen(db_url: str, stop: threading.Event) -> None:
    """Relay this database's NOTIFY events to the local subscribers until `stop` (a thread's target)."""
    import psycopg

    conninfo = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    while not stop.is_set():
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                while not stop.is_set():
                    for notice in conn.notifies(timeout=0.5):  # each as soon as it arrives
                        SUBSCRIBERS.deliver([json.loads(notice.payload)])
        except Exception as exc:  # the database restarted or the network broke: listen again
            log.warning("event listener lost the database (%s); reconnecting", str(exc).splitlines()[0] if str(exc) else exc)
            stop.wait(1.0)
