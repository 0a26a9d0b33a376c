"""What the oracle did, counted from its own database (tasks, and its transactions with the gas
their receipts reported), for its metrics and its public status. Read-only: the loop never waits
on it.

The pool's earnings and the latency histogram are running totals, each finalized task read once,
so a scrape costs the same after a million tasks as after ten; the rest are aggregate queries."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from web3 import Web3

from .hub import REQUEST_FIELDS
from .models import Cursor, TaskRecord, TxRecord
from .task_states import OPEN, TaskState
from .txmanager import INCLUDED, MINED, PENDING, REVERTED

REFUNDED = (TaskState.REFUNDED.value, TaskState.CLAIMED.value)
LATENCY_BUCKETS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 60)  # blocks from request to settlement
RECENT = 20
OVERLAP = 60.0  # seconds of updated_at read again at each scrape (clocks, late commits)


@dataclass
class Census:
    chain_id: int
    hub: str
    pool: int
    head_block: int | None
    cursor_block: int | None
    by_state: dict[str, int]
    transactions: dict[str, int]  # sent, resent, mined, reverted, pending
    gas_spent: int  # by the oracle's transactions that were mined (reverted ones included)
    earned_nrlc: int  # the pool's (owner's fee and workers' pay) on finalized tasks
    latency_counts: list[int]  # finalized tasks per LATENCY_BUCKETS upper bound (not cumulative), then above
    latency_sum: int
    recent: list[dict] = field(default_factory=list)
    recent_latencies: list[int] = field(default_factory=list)

    def status(self) -> dict:
        """The public status: the shape the scheduler's dashboard reads (offchain_grid.public.OracleStatus)."""
        by = self.by_state
        behind = None
        if self.head_block is not None and self.cursor_block is not None:
            behind = max(0, self.head_block - self.cursor_block)
        return {
            "chain_id": self.chain_id, "hub": self.hub, "pool": self.pool, "head_block": self.head_block,
            "cursor_block": self.cursor_block, "blocks_behind": behind, "requested": sum(by.values()),
            "in_flight": sum(n for s, n in by.items() if s in {o.value for o in OPEN}),
            "finalized": by.get(TaskState.FINALIZED.value, 0), "refunded": sum(by.get(s, 0) for s in REFUNDED),
            "by_state": by, "gas_spent": self.gas_spent, "rlc_earned": self.earned_nrlc / 1e9,
            "latency_blocks_p50": statistics.median(self.recent_latencies) if self.recent_latencies else None,
            "recent": self.recent,
        }


class OracleCensus:
    def __init__(self, engine: Engine, w3: Web3, *, chain_id: int, hub: str, pool: int, cursor_key: str):
        self.engine, self.w3 = engine, w3
        self.chain_id, self.hub, self.pool, self.cursor_key = chain_id, hub, pool, cursor_key
        self._earned = 0
        self._latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self._latency_sum = 0
        self._counted: dict[str, float] = {}  # finalized tasks already summed -> their updated_at
        self._watermark = 0.0

    def read(self) -> Census:
        with Session(self.engine) as session:
            by_state = dict(session.exec(select(TaskRecord.state, func.count()).group_by(TaskRecord.state)).all())
            cursor = session.get(Cursor, self.cursor_key)
            self._count_finalized(session)
            recent = self._views(session, list(session.exec(select(TaskRecord).order_by(
                col(TaskRecord.block_number).desc(), col(TaskRecord.created_at).desc()).limit(RECENT))))
            transactions, gas = _transactions(session)
        latencies = [v["latency_blocks"] for v in recent
                     if v["state"] == TaskState.FINALIZED.value and v["latency_blocks"] is not None]
        return Census(chain_id=self.chain_id, hub=self.hub, pool=self.pool, head_block=self._head(),
                      cursor_block=cursor.block if cursor else None, by_state=by_state, transactions=transactions,
                      gas_spent=gas, earned_nrlc=self._earned, latency_counts=list(self._latency_counts),
                      latency_sum=self._latency_sum, recent=recent, recent_latencies=latencies)

    def task(self, task_id: str) -> dict | None:
        """One task's public view (what a dapp's front end shows), or None if the oracle never saw it."""
        with Session(self.engine) as session:
            task = session.get(TaskRecord, task_id)
            return None if task is None else self._views(session, [task])[0]

    def _head(self) -> int | None:
        try:
            return self.w3.eth.block_number
        except Exception:  # the chain is unreachable: the metric is absent, the status says None
            return None

    def _count_finalized(self, session: Session) -> None:
        rows = session.exec(select(TaskRecord).where(TaskRecord.state == TaskState.FINALIZED.value,
                                                     col(TaskRecord.updated_at) >= self._watermark - OVERLAP)).all()
        fresh = [t for t in rows if t.task_id not in self._counted]
        settled = _settling_txs(session, fresh)
        for task in fresh:
            request = dict(zip(REQUEST_FIELDS, json.loads(task.request_json)))
            self._earned += int(request["workerPay"]) + int(request["poolFee"])
            tx = settled.get(task.task_id)
            if tx is not None and tx.block_number is not None:
                blocks = max(0, tx.block_number - task.block_number)
                self._latency_sum += blocks
                self._latency_counts[_bucket(blocks)] += 1
            self._counted[task.task_id] = task.updated_at
        if rows:
            self._watermark = max(self._watermark, max(t.updated_at for t in rows))
        self._counted = {k: v for k, v in self._counted.items() if v >= self._watermark - OVERLAP}

    def _views(self, session: Session, tasks: list[TaskRecord]) -> list[dict]:
        settled = _settling_txs(session, tasks)
        sizes = _batch_sizes(session, {tx.purpose for tx in settled.values()})
        now = time.time()
        views = []
        for task in tasks:
            tx = settled.get(task.task_id)
            block = tx.block_number if tx is not None else None
            views.append({"task_id": task.task_id, "state": task.state, "trust": task.trust,
                          "requested_block": task.block_number, "settled_block": block,
                          "latency_blocks": None if block is None else max(0, block - task.block_number),
                          "gas": tx.gas_used if tx is not None else None,
                          "batch": sizes.get(tx.purpose) if tx is not None else None, "job": task.job_uid,
                          "age": max(0.0, now - task.created_at)})
        return views


def _settling_txs(session: Session, tasks: list[TaskRecord]) -> dict[str, TxRecord]:
    """The mined transaction (a settlement batch) that settled each task, if any."""
    purposes = {t.task_id: t.tx_purpose for t in tasks if t.tx_purpose}
    if not purposes:
        return {}
    rows = session.exec(select(TxRecord).where(col(TxRecord.purpose).in_(set(purposes.values())),
                                               TxRecord.state == MINED)).all()
    by_purpose = {row.purpose: row for row in rows}
    return {task_id: by_purpose[p] for task_id, p in purposes.items() if p in by_purpose}


def _batch_sizes(session: Session, purposes: set[str]) -> dict[str, int]:
    """How many tasks each settlement batch carried (its gas is shared by them)."""
    if not purposes:
        return {}
    return dict(session.exec(select(TaskRecord.tx_purpose, func.count()).where(
        col(TaskRecord.tx_purpose).in_(purposes)).group_by(TaskRecord.tx_purpose)).all())


def _transactions(session: Session) -> tuple[dict[str, int], int]:
    """Counts of the oracle's transactions (a resend is a record of its own, replacing the one
    before) and the gas of the mined ones."""
    by_state = dict(session.exec(select(TxRecord.state, func.count()).group_by(TxRecord.state)).all())
    resent = session.exec(select(func.count()).select_from(TxRecord).where(col(TxRecord.attempts) > 1)).one()
    gas = session.exec(select(func.coalesce(func.sum(TxRecord.gas_used), 0)).where(
        col(TxRecord.state).in_([MINED, REVERTED]))).one()
    counts = {"sent": sum(by_state.values()), "resent": int(resent), "mined": by_state.get(MINED, 0),
              "reverted": by_state.get(REVERTED, 0), "pending": by_state.get(PENDING, 0) + by_state.get(INCLUDED, 0)}
    return counts, int(gas)


def _bucket(blocks: int) -> int:
    for index, bound in enumerate(LATENCY_BUCKETS):
        if blocks <= bound:
            return index
    return len(LATENCY_BUCKETS)
