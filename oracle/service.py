"""The oracle's loop: each step follows the chain, moves every open task one step along its
state machine, and follows the transactions in flight. Every step can be repeated after a
crash: tasks are recorded before acting, jobs are submitted with the task id as external id,
and each transaction is keyed by its purpose."""

from __future__ import annotations

import io
import json
import logging
import tarfile
import threading
import time
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from web3 import Web3

from offchain_grid.client import ClientError, GridClient
from offchain_grid.contribution import to_bytes32

from .arguments import app_arguments
from .deployment import Deployment
from .errors import TransactionFailed
from .hub import REQUEST_FIELDS, TASK_STATUS, RevertExplainer, compact_signature, hub_contract, request_for_call
from .listener import EventListener
from .models import ErrorLog, TaskRecord
from .task_states import OPEN, TaskState, move
from .txmanager import DROPPED, MINED, PENDING, REVERTED, TransactionManager

log = logging.getLogger("oracle")


@dataclass
class OracleSettings:
    confirmations: int = 1
    poll_interval: float = 1.0  # seconds between steps
    min_lead: int = 30  # refuse a task whose deadline is closer than this (seconds)
    finalize_margin: int = 15  # the grid job must end this long before the task's deadline
    max_wall_seconds: int = 600  # per replicate, capped by the time left
    max_retries: int = 3


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
        self.hub = hub_contract(w3, deployment.hub)
        self.tx = tx or TransactionManager(w3, account, engine, explain_revert=RevertExplainer("Hub"))
        self.listener = EventListener(w3, self.hub, pool, engine, start_block=deployment.start_block,
                                      confirmations=self.settings.confirmations)
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
        stages = (self._ingest, self.tx.poll, self._dispatch, self._collect, self._settle, self._keep)
        for stage in stages + ((self.pool_orders.step,) if self.pool_orders else ()):
            try:
                stage()
            except Exception as exc:  # one failing stage must not stop the others, nor the loop
                self._error(None, f"{stage.__name__}: {exc}")

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
            for event in batch.requests:
                task = session.get(TaskRecord, event.task_id)
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
                session.add(task)
            self.listener.commit(session, batch)
            session.commit()

    # -- database -> grid ---------------------------------------------------------------------

    def _dispatch(self) -> None:
        with Session(self.engine) as session:
            for task in self._tasks(session, {TaskState.SEEN}):
                try:
                    job = self._submit(task)
                except ClientError as exc:
                    self._error(task.task_id, f"grid unavailable, will retry: {exc}")
                    continue
                except Rejection as exc:
                    self._transition(session, task, TaskState.REJECTED, reason=str(exc))
                    log.warning("task %s rejected: %s", _short(task.task_id), exc)
                    continue
                task.job_uid = job["uid"]
                self._transition(session, task, TaskState.DISPATCHED)
                log.info("task %s dispatched as job %s (replication %d)", _short(task.task_id), job["uid"], task.trust)

    def _submit(self, task: TaskRecord) -> dict:
        request = self._request(task)
        now = self._chain_time()
        time_left = task.deadline - now
        if time_left < self.settings.min_lead:
            raise Rejection(f"deadline too close: {time_left}s left, at least {self.settings.min_lead}s needed")
        app_name = self._checked_asset("app", request["app"], request["appOwner"])
        data = [self._checked_asset("dataset", request["dataset"], request["datasetOwner"])] if request["dataset"] else []
        try:
            args = app_arguments(task.params)
        except ValueError as exc:
            raise Rejection(f"parameters are not valid arguments: {exc}") from None
        job_deadline = task.deadline - self.settings.finalize_margin
        body = {
            "replication": task.trust,
            "max_wall_seconds": max(1, min(self.settings.max_wall_seconds, job_deadline - now)),
            "max_retries": self.settings.max_retries,
            "deadline": job_deadline,
            "external_id": task.task_id,
            "data": data,
            "onchain": {"chain_id": self.deployment.chain_id, "hub": self.hub.address, "task_id": task.task_id},
        }
        try:
            return self.grid.submit(app_name, args, **body)
        except ClientError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403, 429):
                raise Rejection(f"the grid refused the job: {exc}") from None
            raise  # the grid is down or refuses the oracle itself: retried at the next step

    def _checked_asset(self, kind: str, registry_id: int, owner: str) -> str:
        """The grid's name for an on-chain app or dataset, once the grid's entry of that name is
        known to belong to the on-chain owner (`owner`, fixed in the request) and to have its checksum."""
        getter = self.hub.functions.s_apps if kind == "app" else self.hub.functions.s_datasets
        _owner, _price, checksum, uri = getter(registry_id).call()
        path = f"/apps/{uri}" if kind == "app" else f"/datas/{uri}"
        try:
            entry = self.grid.get(path)
        except ClientError as exc:
            if exc.status == 404:
                raise Rejection(f"{kind} {registry_id} ({uri!r}) is unknown on the grid") from None
            raise
        grid_owner = entry.get("owner_address")
        if (grid_owner or "").lower() != owner.lower():
            raise Rejection(f"{kind} {registry_id} is {owner}'s on chain, but the grid's {kind} {uri!r} belongs to "
                            f"{grid_owner or 'a user who proved no address'}")
        expected = bytes(checksum).hex()
        # a shared app has no file on the grid, hence no checksum to compare
        if entry.get("checksum") is not None and entry["checksum"].lower() != expected:
            raise Rejection(f"{kind} {registry_id} checksum mismatch: chain {expected}, grid {entry.get('checksum')}")
        return entry["uid"] if kind == "dataset" else uri

    def _collect(self) -> None:
        with Session(self.engine) as session:
            for task in self._tasks(session, {TaskState.DISPATCHED}):
                try:
                    job = self.grid.job(task.job_uid)
                except ClientError as exc:
                    self._error(task.task_id, f"cannot read job {task.job_uid}: {exc}")
                    continue
                if job["status"] == "COMPLETED" and (failure := self._app_failure(task.job_uid)):
                    self._transition(session, task, TaskState.JOB_FAILED, reason=failure)
                    log.warning("task %s job %s: %s", _short(task.task_id), task.job_uid, failure)
                elif job["status"] == "COMPLETED":
                    task.result_json = json.dumps(job["result"])
                    self._transition(session, task, TaskState.COMPLETED)
                    log.info("task %s job %s completed: digest %s, %d signatures", _short(task.task_id),
                             task.job_uid, job["result"]["digest"][:18], len(job["result"]["signatures"]))
                elif job["status"] in ("ERROR", "ABORTED"):
                    reason = job.get("error") or f"job {job['status'].lower()}"
                    self._transition(session, task, TaskState.JOB_FAILED, reason=reason)
                    log.warning("task %s job %s failed: %s", _short(task.task_id), task.job_uid, reason)

    def _app_failure(self, job_uid: str) -> str | None:
        """Why the agreed result is a failure (the app exited non-zero on every worker), if it is."""
        with tarfile.open(fileobj=io.BytesIO(self.grid.result_archive(job_uid))) as archive:
            exit_code = int(archive.extractfile("exit_code").read().strip() or 0)
            if exit_code == 0:
                return None
            stderr = archive.extractfile("stderr").read()[-160:].decode("utf-8", errors="replace").strip()
        return f"the app exited with code {exit_code} on every worker" + (f": {stderr}" if stderr else "")

    # -- database -> chain --------------------------------------------------------------------

    def _settle(self) -> None:
        with Session(self.engine) as session:
            for task in self._tasks(session, {TaskState.COMPLETED, TaskState.REJECTED, TaskState.JOB_FAILED}):
                if self._settled_elsewhere(session, task):
                    continue
                try:
                    if task.state == TaskState.COMPLETED:
                        self.tx.send(f"finalize:{task.task_id}", self._finalize_call(task))
                        self._transition(session, task, TaskState.FINALIZING)
                        log.info("task %s finalize sent", _short(task.task_id))
                    else:
                        reason = (task.reason or "failed")[:256]
                        self.tx.send(f"report:{task.task_id}",
                                     self.hub.functions.reportFailure(self._call_request(task), reason))
                        self._transition(session, task, TaskState.REPORTING)
                        log.info("task %s failure reported: %s", _short(task.task_id), reason)
                except NotEnoughAgreement as exc:
                    self._transition(session, task, TaskState.JOB_FAILED, reason=str(exc))
                    log.warning("task %s cannot be finalized: %s", _short(task.task_id), exc)
                except TransactionFailed as exc:
                    self._error(task.task_id, str(exc))
            self._follow_sent(session, TaskState.FINALIZING, "finalize", TaskState.FINALIZED, TaskState.COMPLETED)
            self._follow_sent(session, TaskState.REPORTING, "report", TaskState.REFUNDED, TaskState.REJECTED)
            self._follow_sent(session, TaskState.CLAIMING, "claim", TaskState.CLAIMED, None)

    def _follow_sent(self, session: Session, state: TaskState, verb: str, done: TaskState, retry: TaskState | None):
        for task in self._tasks(session, {state}, include_held=True):
            record = self.tx.latest(f"{verb}:{task.task_id}")
            if record is None or record.state == PENDING:
                continue
            if record.state == MINED:
                self._transition(session, task, done)
                receipt = self.w3.eth.get_transaction_receipt(record.tx_hash)
                log.info("task %s %s in block %d (gas %d)", _short(task.task_id), done.value.lower(),
                         receipt["blockNumber"], receipt["gasUsed"])
            elif record.state in (REVERTED, DROPPED):
                self._error(task.task_id, f"{verb} transaction {record.tx_hash} {record.state.lower()}")
                if not self._settled_elsewhere(session, task) and retry is not None:
                    self._transition(session, task, retry)

    def _keep(self) -> None:
        """Keeper duty: a task past its deadline is claimed back for its requester."""
        now = self._chain_time()
        with Session(self.engine) as session:
            for task in self._tasks(session, OPEN - {TaskState.CLAIMING}, include_held=True):
                if task.deadline >= now:
                    continue
                if self._settled_elsewhere(session, task):
                    continue
                try:
                    self.tx.send(f"claim:{task.task_id}", self.hub.functions.claim(self._call_request(task)))
                except TransactionFailed as exc:
                    self._error(task.task_id, str(exc))
                    continue
                self._transition(session, task, TaskState.CLAIMING)
                log.info("task %s deadline passed: claim sent for the requester", _short(task.task_id))

    # -- helpers ------------------------------------------------------------------------------

    def _finalize_call(self, task: TaskRecord):
        result = json.loads(task.result_json)
        request = self._request(task)
        records = {entry["worker"]: self._worker(entry["worker"])
                   for entry in result["signatures"] + result.get("dissents", [])}
        agreeing = sorted((s for s in result["signatures"] if _counts(records[s["worker"]], request)),
                          key=lambda s: int(s["worker"], 16))
        if len(agreeing) < task.trust:
            raise NotEnoughAgreement(f"only {len(agreeing)} pool workers with the stake and reputation the request "
                                     f"asks for agreed, {task.trust} needed")
        # the Hub weighs the dissents of pool members, one per signer, in ascending signer order
        seen = set()
        dissents = []
        for entry in sorted(result.get("dissents", []), key=lambda d: int(d["worker"], 16)):
            if records[entry["worker"]][0] == request["pool"] and entry["worker"] not in seen:
                seen.add(entry["worker"])
                dissents.append((to_bytes32(entry["digest"]), to_bytes32(entry["callback_data_hash"]),
                                 compact_signature(entry["signature"])))
        return self.hub.functions.finalize(
            self._call_request(task), to_bytes32(result["digest"]),
            bytes.fromhex(result["callback_data"].removeprefix("0x")),
            [compact_signature(s["signature"]) for s in agreeing], dissents,
        )

    def _worker(self, worker: str) -> tuple:
        """(pool, stake, earnings, score, leftAt) of a worker's record on the Hub."""
        return tuple(self.hub.functions.s_workers(Web3.to_checksum_address(worker)).call())

    def _settled_elsewhere(self, session: Session, task: TaskRecord) -> bool:
        """True (and the task closed) when the chain no longer has it open."""
        status = TASK_STATUS[self.hub.functions.taskStatus(to_bytes32(task.task_id)).call()]
        if status == "Requested":
            return False
        if status == "None":
            if task.held and task.deadline < self._chain_time():
                self._transition(session, task, TaskState.ORPHANED, reason="its request left the canonical chain")
                log.warning("task %s orphaned: its request is not on the canonical chain", _short(task.task_id))
                self._abort_job(task)
                return True
            return task.held  # wait: it may be mined again
        target = TaskState.SETTLED
        if task.state == TaskState.FINALIZING and status == "Finalized":
            target = TaskState.FINALIZED
        elif task.state == TaskState.CLAIMING and status == "Claimed":
            target = TaskState.CLAIMED
        elif task.state == TaskState.REPORTING and status == "Failed":
            target = TaskState.REFUNDED
        self._transition(session, task, target, reason=None if target != TaskState.SETTLED else f"{status} on chain")
        return True

    def _abort_job(self, task: TaskRecord) -> None:
        """Stops the grid from spending work on a task that can never be finalized."""
        if task.job_uid:
            try:
                if self.grid.job(task.job_uid)["status"] in ("PENDING", "RUNNING"):
                    self.grid.post(f"/jobs/{task.job_uid}/abort")
            except ClientError as exc:
                self._error(task.task_id, f"cannot abort job {task.job_uid}: {exc}")

    def _transition(self, session: Session, task: TaskRecord, target: TaskState, reason: str | None = None) -> None:
        task.state = move(TaskState(task.state), target)
        if reason is not None:
            task.reason = reason
        task.updated_at = time.time()
        session.add(task)
        session.commit()
        session.refresh(task)

    def _tasks(self, session: Session, states, include_held: bool = False) -> list[TaskRecord]:
        query = select(TaskRecord).where(col(TaskRecord.state).in_([s.value for s in states]))
        if not include_held:
            query = query.where(TaskRecord.held == False)  # noqa: E712  (SQL comparison)
        return list(session.exec(query.order_by(TaskRecord.block_number)).all())

    def _request(self, task: TaskRecord) -> dict:
        return dict(zip(REQUEST_FIELDS, json.loads(task.request_json)))

    def _call_request(self, task: TaskRecord) -> tuple:
        return request_for_call(json.loads(task.request_json))

    def _chain_time(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

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


def _counts(record: tuple, request: dict) -> bool:
    """Whether the Hub counts a signer with this record for this request: an active member of
    its pool with the stake and reputation the request asks for."""
    pool, stake, _earnings, score, left_at = record
    return pool == request["pool"] and left_at == 0 and stake >= request["minStake"] and score >= request["minScore"]


class Rejection(Exception):
    """The pool cannot serve this request; the message says why."""


class NotEnoughAgreement(Exception):
    """Fewer staked pool workers agreed than the task's trust."""


def _short(task_id: str | None) -> str:
    return (task_id or "")[:10]
