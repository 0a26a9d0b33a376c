"""Job and replicate status machines: pure transition tables, no I/O.

The scheduler's data functions ask these tables whether an event may move a status and
to which one; anything not in a table is refused with InvalidTransition, so a stray
upload or a late lease expiry can never resurrect a finished job.
"""

from __future__ import annotations

from enum import Enum

from .errors import InvalidTransition


class JobStatus(str, Enum):
    PENDING = "PENDING"  # no replicate handed out yet (or all handed back)
    RUNNING = "RUNNING"  # at least one replicate is on a worker or has reported
    COMPLETED = "COMPLETED"  # a quorum agreed on (digest, callback data hash)
    ERROR = "ERROR"  # retries, deadline or agreement ran out; `error` says why
    ABORTED = "ABORTED"  # the owner aborted it


class JobEvent(str, Enum):
    ASSIGNED = "assigned"  # a worker took one of its replicates
    REQUEUED = "requeued"  # no replicate is on a worker any more
    QUORUM = "quorum"  # enough replicates agree
    GAVE_UP = "gave_up"  # no quorum can be reached any more
    ABORT = "abort"  # owner asked to stop


class ReplicateStatus(str, Enum):
    PENDING = "PENDING"  # waiting for a worker
    RUNNING = "RUNNING"  # leased to a worker
    DONE = "DONE"  # signed result received, vote not counted yet
    VALID = "VALID"  # agreed with the quorum
    INVALID = "INVALID"  # outvoted by the quorum: kept as slashing proof
    FAILED = "FAILED"  # the worker reported a failure, or its upload was refused
    LOST = "LOST"  # lease expired: the worker went silent
    ABORTED = "ABORTED"  # not needed any more (job finished or aborted)


class ReplicateEvent(str, Enum):
    ASSIGN = "assign"
    UPLOAD = "upload"
    FAIL = "fail"
    EXPIRE = "expire"
    AGREE = "agree"
    DISAGREE = "disagree"
    CANCEL = "cancel"
    DISCARD = "discard"  # its worker was blacklisted: a vote not counted yet no longer counts


JOB_FINAL = frozenset({JobStatus.COMPLETED, JobStatus.ERROR, JobStatus.ABORTED})

JOB_TRANSITIONS: dict[tuple[JobStatus, JobEvent], JobStatus] = {
    (JobStatus.PENDING, JobEvent.ASSIGNED): JobStatus.RUNNING,
    (JobStatus.RUNNING, JobEvent.ASSIGNED): JobStatus.RUNNING,
    (JobStatus.RUNNING, JobEvent.REQUEUED): JobStatus.PENDING,
    (JobStatus.PENDING, JobEvent.REQUEUED): JobStatus.PENDING,
    (JobStatus.RUNNING, JobEvent.QUORUM): JobStatus.COMPLETED,
    (JobStatus.PENDING, JobEvent.GAVE_UP): JobStatus.ERROR,
    (JobStatus.RUNNING, JobEvent.GAVE_UP): JobStatus.ERROR,
    (JobStatus.PENDING, JobEvent.ABORT): JobStatus.ABORTED,
    (JobStatus.RUNNING, JobEvent.ABORT): JobStatus.ABORTED,
}

REPLICATE_TRANSITIONS: dict[tuple[ReplicateStatus, ReplicateEvent], ReplicateStatus] = {
    (ReplicateStatus.PENDING, ReplicateEvent.ASSIGN): ReplicateStatus.RUNNING,
    (ReplicateStatus.PENDING, ReplicateEvent.CANCEL): ReplicateStatus.ABORTED,
    (ReplicateStatus.RUNNING, ReplicateEvent.UPLOAD): ReplicateStatus.DONE,
    (ReplicateStatus.RUNNING, ReplicateEvent.FAIL): ReplicateStatus.FAILED,
    (ReplicateStatus.RUNNING, ReplicateEvent.EXPIRE): ReplicateStatus.LOST,
    (ReplicateStatus.RUNNING, ReplicateEvent.CANCEL): ReplicateStatus.ABORTED,
    (ReplicateStatus.DONE, ReplicateEvent.AGREE): ReplicateStatus.VALID,
    (ReplicateStatus.DONE, ReplicateEvent.DISAGREE): ReplicateStatus.INVALID,
    (ReplicateStatus.RUNNING, ReplicateEvent.DISCARD): ReplicateStatus.FAILED,
    (ReplicateStatus.DONE, ReplicateEvent.DISCARD): ReplicateStatus.FAILED,
}


def next_job_status(current: JobStatus | str, event: JobEvent) -> JobStatus:
    """Where `event` takes a job in `current`; InvalidTransition if nowhere."""
    return _step(JOB_TRANSITIONS, JobStatus(current), event, "job")


def next_replicate_status(current: ReplicateStatus | str, event: ReplicateEvent) -> ReplicateStatus:
    """Where `event` takes a replicate in `current`; InvalidTransition if nowhere."""
    return _step(REPLICATE_TRANSITIONS, ReplicateStatus(current), event, "replicate")


def _step(table, current, event, what):
    try:
        return table[(current, event)]
    except KeyError:
        raise InvalidTransition(f"{what} in {current.value} cannot take event {event.value!r}") from None
