"""The oracle's decisions as pure functions: a task record and one observation in, actions out
(no chain, no grid, no database)."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from offchain_grid.contribution import to_bytes32
from oracle.decisions import (TABLE, AbortJob, Asset, Dispatchable, JobSeen, Move, NoteSplit, OnChain, Rules, Settle, Submit,
                              TxOutcome, WorkerRecord, decide)
from oracle.hub import REQUEST_FIELDS
from oracle.models import TaskRecord
from oracle.task_states import OPEN, TaskState, can_move

S = TaskState
RULES = Rules()
OWNER = "0x" + "ab" * 20
NOW = 1_000_000
WORKERS = sorted((Account.from_key(bytes([k]) * 32) for k in (3, 4, 5, 6)), key=lambda a: int(a.address, 16))


def task(state=S.SEEN, *, trust=1, deadline=NOW + 600, held=False, params="", result=None, updated_at=0.0,
         min_stake=10, sends=0, purpose=None, split_since=None) -> TaskRecord:
    request = {name: 0 for name in REQUEST_FIELDS}
    request.update(appOwner=OWNER, datasetOwner="0x" + "00" * 20, pool=7, minStake=min_stake, minScore=0,
                   trust=trust, deadline=deadline, app=1, paramsHash="0x" + "00" * 32)
    return TaskRecord(task_id="0x" + "11" * 32, state=state.value, request_json=json.dumps([request[n] for n in REQUEST_FIELDS]),
                      params=params, block_number=5, block_hash="0x" + "22" * 32, deadline=deadline, trust=trust,
                      held=held, job_uid="job-1", result_json=json.dumps(result) if result else None,
                      updated_at=updated_at, sends=sends, tx_purpose=purpose, split_since=split_since)


def app(entry: dict | None = {"owner_address": OWNER, "checksum": "aa" * 32}) -> Asset:
    return Asset("app", 1, "aa" * 32, "answer", entry)


# -- dispatch: deadline budget and asset ownership ----------------------------------------------

def test_dispatch_submits_with_the_deadline_budget():
    [submit] = decide(task(trust=3, params="--n 4"), Dispatchable(NOW, app(), None), RULES)
    assert isinstance(submit, Submit) and submit.app == "answer" and submit.args == ["--n", "4"]
    assert submit.body["deadline"] == NOW + 600 - RULES.finalize_margin
    assert submit.body["max_wall_seconds"] == min(RULES.max_wall_seconds, 600 - RULES.finalize_margin)
    assert (submit.body["replication"], submit.body["external_id"]) == (3, "0x" + "11" * 32)


def test_a_short_deadline_caps_the_wall_time():
    [submit] = decide(task(deadline=NOW + 100), Dispatchable(NOW, app(), None), RULES)
    assert submit.body["max_wall_seconds"] == 100 - RULES.finalize_margin


def test_too_close_a_deadline_is_rejected():
    [move] = decide(task(deadline=NOW + 10), Dispatchable(NOW, app(), None), RULES)
    assert move.target == S.REJECTED and "deadline too close: 10s left" in move.reason


@pytest.mark.parametrize("entry,why", [
    (None, "is unknown on the grid"),
    ({"owner_address": "0x" + "cd" * 20, "checksum": "aa" * 32}, "belongs to 0x" + "cd" * 20),
    ({"owner_address": None, "checksum": "aa" * 32}, "a user who proved no address"),
    ({"owner_address": OWNER, "checksum": "bb" * 32}, "checksum mismatch"),
])
def test_an_app_the_grid_cannot_vouch_for_is_rejected(entry, why):
    [move] = decide(task(), Dispatchable(NOW, app(entry), None), RULES)
    assert move.target == S.REJECTED and why in move.reason


def test_a_shared_app_has_no_checksum_to_compare():
    [submit] = decide(task(), Dispatchable(NOW, app({"owner_address": OWNER.upper(), "checksum": None}), None), RULES)
    assert isinstance(submit, Submit)


def test_unparsable_parameters_are_rejected():
    [move] = decide(task(params='"unclosed'), Dispatchable(NOW, app(), None), RULES)
    assert move.target == S.REJECTED and "not valid arguments" in move.reason


# -- the job's progress --------------------------------------------------------------------------

def progress(status="RUNNING", votes=0, agreeing=0, replication=1, outcomes=(), result=None) -> dict:
    return {"uid": "job-1", "external_id": "0x" + "11" * 32, "status": status, "error": None, "replication": replication,
            "votes": votes, "agreeing": agreeing, "outcomes": list(outcomes), "result": result}


def outcome(digest: str, code: int, stderr: str = "") -> dict:
    return {"result_digest": digest, "exit_code": code, "stderr": stderr}


def test_an_unknown_job_is_dispatched_again():
    [move] = decide(task(S.DISPATCHED), JobSeen(None, 0.0), RULES)
    assert move.target == S.SEEN and "no longer knows job job-1" in move.reason


def test_a_completed_job_keeps_its_result():
    result = {"result_digest": "0xd1", "signatures": [], "dissents": [], "callback_data": "0x"}
    [move] = decide(task(S.DISPATCHED), JobSeen(progress("COMPLETED", 1, 1, outcomes=[outcome("0xd1", 0)],
                                                          result=result), 0.0), RULES)
    assert move.target == S.COMPLETED and json.loads(move.result_json) == result


def test_an_app_failing_the_same_way_everywhere_is_a_failure_with_its_stderr():
    result = {"result_digest": "0xd1", "signatures": [], "dissents": [], "callback_data": "0x"}
    seen = JobSeen(progress("COMPLETED", 2, 2, 2, [outcome("0xd1", 3, "boom\n")], result), 0.0)
    [move] = decide(task(S.DISPATCHED), seen, RULES)
    assert move.target == S.JOB_FAILED and move.reason == "the app exited with code 3 on every worker: boom"


def test_replicas_failing_differently_fail_at_once_with_the_reason():
    seen = JobSeen(progress("RUNNING", 3, 1, 3, [outcome("0xa", 1, "/w1/x: error"), outcome("0xb", 1, "/w2/x"),
                                                   outcome("0xc", 2)]), clock=5.0)
    move, abort = decide(task(S.DISPATCHED, trust=3, updated_at=4.0), seen, RULES)
    assert move.target == S.JOB_FAILED and abort == AbortJob("job-1")
    assert move.reason == "no quorum: 3 results, at most 1 identical, 3 needed; exit codes 1, 2; first stderr: /w1/x: error"


def test_successful_replicas_that_disagree_wait_for_a_tie_breaker_within_the_grace():
    seen = progress("RUNNING", 2, 1, 2, [outcome("0xa", 0), outcome("0xb", 0)])
    assert decide(task(S.DISPATCHED), JobSeen(seen, 100.0), RULES) == [NoteSplit(100.0)]
    assert decide(task(S.DISPATCHED, split_since=100.0), JobSeen(seen, 100.0 + RULES.split_grace - 1), RULES) == []
    move, _abort = decide(task(S.DISPATCHED, split_since=100.0), JobSeen(seen, 100.0 + RULES.split_grace), RULES)
    assert move.target == S.JOB_FAILED


def test_a_failure_beside_a_success_waits_for_the_grid():
    seen = progress("RUNNING", 3, 2, 3, [outcome("0xa", 0), outcome("0xb", 1)])
    assert decide(task(S.DISPATCHED, trust=3), JobSeen(seen, 100.0), RULES) == [NoteSplit(100.0)]


def test_a_job_still_gathering_votes_waits():
    assert decide(task(S.DISPATCHED), JobSeen(progress("RUNNING", 1, 1, 3), 1e9), RULES) == []


def test_a_job_in_error_fails_with_the_grids_reason():
    seen = dict(progress("ERROR"), error="no worker can run it")
    [move] = decide(task(S.DISPATCHED), JobSeen(seen, 0.0), RULES)
    assert (move.target, move.reason) == (S.JOB_FAILED, "no worker can run it")


# -- finalization: signer filtering and ordering, dissents -------------------------------------

def signed(account, digest="0x" + "d1" * 32) -> dict:
    return {"worker": account.address, "signature": "0x" + "01" * 64 + "1b", "result_digest": digest,
            "callback_data_hash": "0x" + "cc" * 32}


def member(stake=10, pool=7, left_at=0) -> WorkerRecord:
    return WorkerRecord(pool=pool, stake=stake, score=0, left_at=left_at)


def test_finalize_counts_only_qualifying_signers_in_ascending_order():
    a, b, c, d = WORKERS
    result = {"result_digest": "0x" + "d1" * 32, "callback_data": "0x2a", "signatures": [signed(d), signed(b), signed(a), signed(c)],
              "dissents": [signed(c, "0x" + "e1" * 32), signed(a, "0x" + "e2" * 32), signed(a, "0x" + "e3" * 32),
                           signed(b, "0x" + "e4" * 32)]}
    workers = {a.address.lower(): member(), b.address.lower(): member(stake=1), c.address.lower(): member(left_at=9),
               d.address.lower(): member(), }
    [settle] = decide(task(S.COMPLETED, trust=2, result=result), OnChain("Requested", NOW, workers), RULES)
    assert settle.kind == "finalize"
    assert len(settle.item.signatures) == 2  # b's stake is too low, c left the pool
    # the dissents of pool members, one per signer, in ascending order
    assert [x[0] for x in settle.item.dissents] == [to_bytes32("0x" + "e2" * 32), to_bytes32("0x" + "e4" * 32),
                                                   to_bytes32("0x" + "e1" * 32)]
    assert settle.item.callback_data == b"\x2a"


def test_too_few_qualifying_signers_is_a_failure_to_report():
    a, b, *_ = WORKERS
    result = {"result_digest": "0x" + "d1" * 32, "callback_data": "0x", "signatures": [signed(a), signed(b)], "dissents": []}
    workers = {a.address.lower(): member(), b.address.lower(): member(pool=8)}
    [move] = decide(task(S.COMPLETED, trust=2, result=result), OnChain("Requested", NOW, workers), RULES)
    assert move.target == S.JOB_FAILED and "only 1 pool workers" in move.reason


# -- the chain's status -----------------------------------------------------------------------

@pytest.mark.parametrize("state,status,target", [
    (S.FINALIZING, "Finalized", S.FINALIZED), (S.REPORTING, "Failed", S.REFUNDED), (S.CLAIMING, "Claimed", S.CLAIMED),
    (S.DISPATCHED, "Claimed", S.SETTLED), (S.COMPLETED, "Failed", S.SETTLED), (S.SEEN, "Finalized", S.SETTLED),
    (S.COMPLETED, "Finalized", S.FINALIZED),
])
def test_chain_status_maps_to_ours_or_settled_elsewhere(state, status, target):
    actions = decide(task(state), OnChain(status, NOW), RULES)
    assert actions[0].target == target and can_move(state, target)
    assert (AbortJob("job-1") in actions) == (state in (S.SEEN, S.DISPATCHED))


def test_a_held_task_waits_then_is_orphaned_after_its_deadline():
    assert decide(task(S.DISPATCHED, held=True), OnChain("None", NOW), RULES) == []
    move, abort = decide(task(S.DISPATCHED, held=True, deadline=NOW - 1), OnChain("None", NOW), RULES)
    assert move.target == S.ORPHANED and abort == AbortJob("job-1")


def test_past_the_deadline_the_task_is_claimed_unless_a_transaction_is_in_flight():
    [settle, abort] = decide(task(S.DISPATCHED, deadline=NOW - 1), OnChain("Requested", NOW), RULES)
    assert settle.kind == "claim" and abort == AbortJob("job-1")
    assert decide(task(S.FINALIZING, deadline=NOW - 1, purpose="finalize@9"), OnChain("Requested", NOW), RULES) == []


def test_a_failure_is_reported_with_its_reason_until_the_send_bound():
    failed = task(S.JOB_FAILED)
    failed.reason = "no quorum"
    [settle] = decide(failed, OnChain("Requested", NOW), RULES)
    assert settle.kind == "report" and settle.item[1] == "no quorum"
    failed.sends = RULES.max_sends
    assert decide(failed, OnChain("Requested", NOW), RULES) == []  # left to the claim at the deadline


# -- a settlement transaction at its depth -------------------------------------------------------

@pytest.mark.parametrize("state,outcome,expected", [
    (S.FINALIZING, TxOutcome("confirmed"), Move(S.FINALIZED)),
    (S.REPORTING, TxOutcome("confirmed"), Move(S.REFUNDED)),
    (S.CLAIMING, TxOutcome("confirmed"), Move(S.CLAIMED)),
    (S.FINALIZING, TxOutcome("confirmed", "TaskNotActive(taskId=0x11, status=2)"), Move(S.FINALIZED)),
    (S.FINALIZING, TxOutcome("confirmed", "TaskNotActive(taskId=0x11, status=3)"), Move(S.SETTLED, "Claimed on chain")),
    (S.FINALIZING, TxOutcome("confirmed", "NotEnoughContributions(counted=0, needed=1)"),
     Move(S.JOB_FAILED, "the Hub refused the result: NotEnoughContributions(counted=0, needed=1)")),
    (S.FINALIZING, TxOutcome("confirmed", "InsufficientGasForCallback(left=1, needed=2)"), Move(S.COMPLETED)),
    (S.FINALIZING, TxOutcome("failed"), Move(S.COMPLETED)),
    (S.REPORTING, TxOutcome("failed"), Move(S.REJECTED)),
])
def test_transaction_outcomes(state, outcome, expected):
    assert decide(task(state), outcome, RULES) == [expected]


def test_a_failed_claim_is_sent_again():
    [settle] = decide(task(S.CLAIMING), TxOutcome("failed"), RULES)
    assert isinstance(settle, Settle) and settle.kind == "claim"


def test_every_move_the_rules_can_make_is_in_the_state_table():
    for observation_type, (states, _rule) in TABLE.items():
        assert states <= OPEN, observation_type
