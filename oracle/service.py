"""The oracle's loop, the I/O shell around the pure decisions (decisions.py). Each step follows
the chain, the transactions in flight and the grid, each in bulk (one grid lookup for every job
in flight, batched chain reads, one receipt per transaction), asks `decide` what each
observation calls for, and carries the actions out; settlements leave as one batch per kind
and block. Every step can be repeated after a crash: tasks are recorded before acting, jobs
are submitted with the task id as external id, and a batch is recorded before it is sent."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from web3 import Web3

from offchain_grid.client import ClientError, GridClient

from . import chain_reads
from .decisions import (AbortJob, Asset, Dispatchable, JobSeen, Move, NoteSplit, OnChain, Rules, Settle, Submit,
                        decide, request_of)
from .deployment import Deployment
from .hub import RevertExplainer, hub_contract, skipped_tasks
from .listener import EventListener
from .models import ErrorLog, TaskRecord
from .settlement import Settlements
from .task_states import OPEN, SENDING, TaskState, move
from .txmanager import TransactionManager

log = logging.getLogger("oracle")
SLOW_STEP = 2.0  # seconds: a step taking longer says where its time went


@dataclass
class OracleSettings:
    confirmations: int = 1
    poll_interval: float = 1.0  # seconds between steps
    rules: Rules = Rules()


class Oracle:
    def __init__(self, w3: Web3, deployment: Deployment, pool: int, account, engine: Engine,
                 grid: GridClient, settings: OracleSettings | None = None, tx: TransactionManager | None = None,
                 pool_orders=None):
        self.w3 = w3
        self.deployment = deployment
        self.pool = pool
        self.engine = engine
        self.grid = grid
        self.settings = settings or OracleSettings()
        self.rules = self.settings.rules
        self.hub = hub_contract(w3, deployment.hub)
        explain = RevertExplainer("Hub")
        self.tx = tx or TransactionManager(w3, account, engine, explain_revert=explain)
        self.tx.confirmations = max(1, self.settings.confirmations)
        self.tx.describe = lambda receipt: json.dumps(skipped_tasks(self.hub, receipt, explain))
        self.listener = EventListener(w3, self.hub, pool, engine, start_block=deployment.start_block,
                                      confirmations=self.settings.confirmations)
        self.settlements = Settlements(self.hub, self.tx, engine)
        self._recent_errors: dict[tuple, float] = {}  # (task, message) -> when last recorded
        self.pool_orders = pool_orders  # a pool_orders.PoolOrders when the pool trades on an order book

    # -- the loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        log.info("oracle for pool %d of hub %s as %s, from block %d", self.pool, self.hub.address,
                 self.tx.address, self.listener.cursor() + 1)
        while not stop.is_set():
            self.step()
            stop.wait(self.settings.poll_interval)

    def step(self) -> None:
        stages = (self._ingest, self.tx.poll, self._follow_jobs, self._dispatch, self._follow_chain)
        took = {}
        for stage in stages + ((self.pool_orders.step,) if self.pool_orders else ()):
            started = time.monotonic()
            try:
                stage()
            except ClientError as exc:
                self._error(None, f"{stage.__name__}: {grid_problem(exc)}")
            except Exception as exc:  # one failing stage must not stop the others, nor the loop
                self._error(None, f"{stage.__name__}: {exc}")
            took[stage.__name__] = time.monotonic() - started
        if sum(took.values()) > SLOW_STEP:
            log.info("slow step (%.1f s): %s", sum(took.values()), ", ".join(f"{k} {v:.2f}" for k, v in took.items()))

    # -- chain -> database --------------------------------------------------------------------

    def _ingest(self) -> None:
        batch = self.listener.poll()
        with Session(self.engine) as session:
            if batch.fork_block is not None:
                for task in self._tasks(session, OPEN):
                    if task.block_number > batch.fork_block:
                        task.held = True
                        session.add(task)
                        log.warning("task %s held: its block %d was reorged out", _short(task.task_id), task.block_number)
            # the tasks already known, in one query (a get per event flushed and queried each time)
            ids = [event.task_id for event in batch.requests]
            known = {}
            if ids:
                known = {t.task_id: t for t in session.exec(select(TaskRecord).where(col(TaskRecord.task_id).in_(ids)))}
            for event in batch.requests:
                task = known.get(event.task_id)
                if task is None:
                    fields = event.fields
                    task = TaskRecord(
                        task_id=event.task_id, state=TaskState.SEEN, request_json=json.dumps(list(event.request)),
                        params=event.params.decode("utf-8", errors="replace"), block_number=event.block_number,
                        block_hash=event.block_hash, deadline=fields["deadline"], trust=fields["trust"],
                    )
                    log.info("task %s seen in block %d (trust %d)", _short(event.task_id), event.block_number, task.trust)
                elif task.held:
                    task.held = False
                    log.info("task %s mined again in block %d", _short(event.task_id), event.block_number)
                task.block_number, task.block_hash = event.block_number, event.block_hash
                known[event.task_id] = task  # a request seen twice in one batch (replayed) is one task
                session.add(task)
            self.listener.commit(session, batch)
            session.commit()

    # -- grid -> decisions ----------------------------------------------------------------------

    def _follow_jobs(self) -> None:
        with Session(self.engine) as session:
            tasks = self._tasks(session, {TaskState.DISPATCHED})
            if not tasks:
                return
            progress = {view["external_id"]: view for view in self.grid.lookup([t.task_id for t in tasks])}
            clock = time.time()
            for task in tasks:
                self._act(session, task, decide(task, JobSeen(progress.get(task.task_id), clock), self.rules))
            session.commit()

    def _dispatch(self) -> None:
        with Session(self.engine) as session:
            tasks = self._tasks(session, {TaskState.SEEN})
            if not tasks:
                return
            now = self._head()["timestamp"]
            requests = {t.task_id: request_of(t) for t in tasks}
            apps = self._assets("app", {r["app"] for r in requests.values()})
            datasets = self._assets("dataset", {r["dataset"] for r in requests.values() if r["dataset"]})
            submits = []
            for task in tasks:
                request = requests[task.task_id]
                actions = decide(task, Dispatchable(now, apps[request["app"]], datasets.get(request["dataset"])),
                                 self.rules)
                submits += [(task, a) for a in actions if isinstance(a, Submit)]
                self._act(session, task, [a for a in actions if not isinstance(a, Submit)])
            self._submit_all(session, submits)
            session.commit()

    def _assets(self, kind: str, ids: set[int]) -> dict[int, Asset]:
        """Each app or dataset as the chain registers it and the grid knows it: one batch of
        chain reads, one grid read per distinct name."""
        found = {}
        for registry_id, (_owner, _price, checksum, uri) in chain_reads.assets(self.hub, kind, ids).items():
            try:
                entry = self.grid.get(f"/apps/{uri}" if kind == "app" else f"/datas/{uri}")
            except ClientError as exc:
                if exc.status != 404:
                    raise
                entry = None
            found[registry_id] = Asset(kind, registry_id, bytes(checksum).hex(), uri, entry)
        return found

    def _submit_all(self, session: Session, submits: list[tuple[TaskRecord, Submit]]) -> None:
        """One batch submission per 500 jobs; a batch the grid refuses (all or nothing) is
        submitted job by job, so that only the job it refuses is rejected."""
        for start in range(0, len(submits), 500):
            chunk = submits[start:start + 500]
            try:
                refs = self.grid.submit_batch([self._job(task, action) for task, action in chunk])
            except ClientError as exc:
                if not _refused(exc):  # the grid is down or refuses the oracle: the next step retries
                    self._error(None, grid_problem(exc))
                    return
                for task, action in chunk:
                    self._submit(session, task, action)
                continue
            for (task, _action), ref in zip(chunk, refs):
                self._apply(session, task, Move(TaskState.DISPATCHED, job_uid=ref["uid"]))

    def _job(self, task: TaskRecord, action: Submit) -> dict:
        return dict(action.body, app=action.app, args=action.args,
                    onchain={"chain_id": self.deployment.chain_id, "hub": self.hub.address, "task_id": task.task_id})

    def _submit(self, session: Session, task: TaskRecord, action: Submit) -> None:
        try:
            job = self.grid.post("/jobs", self._job(task, action))
        except ClientError as exc:
            if _refused(exc):
                self._apply(session, task, Move(TaskState.REJECTED, f"the grid refused the job: {exc}"))
            else:
                self._error(task.task_id, grid_problem(exc))
            return
        self._apply(session, task, Move(TaskState.DISPATCHED, job_uid=job["uid"]))

    # -- chain -> decisions ---------------------------------------------------------------------

    def _follow_chain(self) -> None:
        """Settlement transactions at their depth, then the chain's view of every task that may
        be settled, past its deadline, or held; then this block's batches."""
        head = self._head()
        with Session(self.engine) as session:
            sending = self._tasks(session, SENDING, include_held=True)
            for task_id, (outcome, record) in self.settlements.outcomes(sending).items():
                task = session.get(TaskRecord, task_id)
                if record is not None and outcome.result == "confirmed" and outcome.skipped is None:
                    log.info("task %s settled in block %d (batch gas %d)", _short(task_id), record.block_number,
                             record.gas_used or 0)
                elif outcome.skipped:
                    log.warning("task %s skipped by the Hub: %s", _short(task_id), outcome.skipped)
                self._act(session, task, decide(task, outcome, self.rules))
            session.commit()
            # the tasks to settle are looked at only when a batch can leave at this head, as many
            # as can leave; held ones and those past their deadline at every step
            ready = {TaskState.COMPLETED, TaskState.REJECTED, TaskState.JOB_FAILED}
            room = self.settlements.room(head["number"])
            tasks = []
            for task in self._tasks(session, OPEN, include_held=True):
                if task.held or task.deadline < head["timestamp"]:
                    tasks.append(task)
                elif task.state in ready and room > 0:
                    tasks.append(task)
                    room -= 1
            if tasks:
                # the chain's status is read for held tasks and those past their deadline; a task
                # ready to settle is taken as open (a batch skips a settled one and says why)
                unsure = [t.task_id for t in tasks if t.held or t.deadline < head["timestamp"]]
                statuses = dict.fromkeys((t.task_id for t in tasks), "Requested")
                statuses.update(chain_reads.task_statuses(self.hub, unsure) if unsure else {})
                signers = {entry["worker"] for t in tasks if t.state == TaskState.COMPLETED
                           for entry in _contributions(t)}
                workers = chain_reads.worker_records(self.hub, signers) if signers else {}
                for task in tasks:
                    seen = OnChain(statuses[task.task_id], head["timestamp"], workers)
                    self._act(session, task, decide(task, seen, self.rules))
                session.commit()
        self.settlements.send(head["number"], self._error)

    # -- actions --------------------------------------------------------------------------------

    def _act(self, session: Session, task: TaskRecord, actions: list) -> None:
        for action in actions:
            if isinstance(action, Move):
                self._apply(session, task, action)
            elif isinstance(action, Submit):
                self._submit(session, task, action)
            elif isinstance(action, Settle):
                self.settlements.queue(action.kind, task.task_id, action.item)
            elif isinstance(action, AbortJob):
                self._abort(task.task_id, action.job_uid)
            elif isinstance(action, NoteSplit):
                task.split_since = action.since
                session.add(task)
                log.warning("task %s job %s: its results disagree", _short(task.task_id), task.job_uid)

    def _apply(self, session: Session, task: TaskRecord, action: Move) -> None:
        before = task.state
        task.state = move(TaskState(task.state), action.target)
        if action.reason is not None:
            task.reason = action.reason
        if action.result_json is not None:
            task.result_json = action.result_json
        if action.job_uid is not None:
            task.job_uid = action.job_uid
        if action.target in (TaskState.SEEN, TaskState.COMPLETED, TaskState.REJECTED, TaskState.JOB_FAILED):
            task.tx_purpose = None
        if action.target == TaskState.SEEN:
            task.split_since = None
        task.updated_at = time.time()
        session.add(task)
        level = logging.WARNING if action.target in (TaskState.REJECTED, TaskState.JOB_FAILED, TaskState.ORPHANED,
                                                     TaskState.SEEN) else logging.INFO
        log.log(level, "task %s %s -> %s%s%s", _short(task.task_id), before, task.state.value,
                f" job {task.job_uid}" if action.job_uid else "", f": {action.reason}" if action.reason else "")

    def _abort(self, task_id: str, job_uid: str) -> None:
        """Stops the grid from spending work on a task that can never be finalized."""
        try:
            self.grid.post(f"/jobs/{job_uid}/abort")
        except ClientError as exc:
            if exc.status not in (404, 409, 422):
                self._error(task_id, f"cannot abort job {job_uid}: {grid_problem(exc)}")

    # -- helpers ------------------------------------------------------------------------------

    def _tasks(self, session: Session, states, include_held: bool = False) -> list[TaskRecord]:
        query = select(TaskRecord).where(col(TaskRecord.state).in_([s.value for s in states]))
        if not include_held:
            query = query.where(TaskRecord.held == False)  # noqa: E712  (SQL comparison)
        return list(session.exec(query.order_by(TaskRecord.block_number)).all())

    def _head(self) -> dict:
        return self.w3.eth.get_block("latest")

    def _error(self, task_id: str | None, message: str) -> None:
        """Logs and records an error, once a minute at most while it keeps happening."""
        now = time.time()
        if self._recent_errors.get((task_id, message), 0) > now - 60:
            return
        self._recent_errors[(task_id, message)] = now
        log.error("%s%s", f"task {_short(task_id)}: " if task_id else "", message)
        with Session(self.engine) as session:
            session.add(ErrorLog(task_id=task_id, message=message[:2000]))
            session.commit()


def grid_problem(exc: ClientError) -> str:
    """A grid error as the operator must read it: the token refused is not an outage."""
    if exc.status in (401, 403):
        return f"the grid refuses the oracle's token ({exc}): check --grid-token"
    return f"grid unavailable, will retry: {exc}"


def _refused(exc: ClientError) -> bool:
    """The grid refuses the job itself (not the oracle's token, nor a rate limit, nor an outage)."""
    return exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403, 429)


def _contributions(task: TaskRecord) -> list[dict]:
    result = json.loads(task.result_json or "{}")
    return result.get("signatures", []) + result.get("dissents", [])


def _short(task_id: str | None) -> str:
    return (task_id or "")[:10]
