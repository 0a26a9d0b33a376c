"""The life of a task inside the oracle: a pure, table-driven state machine apart from I/O.

    SEEN -> DISPATCHED -> COMPLETED -> FINALIZING -> FINALIZED
      | ^-------'|                          |  (the Hub refused the result)
      |         +-> JOB_FAILED <------------+
      |               -> REPORTING -> REFUNDED
      +-> REJECTED ------^
    any open state -> CLAIMING -> CLAIMED         (deadline passed: refund the requester)
    any open state -> ORPHANED                    (its request left the canonical chain)
    any open state -> SETTLED                     (the chain says someone else settled it)
"""

from __future__ import annotations

from enum import Enum


class TaskState(str, Enum):
    SEEN = "SEEN"  # request confirmed on chain, not yet on the grid
    DISPATCHED = "DISPATCHED"  # grid job submitted
    COMPLETED = "COMPLETED"  # grid job reached its quorum; result kept
    FINALIZING = "FINALIZING"  # finalize transaction sent
    FINALIZED = "FINALIZED"  # finalize mined
    REJECTED = "REJECTED"  # the pool cannot serve it (reason recorded)
    JOB_FAILED = "JOB_FAILED"  # the grid job ended in error
    REPORTING = "REPORTING"  # reportFailure transaction sent
    REFUNDED = "REFUNDED"  # reportFailure mined: requester refunded
    CLAIMING = "CLAIMING"  # claim transaction sent after the deadline
    CLAIMED = "CLAIMED"  # claim mined: requester refunded
    ORPHANED = "ORPHANED"  # its request is no longer on the canonical chain
    SETTLED = "SETTLED"  # finalized, claimed or failed by someone else


FINAL = frozenset({TaskState.FINALIZED, TaskState.REFUNDED, TaskState.CLAIMED, TaskState.ORPHANED, TaskState.SETTLED})
OPEN = frozenset(set(TaskState) - FINAL)
# states in which a transaction of ours may be in flight
SENDING = frozenset({TaskState.FINALIZING, TaskState.REPORTING, TaskState.CLAIMING})

_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    TaskState.SEEN: frozenset({TaskState.DISPATCHED, TaskState.REJECTED}),
    # a job the grid no longer knows (a new grid, a lost database) is dispatched again
    TaskState.DISPATCHED: frozenset({TaskState.COMPLETED, TaskState.JOB_FAILED, TaskState.SEEN}),
    # signatures the chain would refuse (a worker left or was slashed) make the job a failure
    # finalized by an earlier batch of ours the task no longer points to (a dropped record)
    TaskState.COMPLETED: frozenset({TaskState.FINALIZING, TaskState.JOB_FAILED, TaskState.FINALIZED}),
    # a finalize that failed or was dropped goes back to be sent again; one the Hub refused
    # (signers no longer qualify) makes the job a failure
    TaskState.FINALIZING: frozenset({TaskState.FINALIZED, TaskState.COMPLETED, TaskState.JOB_FAILED}),
    TaskState.REJECTED: frozenset({TaskState.REPORTING}),
    TaskState.JOB_FAILED: frozenset({TaskState.REPORTING}),
    TaskState.REPORTING: frozenset({TaskState.REFUNDED, TaskState.REJECTED}),
    TaskState.CLAIMING: frozenset({TaskState.CLAIMED}),
}
# from every open state: the deadline, a reorg, or someone else settling
for _state in OPEN:
    _extra = {TaskState.ORPHANED, TaskState.SETTLED} | ({TaskState.CLAIMING} - {_state})
    _TRANSITIONS[_state] = _TRANSITIONS.get(_state, frozenset()) | _extra


class InvalidTransition(ValueError):
    """A state change the table does not allow: a bug, never an input error."""


def can_move(current: TaskState, target: TaskState) -> bool:
    return target in _TRANSITIONS.get(current, frozenset())


def move(current: TaskState, target: TaskState) -> TaskState:
    """The new state, or InvalidTransition naming both states."""
    if not can_move(TaskState(current), TaskState(target)):
        raise InvalidTransition(f"a task cannot go from {current} to {target}")
    return TaskState(target)
