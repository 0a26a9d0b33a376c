"""The job and replicate status machines, transition by transition."""

import itertools

import pytest

from offchain_grid.errors import InvalidTransition
from offchain_grid.statuses import (JOB_TRANSITIONS, REPLICATE_TRANSITIONS, JobEvent, JobStatus, ReplicateEvent,
                                    ReplicateStatus, next_job_status, next_replicate_status)

J, JE, R, RE = JobStatus, JobEvent, ReplicateStatus, ReplicateEvent

JOB_CASES = [
    (J.PENDING, JE.ASSIGNED, J.RUNNING),
    (J.RUNNING, JE.ASSIGNED, J.RUNNING),
    (J.RUNNING, JE.REQUEUED, J.PENDING),
    (J.PENDING, JE.REQUEUED, J.PENDING),
    (J.RUNNING, JE.QUORUM, J.COMPLETED),
    (J.PENDING, JE.GAVE_UP, J.ERROR),
    (J.RUNNING, JE.GAVE_UP, J.ERROR),
    (J.PENDING, JE.ABORT, J.ABORTED),
    (J.RUNNING, JE.ABORT, J.ABORTED),
]

REPLICATE_CASES = [
    (R.PENDING, RE.ASSIGN, R.RUNNING),
    (R.PENDING, RE.CANCEL, R.ABORTED),
    (R.RUNNING, RE.UPLOAD, R.DONE),
    (R.RUNNING, RE.FAIL, R.FAILED),
    (R.RUNNING, RE.EXPIRE, R.LOST),
    (R.RUNNING, RE.CANCEL, R.ABORTED),
    (R.DONE, RE.AGREE, R.VALID),
    (R.DONE, RE.DISAGREE, R.INVALID),
    (R.RUNNING, RE.DISCARD, R.FAILED),
    (R.DONE, RE.DISCARD, R.FAILED),
]


@pytest.mark.parametrize("current,event,expected", JOB_CASES)
def test_job_transition(current, event, expected):
    assert next_job_status(current, event) is expected
    assert next_job_status(current.value, event) is expected  # rows store plain strings


@pytest.mark.parametrize("current,event,expected", REPLICATE_CASES)
def test_replicate_transition(current, event, expected):
    assert next_replicate_status(current, event) is expected


def test_tables_hold_exactly_the_tested_cases():
    assert {(c, e): t for c, e, t in JOB_CASES} == JOB_TRANSITIONS
    assert {(c, e): t for c, e, t in REPLICATE_CASES} == REPLICATE_TRANSITIONS


REFUSED_JOB = [(s, e) for s, e in itertools.product(J, JE) if (s, e) not in JOB_TRANSITIONS]
REFUSED_REPLICATE = [(s, e) for s, e in itertools.product(R, RE) if (s, e) not in REPLICATE_TRANSITIONS]


@pytest.mark.parametrize("current,event", REFUSED_JOB)
def test_job_refuses(current, event):
    with pytest.raises(InvalidTransition, match=current.value):
        next_job_status(current, event)


@pytest.mark.parametrize("current,event", REFUSED_REPLICATE)
def test_replicate_refuses(current, event):
    with pytest.raises(InvalidTransition, match=current.value):
        next_replicate_status(current, event)


def test_final_job_states_take_no_event():
    for final in (J.COMPLETED, J.ERROR, J.ABORTED):
        assert not [e for e in JE if (final, e) in JOB_TRANSITIONS]


def test_lost_replicate_cannot_upload_late():
    with pytest.raises(InvalidTransition):
        next_replicate_status(R.LOST, RE.UPLOAD)
