"""Settlement batches: the tasks ready to finalize, to report failed or to claim go into one
transaction per kind and per block (Hub.finalizeBatch, reportFailureBatch, claimBatch), and each
task learns from its batch's receipt, at the confirmation depth, whether it was settled or
skipped and why."""

from __future__ import annotations

import json
import logging
import secrets

from sqlmodel import Session

from .decisions import SENDING_STATE, TxOutcome
from .errors import TransactionFailed
from .hub import REQUEST_FIELDS, claim_batch, finalize_batch, report_failure_batch
from .models import TaskRecord
from .task_states import TaskState, move
from .txmanager import DROPPED, MINED, REVERTED, TransactionManager

log = logging.getLogger("oracle")

MAX_BATCH = {"finalize": 50, "report": 100, "claim": 100}
BATCH_GAS = 12_000_000  # a finalize batch's callbacks and payments stay under this
# gas a finalize needs besides its callback and its signers (the Hub's SETTLE_GAS and checks,
# with room): a batch's gas limit covers every task, since an estimate is met by skipping some
TASK_GAS = 90_000
SIGNER_GAS = 20_000
CALLBACK_RESERVE = 5_000
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
        self._sent_at: dict[str, int] = {}  # kind -> head block of its last batch

    def queue(self, kind: str, task_id: str, item) -> None:
        self.queued[kind][task_id] = item

    def send(self, head: int, on_error) -> None:
        """Sends each kind's batch unless one went out at this head already; what does not fit
        waits for the next block."""
        for kind, items in self.queued.items():
            if items and self._sent_at.get(kind, -1) < head:
                self._send(kind, self._fitting(kind, list(items.items())), head, on_error)
            items.clear()

    def _fitting(self, kind: str, items: list) -> list:
        chosen, gas = [], 0
        for task_id, item in items[:MAX_BATCH[kind]]:
            if kind == "finalize":
                gas += finalize_gas(item)
                if chosen and gas > BATCH_GAS:
                    break
            chosen.append((task_id, item))
        return chosen

    def _send(self, kind: str, items: list, head: int, on_error) -> None:
        purpose = f"{kind}@{head}-{secrets.token_hex(3)}"
        target = SENDING_STATE[kind]
        with Session(self.engine) as session:  # recorded before sending: a crash leaves tasks that resend
            for task_id, _item in items:
                task = session.get(TaskRecord, task_id)
                if task.state != target:
                    task.state = move(TaskState(task.state), target)
                task.tx_purpose = purpose
                task.sends = (task.sends or 0) + (kind != "claim")
                session.add(task)
            session.commit()
        min_gas = 0
        if kind == "finalize":
            call = finalize_batch(self.hub, [item for _, item in items])
            min_gas = 50_000 + sum(finalize_gas(item) for _, item in items)
        elif kind == "report":
            call = report_failure_batch(self.hub, [item for _, item in items])
        else:
            call = claim_batch(self.hub, [item for _, item in items])
        try:
            self.tx.send(purpose, call, min_gas=min_gas)
        except TransactionFailed as exc:
            on_error(None, f"{kind} batch of {len(items)} not sent: {exc}")
            return
        self._sent_at[kind] = head
        log.info("%s batch of %d tasks sent (%s)", kind, len(items), purpose)

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
