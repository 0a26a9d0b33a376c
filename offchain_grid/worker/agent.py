"""The worker's loops: pull while slots are free, run jobs in threads, report in batches, stay alive."""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .cache import Cache
from .client import SchedulerRefused, WorkerClient
from .confine import Unconfined
from .docker import DockerEngine
from .events import EventSubscription
from .jobcontrol import RunningJobs
from .jobdirs import JobDirs
from .ledger import SignedResults
from .runner import JobFailed, Limits, Sources, run_assignment
from .volunteer import IdlePolicy, Volunteer

log = logging.getLogger("xw.worker")
REPORT_BATCH = 200
REPORT_BYTES = 32 * 1024 * 1024  # archive bytes per batch; a bigger result goes alone
PREFETCH_FACTOR = 2
# A finished result waits up to REPORT_LINGER seconds for others, until a slot's worth are ready: a
# busy worker sends one request (reports and the next pull) per `slots` jobs, not one per completion;
# the assignments held beyond the slots keep them busy meanwhile.
REPORT_LINGER = 0.25


@dataclass
class WorkerConfig:
    scheduler: str  # base URL of the scheduler
    account: object  # eth-account LocalAccount holding the worker key
    workdir: Path
    slots: int = 1
    cache_mb: int = 1024
    shared_apps: dict[str, str] = field(default_factory=dict)  # name -> local command
    poll_interval: float = 1.0
    limits: Limits = field(default_factory=Limits)
    docker: bool = False  # declare Docker if an engine answers
    docker_host: str | None = None  # the engine's address (DOCKER_HOST); None: the client's default
    confinement: object = None  # confine.Confinement, or confine.Unconfined where the operator chose so
    idle: IdlePolicy | None = None  # volunteer mode: compute only while the machine is idle


class Agent:
    def __init__(self, config: WorkerConfig):
        self.config = config
        self.stop = threading.Event()
        declared = list(config.shared_apps)
        self.docker = DockerEngine(config.docker_host, owner=config.account.address)
        if config.docker:
            problem = self.docker.problem()
            if problem:
                log.warning("not offering Docker apps: %s", problem)
            else:
                declared.append("docker")
                if removed := self.docker.remove_leftovers():
                    log.warning("removed %d container(s) a previous run of this worker left behind", removed)
        self.declared = sorted(set(declared))
        self.client = WorkerClient(config.scheduler, config.account, shared_apps=self.declared,
                                   slots=config.slots, stop=self.stop, holding=self._holding)
        self.cache = Cache(config.workdir / "cache", config.cache_mb * 1024 * 1024)
        self.sources = Sources(self.cache, self.client.blob_chunks)
        self.confinement = config.confinement or Unconfined()
        self.dirs = JobDirs(config.workdir / "jobs", new_uid=self.confinement.slot_uid)
        self.signed = SignedResults(config.workdir / "signed.db")
        self.reports: queue.Queue = queue.Queue()
        self.pool: ThreadPoolExecutor | None = None  # runs the jobs; set while the worker pulls
        # Permits for held assignments: the slots plus as many queued, so a slot never waits for a pull.
        self.free = threading.Semaphore(config.slots * PREFETCH_FACTOR)
        self.busy = 0
        self.exit_reason: str | None = None
        self.held: set[str] = set()  # replicate uids pulled and not yet reported: their leases are renewed
        self._held_lock = threading.Lock()
        self.jobs = RunningJobs()
        self.wake = threading.Event()  # set by a "work" event: pull now rather than at the next poll
        self.events = EventSubscription(self.client, self._on_event, self.stop)
        self.may_pull = threading.Event()
        self.may_pull.set()
        self.reported = threading.Event()  # set after each report request (it carried a pull)
        self._sending = False  # a report request is on its way
        self.volunteer = Volunteer(config.idle, self.jobs, self.may_pull, self._give_back, self.stop) \
            if config.idle else None

    def run(self) -> str | None:
        """Work until stopped or blacklisted; returns why it stopped (None when asked to stop)."""
        session = self.client.login()
        log.info("logged in to %s as %s (worker %s), %d slot(s), shared apps: %s", self.config.scheduler,
                 self.config.account.address, session["worker"], self.config.slots, ", ".join(self.declared) or "none")
        threads = [threading.Thread(target=self._keep_alive, name="alive", daemon=True),
                   threading.Thread(target=self._send_reports, name="reports", daemon=True), self.events]
        if self.volunteer:
            threads.append(self.volunteer)
        for thread in threads:
            thread.start()
        with ThreadPoolExecutor(max_workers=self.config.slots, thread_name_prefix="job") as pool:
            self.pool = pool
            try:
                self._pull_loop()
            finally:
                self.request_stop()
                log.info("stopped pulling; finishing the jobs in hand")
        while not self.reports.empty():
            self._flush_reports()
        log.info("stopped")
        return self.exit_reason

    def _pull_loop(self) -> None:
        while not self.stop.is_set():
            if not self.may_pull.is_set():  # volunteer mode: the machine's owner needs it
                self.may_pull.wait(0.5)
                continue
            free = self._take_free_slots()
            if free == 0:
                continue
            if self._report_will_pull():  # the report on its way asks for these slots: no request of its own
                self._release(free)
                self.reported.wait(self.config.poll_interval)
                self.reported.clear()
                continue
            try:
                answer = self.client.pull(free, self.cache.checksums())
            except SchedulerRefused as exc:
                self._release(free)
                if self.stop.is_set():
                    return
                log.error("pull refused: %s", exc)
                self.stop.wait(self.config.poll_interval)
                continue
            if not self._take(answer, free):
                if self.exit_reason:
                    return
                self.wake.wait(self.config.poll_interval)
                self.wake.clear()

    def _take(self, answer: dict, asked: int) -> int:
        """Start the assignments of a pull's (or a report's) answer, for which `asked` permits are held;
        how many. A blacklisted worker stops."""
        if answer.get("blacklisted"):
            self._release(asked)
            self.exit_reason = f"blacklisted by the scheduler: {answer.get('reason')}"
            log.error("%s; stopping", self.exit_reason)
            self.request_stop()
            return 0
        assignments = answer.get("assignments") or []  # none from a scheduler that does not pull on reports
        with self._held_lock:
            self.held.update(a["replicate"] for a in assignments)
        self._release(asked - len(assignments))
        for assignment in assignments:
            try:
                self.pool.submit(self._work, assignment)
            except RuntimeError:  # stopping: the pool takes no more jobs; another worker will run it
                self._release(1)
                self.reports.put(("return", {"replicate": assignment["replicate"], "reason": "its worker is stopping"}))
        return len(assignments)

    def _take_free_slots(self) -> int:
        """Wait until a slot's worth of permits is free (the queue ran low), then take all free ones.

        Pulling only then makes each pull carry several jobs; the jobs still held keep every
        slot busy meanwhile, so waiting costs no idle slot.
        """
        taken, deadline = 0, time.monotonic() + 0.5
        while taken < self.config.slots and not self.stop.is_set():
            if not self.free.acquire(timeout=max(0.0, deadline - time.monotonic())):
                break
            taken += 1
            if self._report_will_pull():  # a finished job's report is queued: it will carry the pull
                return taken
        while self.free.acquire(blocking=False):
            taken += 1
        return taken

    def _take_free_now(self) -> int:
        """Every permit free at this moment, without waiting (none once stopping)."""
        taken = 0
        while not self.stop.is_set() and self.free.acquire(blocking=False):
            taken += 1
        return taken

    def _report_will_pull(self) -> bool:
        return self._sending or not self.reports.empty()

    def _release(self, count: int) -> None:
        for _ in range(count):
            self.free.release()

    def _work(self, assignment: dict) -> None:
        started = time.monotonic()
        uid = assignment["replicate"]
        label = f"job {assignment['job']} (app {assignment['app']['name']}, replicate {uid})"
        report = None
        try:
            if not self.jobs.was_stopped(uid):
                log.info("running %s", label)
                result = run_assignment(assignment, dirs=self.dirs, sources=self.sources,
                                        private_key=self.config.account.key, limits=self.config.limits,
                                        shared_tools=self.config.shared_apps, confinement=self.confinement,
                                        docker=self.docker, started=self.jobs.started(uid))
                log.info("finished %s in %.2fs, result digest %s", label, time.monotonic() - started, result["result_digest"])
                if not self.signed.may_sign(assignment, result):
                    # sending it would hand over proof of signing two results for one task
                    raise JobFailed(f"this worker already signed another result for task {assignment['task_id']}")
                report = ("result", result)
        except JobFailed as exc:
            if self.jobs.was_paused(uid):  # the pause may be why (wall time): another worker tries it
                log.warning("failed %s after a pause: %s; giving it back", label, exc)
                report = ("return", {"replicate": uid, "reason": f"given back after a pause: {exc}"})
            else:
                log.warning("failed %s: %s", label, exc)
                report = ("failure", {"replicate": uid, "reason": str(exc)})
        except Exception as exc:  # report instead of losing the replicate to a lease expiry
            log.exception("unexpected error in %s", label)
            report = ("failure", {"replicate": uid, "reason": f"worker error: {exc}"})
        finally:
            stopped = self.jobs.finished(uid)
            if stopped is not None and stopped[0] == "give_back":
                log.info("gave back %s: %s", label, stopped[1])
                self.reports.put(("return", {"replicate": uid, "reason": stopped[1]}))
            elif stopped is not None:  # the scheduler no longer wants it: nothing to report
                log.info("stopped %s: %s", label, stopped[1])
                self._forget([uid])
            elif report is not None:
                self.reports.put(report)
            self.free.release()

    def _on_event(self, message: dict) -> None:
        if message.get("type") == "work":
            self.wake.set()
        elif message.get("type") == "stop":
            with self._held_lock:
                mine = [uid for uid in message.get("replicates") or () if uid in self.held]
            if mine:
                self.jobs.stop(mine, str(message.get("reason") or "stopped by the scheduler"))

    def _give_back(self, reason: str) -> int:
        """Kill every held job, running or queued, and hand it back to the scheduler; how many."""
        with self._held_lock:
            held = list(self.held)
        self.jobs.stop(held, reason, give_back=True)
        return len(held)

    def _forget(self, uids: list[str]) -> None:
        with self._held_lock:
            self.held.difference_update(uids)

    def _send_reports(self) -> None:
        while not self.stop.is_set():
            self._flush_reports(wait=0.2)

    def _flush_reports(self, wait: float = 0.0) -> None:
        items = []
        try:
            items.append(self.reports.get(timeout=wait) if wait else self.reports.get_nowait())
            self._sending = True
            size, deadline = len(items[0][1].get("archive", "")), time.monotonic() + (REPORT_LINGER if wait else 0)
            while len(items) < REPORT_BATCH and size < REPORT_BYTES:
                linger = deadline - time.monotonic() if len(items) < self.config.slots else 0
                items.append(self.reports.get(timeout=linger) if linger > 0 else self.reports.get_nowait())
                size += len(items[-1][1].get("archive", ""))
        except queue.Empty:
            pass
        if not items:
            return
        try:
            self._send(items)
        finally:
            self._sending = False
            self.reported.set()

    def _send(self, items: list) -> None:
        results = [body for kind, body in items if kind == "result"]
        failures = [body for kind, body in items if kind == "failure"]
        returns = [body for kind, body in items if kind == "return"]
        # The slots these reports freed ask for work in the same request: one round trip, not two.
        free = self._take_free_now() if self.pool is not None and self.may_pull.is_set() else 0
        try:
            outcome = self.client.report(results, failures, returns,
                                         pull=(free, self.cache.checksums()) if free else None)
        except SchedulerRefused as exc:
            self._release(free)
            log.error("reports refused: %s", exc)
            return
        finally:
            self._forget([body["replicate"] for body in results + failures + returns])
        if free:
            self._take(outcome, free)
        for rejected in outcome["rejected"]:
            log.warning("scheduler rejected report for replicate %s: %s", rejected["replicate"], rejected["reason"])

    def request_stop(self) -> None:
        """Stop pulling (the jobs in hand finish and are reported); safe from a signal handler."""
        self.stop.set()
        self.wake.set()
        self.reported.set()

    def _holding(self) -> list[str]:
        with self._held_lock:
            return list(self.held)

    def _keep_alive(self) -> None:
        while not self.stop.wait(self.client.alive_interval):
            try:
                answer = self.client.alive(self._holding())
            except SchedulerRefused as exc:
                log.error("alive signal refused: %s", exc)
                continue
            if answer.get("blacklisted"):
                self.exit_reason = f"blacklisted by the scheduler: {answer.get('reason')}"
                self.request_stop()
