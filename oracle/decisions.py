"""The oracle's decisions, apart from any I/O: `decide(task, observation, rules)` returns the
actions one observation calls for, and `TABLE` says which observation is heard in which state.

The shell (service.py) gathers observations in bulk (one grid lookup for every job in flight,
one batch of chain reads, one receipt per transaction) and carries the actions out: it submits
jobs, moves states, aborts jobs, and puts settlements into one batch per block.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from offchain_grid.contribution import to_bytes32

from .arguments import app_arguments
from .hub import REQUEST_FIELDS, Finalization, compact_signature, request_for_call
from .models import TaskRecord
from .task_states import OPEN, SENDING, TaskState

S = TaskState


@dataclass(frozen=True)
class Rules:
    """The oracle's settings that decisions depend on."""

    min_lead: int = 30  # refuse a task whose deadline is closer than this (seconds)
    finalize_margin: int = 15  # the grid job must end this long before the task's deadline
    max_wall_seconds: int = 600  # per replicate, capped by the time left
    max_retries: int = 3
    split_grace: float = 120.0  # seconds a job whose successful votes disagree may take to agree
    max_sends: int = 3  # settlements sent for one task before it is left to the deadline's claim


# -- observations: what the shell saw, one small value each -------------------------------------

@dataclass(frozen=True)
class Asset:
    """An app or dataset as the chain registers it and as the grid knows it (None: unknown)."""

    kind: str  # "app" or "dataset"
    registry_id: int
    checksum: str  # hex, as registered on chain
    uri: str  # the grid's name for it
    grid_entry: dict | None  # the grid's /apps or /datas view


@dataclass(frozen=True)
class Dispatchable:
    """A seen task may go to the grid: the chain's time, its app and dataset."""

    now: int  # chain time
    app: Asset
    dataset: Asset | None


@dataclass(frozen=True)
class JobSeen:
    """The grid's view of the task's job (a JobProgress from /jobs/lookup), None when the grid
    does not know it (a new grid, a lost database)."""

    progress: dict | None
    clock: float  # wall-clock seconds, to bound how long a split job may wait


@dataclass(frozen=True)
class WorkerRecord:
    """A signer's membership as the Hub records it."""

    pool: int
    stake: int
    score: int
    left_at: int


@dataclass(frozen=True)
class OnChain:
    """The task as the chain sees it now: its status, the chain time, and the records of the
    workers who signed its result."""

    status: str  # TASK_STATUS name
    now: int
    workers: dict[str, WorkerRecord] = field(default_factory=dict)  # lower-case address -> record


@dataclass(frozen=True)
class TxOutcome:
    """What became of the settlement transaction a task was sent in."""

    result: str  # "confirmed", "failed" (reverted, dropped, or never sent)
    skipped: str | None = None  # the Hub's reason when it skipped this task in a confirmed batch


# -- actions: what the shell carries out ----------------------------------------------------------

@dataclass(frozen=True)
class Move:
    target: TaskState
    reason: str | None = None
    result_json: str | None = None
    job_uid: str | None = None


@dataclass(frozen=True)
class Submit:
    """Submit the task's grid job (idempotent: the task id is its external id)."""

    app: str
    args: list
    body: dict


@dataclass(frozen=True)
class Settle:
    """Put the task into the next settlement batch of its kind."""

    kind: str  # "finalize", "report" or "claim"
    item: object  # a Finalization, a (request, reason) pair, or a request


@dataclass(frozen=True)
class AbortJob:
    job_uid: str


@dataclass(frozen=True)
class NoteSplit:
    """Remember when the job's votes were first seen to disagree."""

    since: float


SENDING_STATE = {"finalize": S.FINALIZING, "report": S.REPORTING, "claim": S.CLAIMING}


# -- the rules ---------------------------------------------------------------------------------

def request_of(task: TaskRecord) -> dict:
    return dict(zip(REQUEST_FIELDS, json.loads(task.request_json)))


def dispatch(task: TaskRecord, seen: Dispatchable, rules: Rules) -> list:
    """Deadline budget, asset ownership and arguments: a job to submit, or why not."""
    request = request_of(task)
    time_left = task.deadline - seen.now
    if time_left < rules.min_lead:
        return [Move(S.REJECTED, f"deadline too close: {time_left}s left, at least {rules.min_lead}s needed")]
    names = []
    for asset, owner in ((seen.app, request["appOwner"]), (seen.dataset, request.get("datasetOwner"))):
        if asset is None:
            continue
        refusal = asset_refusal(asset, owner)
        if refusal:
            return [Move(S.REJECTED, refusal)]
        names.append(asset.uri if asset.kind == "app" else asset.grid_entry["uid"])
    try:
        args = app_arguments(task.params)
    except ValueError as exc:
        return [Move(S.REJECTED, f"parameters are not valid arguments: {exc}")]
    job_deadline = task.deadline - rules.finalize_margin
    body = {
        "replication": task.trust,
        "max_wall_seconds": max(1, min(rules.max_wall_seconds, job_deadline - seen.now)),
        "max_retries": rules.max_retries,
        "deadline": job_deadline,
        "external_id": task.task_id,
        "data": names[1:],
    }
    return [Submit(names[0], args, body)]


def asset_refusal(asset: Asset, owner: str) -> str | None:
    """Why the grid's entry may not stand for the on-chain asset: unknown, someone else's, or
    another file (a shared app has no file, hence no checksum to compare)."""
    what = f"{asset.kind} {asset.registry_id}"
    entry = asset.grid_entry
    if entry is None:
        return f"{what} ({asset.uri!r}) is unknown on the grid"
    grid_owner = entry.get("owner_address")
    if (grid_owner or "").lower() != owner.lower():
        return (f"{what} is {owner}'s on chain, but the grid's {asset.kind} {asset.uri!r} belongs to "
                f"{grid_owner or 'a user who proved no address'}")
    if entry.get("checksum") is not None and entry["checksum"].lower() != asset.checksum.lower():
        return f"{what} checksum mismatch: chain {asset.checksum}, grid {entry.get('checksum')}"
    return None


def follow_job(task: TaskRecord, seen: JobSeen, rules: Rules) -> list:
    """A job's progress: its agreed result, a failure with its reason, or nothing yet."""
    job = seen.progress
    if job is None:
        return [Move(S.SEEN, f"the grid no longer knows job {task.job_uid}: dispatched again")]
    outcomes = {o["result_digest"]: o for o in job.get("outcomes", [])}
    if job["status"] == "COMPLETED":
        result = job["result"]
        agreed = outcomes.get(result["result_digest"], {})
        if agreed.get("exit_code"):
            return [Move(S.JOB_FAILED, _app_failed(agreed["exit_code"], agreed.get("stderr", "")))]
        return [Move(S.COMPLETED, result_json=json.dumps(result))]
    if job["status"] in ("ERROR", "ABORTED"):
        return [Move(S.JOB_FAILED, job.get("error") or f"job {job['status'].lower()}")]
    split = job["votes"] >= job["replication"] > job["agreeing"]
    if not split:
        return []
    # an app failing on every worker fails whichever result would win: report it now; results
    # that succeed but differ get the grid's retries, bounded here by split_grace
    codes = [o.get("exit_code") for o in outcomes.values()]
    failed_everywhere = bool(codes) and all(code not in (None, 0) for code in codes)
    if failed_everywhere or (task.split_since is not None and seen.clock - task.split_since >= rules.split_grace):
        return [Move(S.JOB_FAILED, split_reason(job)), AbortJob(job["uid"])]
    return [NoteSplit(seen.clock)] if task.split_since is None else []


def _app_failed(code: int, stderr: str) -> str:
    stderr = stderr.strip()
    return f"the app exited with code {code} on every worker" + (f": {stderr[:160]}" if stderr else "")


def split_reason(job: dict) -> str:
    """Why replicas reached no quorum, for the requester: votes, agreement, exit codes, stderr."""
    codes = sorted({str(o.get("exit_code")) for o in job.get("outcomes", [])})
    stderr = next((o["stderr"].strip() for o in job.get("outcomes", []) if o.get("stderr", "").strip()), "")
    reason = (f"no quorum: {job['votes']} results, at most {job['agreeing']} identical, "
              f"{job['replication']} needed; exit codes {', '.join(codes)}")
    return reason + (f"; first stderr: {stderr[:120]}" if stderr else "")


def on_chain(task: TaskRecord, seen: OnChain, rules: Rules) -> list:
    """Settled by someone, orphaned by a reorg, past its deadline, or ready to settle."""
    aborts = [AbortJob(task.job_uid)] if task.job_uid and task.state in (S.SEEN, S.DISPATCHED) else []
    if seen.status not in ("None", "Requested"):
        return [Move(settled_state(task.state, seen.status), None if _ours(task.state, seen.status)
                     else f"{seen.status} on chain")] + aborts
    if seen.status == "None":
        # a held task may be mined again; once its deadline passed it never can be served
        if task.held and task.deadline < seen.now:
            return [Move(S.ORPHANED, "its request left the canonical chain")] + aborts
        return []
    if task.held:
        return []
    if task.deadline < seen.now:
        if task.state == S.CLAIMING or (task.state in SENDING and task.tx_purpose):
            return []  # a transaction is in flight; its outcome decides
        return [Settle("claim", request_for_call(json.loads(task.request_json)))] + aborts
    if task.state in SENDING or (task.sends or 0) >= rules.max_sends:
        return []
    if task.state == S.COMPLETED:
        return finalization(task, seen.workers)
    if task.state in (S.REJECTED, S.JOB_FAILED):
        return [Settle("report", (request_for_call(json.loads(task.request_json)), (task.reason or "failed")[:256]))]
    return []


_DONE = {"Finalized": S.FINALIZED, "Failed": S.REFUNDED, "Claimed": S.CLAIMED}
_SENT_FOR = {S.FINALIZING: "Finalized", S.REPORTING: "Failed", S.CLAIMING: "Claimed"}


def _ours(state: TaskState, status: str) -> bool:
    """Only the pool's oracle (this key) finalizes: a finalized task was finalized by us, even
    by a transaction the task no longer points to; a refund is ours when we sent one."""
    return status == "Finalized" and state in (S.COMPLETED, S.FINALIZING) or _SENT_FOR.get(TaskState(state)) == status


def settled_state(state: TaskState, status: str) -> TaskState:
    """The final state for a task the chain reports settled: ours when our transaction for it
    says so, SETTLED (by someone else) otherwise."""
    return _DONE[status] if _ours(state, status) else S.SETTLED


def qualifies(record: WorkerRecord | None, request: dict) -> bool:
    """Whether the Hub counts a signer: an active member of the request's pool with the stake
    and reputation it asks for."""
    return (record is not None and record.pool == request["pool"] and record.left_at == 0
            and record.stake >= request["minStake"] and record.score >= request["minScore"])


def finalization(task: TaskRecord, workers: dict[str, WorkerRecord]) -> list:
    """The finalize the Hub accepts: the qualifying signers and the pool members' dissents, one
    per signer, each in ascending signer order; or a failure when too few qualify."""
    result = json.loads(task.result_json)
    request = request_of(task)
    agreeing = sorted((s for s in result["signatures"] if qualifies(workers.get(s["worker"].lower()), request)),
                      key=lambda s: int(s["worker"], 16))
    if len(agreeing) < task.trust:
        return [Move(S.JOB_FAILED, f"only {len(agreeing)} pool workers with the stake and reputation the request "
                                   f"asks for agreed, {task.trust} needed")]
    seen, dissents = set(), []
    for entry in sorted(result.get("dissents", []), key=lambda d: int(d["worker"], 16)):
        record = workers.get(entry["worker"].lower())
        if record is not None and record.pool == request["pool"] and entry["worker"] not in seen:
            seen.add(entry["worker"])
            dissents.append((to_bytes32(entry["result_digest"]), to_bytes32(entry["callback_data_hash"]),
                             compact_signature(entry["signature"])))
    item = Finalization(request=request_for_call(json.loads(task.request_json)),
                        result_digest=to_bytes32(result["result_digest"]),
                        callback_data=bytes.fromhex(result["callback_data"].removeprefix("0x")),
                        signatures=[compact_signature(s["signature"]) for s in agreeing], dissents=dissents)
    return [Settle("finalize", item)]


_NOT_ACTIVE = re.compile(r"^TaskNotActive\(.*status=(\d)\)$")
_STATUS_NAMES = ["None", "Requested", "Finalized", "Claimed", "Failed"]
# a skip the next block may not repeat: the task goes back to be sent again
_TRANSIENT = ("InsufficientGasForCallback(", "DeadlinePassed(", "DeadlineNotReached(")
_BACK = {S.FINALIZING: S.COMPLETED, S.REPORTING: S.REJECTED}


def follow_tx(task: TaskRecord, seen: TxOutcome, rules: Rules) -> list:
    """A settlement transaction's outcome at the confirmation depth: settled, settled earlier or
    by someone else, refused for a reason the requester is told, or to be sent again."""
    state = TaskState(task.state)
    if seen.result == "confirmed" and seen.skipped is None:
        return [Move(_DONE[_SENT_FOR[state]])]
    if seen.skipped and (match := _NOT_ACTIVE.match(seen.skipped)):
        status = _STATUS_NAMES[int(match.group(1))]
        if status not in ("None", "Requested"):
            return [Move(settled_state(state, status), None if _ours(state, status) else f"{status} on chain")]
    if seen.skipped and state == S.FINALIZING and not seen.skipped.startswith(_TRANSIENT):
        return [Move(S.JOB_FAILED, f"the Hub refused the result: {seen.skipped}")]
    if state == S.CLAIMING:
        return [Settle("claim", request_for_call(json.loads(task.request_json)))]
    return [Move(_BACK[state], task.reason)]


# which observation is heard in which state (any other pair: nothing to do)
TABLE = {
    Dispatchable: ({S.SEEN}, dispatch),
    JobSeen: ({S.DISPATCHED}, follow_job),
    OnChain: (OPEN, on_chain),
    TxOutcome: (SENDING, follow_tx),
}


def decide(task: TaskRecord, observation, rules: Rules) -> list:
    """The actions `observation` calls for on `task` (pure: reads, never changes, the record)."""
    states, rule = TABLE[type(observation)]
    if TaskState(task.state) not in states:
        return []
    return rule(task, observation, rules)
