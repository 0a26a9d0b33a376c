"""Settlement batches: the tasks ready to finalize, to report failed or to claim go into one
transaction per kind and per block (Hub.finalizeBatch, reportFailureBatch, claimBatch), and each
task learns from its batch's receipt, at the confirmation depth, whether it was settled or
skipped and why."""

from __future__ import annotations

import json
import logging
import secrets

from sqlmodel import Session, col, select

from .decisions import SENDING_STATE, TxOutcome
from .errors import TransactionFailed
from .hub import REQUEST_FIELDS, claim_batch, finalize_batch, report_failure_batch
from .models import TaskRecord
from .task_states import TaskState, move
from .txmanager import DROPPED, MINED, REVERTED, TransactionManager

log = logging.getLogger("oracle")

MAX_BATCH = {"finalize": 50, "report": 100, "claim": 100}
BATCHES_PER_BLOCK = 3  # of each kind, when more tasks are ready than one batch holds
BATCH_GAS = 12_000_000  # a finalize batch's gas limit (callbacks, signers, payments) stays under this
# gas a finalize needs besides its callback and its signers (the Hub's SETTLE_GAS and checks,
# with room): a batch's gas limit covers every task, since an estimate is met by skipping some
TASK_GAS = 90_000
SIGNER_GAS = 20_000
CALLBACK_RESERVE = 5_000
REPORT_GAS = 60_000  # a failure report's refund and event (measured below 35,000)
CLAIM_GAS = 60_000  # a claim's refund and event
# purposes of transactions sent one per task before batches (an oracle upgraded mid-flight)
_CALLBACK_GAS = REQUEST_FIELDS.index("callbackGasLimit")
_LEGACY_VERB = {TaskState.FINALIZING: "finalize", TaskState.REPORTING: "report", TaskState.CLAIMING: "claim"}


def finalize_gas(item) -> int:
    """Gas one task of a finalize batch may take: its callback as the Hub forwards it (the
    63/64 rule), its signers, its payments."""
    callback = item.request[_CALLBACK_GAS]
    return TASK_GAS + SIGNER_GAS * len(item.signatures) + callback + callback // 63 + CALLBACK_RESERVE


class Settlements:
    """Collects a step's settlements and sends them as one batch per kind per block."""

    def __init__(self, hub, tx: TransactionManager, engine):
        self.hub, self.tx, self.engine = hub, tx, engine
        self.queued: dict[str, dict[str, object]] = {kind: {} for kind in MAX_BATCH}  # kind -> task id -> item
        self._sent: dict[str, tuple[int, int]] = {}  # kind -> (head block, batches sent at it)

    def queue(self, kind: str, task_id: str, item) -> None:
        self.queued[kind][task_id] = item

    def room(self, head: int) -> int:
        """How many more tasks may go out at this head (0: wait for the next block)."""
        return sum(MAX_BATCH[kind] * (BATCHES_PER_BLOCK - self._count(kind, head)) for kind in MAX_BATCH)

    def _count(self, kind: str, head: int) -> int:
        sent_head, count = self._sent.get(kind, (-1, 0))
        return count if sent_head == head else 0

    def send(self, head: int, on_error) -> None:
        """Sends each kind's ready tasks in as few batches as fit, at most BATCHES_PER_BLOCK per
        block; what does not fit waits for the next block."""
        for kind, queued in self.queued.items():
            items = list(queued.items())
            while items and self._count(kind, head) < BATCHES_PER_BLOCK:
                batch = self._fitting(kind, items)
                items = items[len(batch):]
                if not self._send(kind, batch, head, on_error):
                    break
            queued.clear()

    def _fitting(self, kind: str, items: list) -> list:
        chosen, gas = [], 0
        for task_id, item in items[:MAX_BATCH[kind]]:
            if kind == "finalize":
                gas += finalize_gas(item)
                if chosen and gas > BATCH_GAS:
                    break
            chosen.append((task_id, item))
        return chosen

    def _send(self, kind: str, items: list, head: int, on_error) -> bool:
        purpose = f"{kind}@{head}-{secrets.token_hex(3)}"
        target = SENDING_STATE[kind]
        with Session(self.engine) as session:  # recorded before sending: a crash leaves tasks that resend
            ids = [task_id for task_id, _item in items]
            for task in session.exec(select(TaskRecord).where(col(TaskRecord.task_id).in_(ids))).all():
                if task.state != target:
                    task.state = move(TaskState(task.state), target)
                task.tx_purpose = purpose
                task.sends = (task.sends or 0) + (kind != "claim")
                session.add(task)
            session.commit()
        # the gas limit covers every task: an estimate would be met by skipping some, and
        # skipping the estimate spares the node a second run of the whole batch
        if kind == "finalize":
            call = finalize_batch(self.hub, [item for _, item in items])
            gas = 50_000 + sum(finalize_gas(item) for _, item in items)
        elif kind == "report":
            call = report_failure_batch(self.hub, [item for _, item in items])
            gas = 50_000 + sum(REPORT_GAS + 16 * len(reason) for _, (_request, reason) in items)
        else:
            call = claim_batch(self.hub, [item for _, item in items])
            gas = 50_000 + CLAIM_GAS * len(items)
        try:
            self.tx.send(purpose, call, gas=gas)
        except TransactionFailed as exc:
            on_error(None, f"{kind} batch of {len(items)} not sent: {exc}")
            return False
        self._sent[kind] = (head, self._count(kind, head) + 1)
        log.info("%s batch of %d tasks sent (%s)", kind, len(items), purpose)
        return True

    def outcomes(self, tasks: list[TaskRecord]) -> dict[str, tuple[TxOutcome, object]]:
        """{task id: (what became of its transaction, the transaction record)} for the tasks
        whose transaction reached the confirmation depth, failed, or was never sent."""
        purposes = {t.task_id: t.tx_purpose or f"{_LEGACY_VERB[TaskState(t.state)]}:{t.task_id}" for t in tasks}
        records = self.tx.latest_of(purposes.values())
        found = {}
        for task_id, purpose in purposes.items():
            record = records.get(purpose)
            if record is None:
                found[task_id] = (TxOutcome("failed"), None)
            elif record.state == MINED:
                skipped = json.loads(record.outcome or "{}").get(task_id)
                found[task_id] = (TxOutcome("confirmed", skipped), record)
            elif record.state in (REVERTED, DROPPED):
                found[task_id] = (TxOutcome("failed"), record)
        return found
