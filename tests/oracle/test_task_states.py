"""The oracle's task state machine, transition by transition (no I/O)."""

import pytest

from oracle.task_states import FINAL, OPEN, InvalidTransition, TaskState, can_move, move

S = TaskState

ALLOWED = [
    (S.SEEN, S.DISPATCHED), (S.SEEN, S.REJECTED),
    (S.DISPATCHED, S.COMPLETED), (S.DISPATCHED, S.JOB_FAILED),
    (S.COMPLETED, S.FINALIZING), (S.COMPLETED, S.JOB_FAILED), (S.COMPLETED, S.FINALIZED),
    (S.DISPATCHED, S.SEEN), (S.FINALIZING, S.JOB_FAILED),
    (S.FINALIZING, S.FINALIZED), (S.FINALIZING, S.COMPLETED),
    (S.REJECTED, S.REPORTING), (S.JOB_FAILED, S.REPORTING),
    (S.REPORTING, S.REFUNDED), (S.REPORTING, S.REJECTED),
    (S.CLAIMING, S.CLAIMED),
]


@pytest.mark.parametrize("current,target", ALLOWED)
def test_allowed_transition(current, target):
    assert move(current, target) is target


@pytest.mark.parametrize("current", sorted(OPEN - {S.CLAIMING}))
def test_every_open_task_can_be_claimed_after_its_deadline(current):
    assert can_move(current, S.CLAIMING)


@pytest.mark.parametrize("current", sorted(OPEN))
def test_every_open_task_can_be_orphaned_or_settled_elsewhere(current):
    assert can_move(current, S.ORPHANED) and can_move(current, S.SETTLED)


@pytest.mark.parametrize("current", sorted(FINAL))
@pytest.mark.parametrize("target", list(TaskState))
def test_final_states_never_move(current, target):
    with pytest.raises(InvalidTransition, match=f"from {current} to {target}"):
        move(current, target)


@pytest.mark.parametrize("current,target", [
    (S.SEEN, S.FINALIZING), (S.SEEN, S.COMPLETED), (S.DISPATCHED, S.FINALIZED),
    (S.COMPLETED, S.REFUNDED), (S.CLAIMING, S.CLAIMING), (S.FINALIZING, S.REPORTING),
])
def test_skipping_a_step_is_refused(current, target):
    assert not can_move(current, target)
    with pytest.raises(InvalidTransition):
        move(current, target)


def test_every_state_is_open_or_final():
    assert OPEN | FINAL == set(TaskState) and not OPEN & FINAL
