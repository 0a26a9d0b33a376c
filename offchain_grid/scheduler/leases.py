"""Lease expiry, silent workers and deadlines: the scheduler's periodic sweep."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, select

from ..models import Job, Replicate, Worker, now
from ..statuses import JOB_FINAL, JobEvent, ReplicateEvent, ReplicateStatus
from .lifecycle import finish, move_replicate, settle
from .settings import Settings


def sweep(session: Session, settings: Settings) -> dict:
    """One pass: lose expired leases (their jobs get new replicates), mark silent workers, end late jobs."""
    t = now()
    lost = 0
    expired = list(session.exec(select(Replicate).where(
        Replicate.status == ReplicateStatus.RUNNING.value, Replicate.lease_expires < t)))
    jobs = {}
    for rep in expired:
        move_replicate(rep, ReplicateEvent.EXPIRE, "lease expired: the worker stopped sending alive signals")
        session.add(rep)
        jobs[rep.job_id] = None
        lost += 1
    session.flush()
    for job in session.exec(select(Job).where(Job.id.in_(jobs))) if jobs else []:
        settle(session, job, last_failure="lease expired: the worker stopped sending alive signals")
    session.exec(update(Worker).where(Worker.last_alive < t - settings.alive_timeout, Worker.status == "ALIVE")
                 .values(status="LOST"))
    late = list(session.exec(select(Job).where(Job.deadline.is_not(None), Job.deadline < t,
                                               Job.status.not_in([s.value for s in JOB_FINAL]))))
    for job in late:
        finish(session, job, JobEvent.GAVE_UP, "deadline passed before a quorum of results was reached")
    session.commit()
    return {"lost": lost, "late": len(late)}


def grant_restart_grace(session: Session, settings: Settings) -> int:
    """After a scheduler restart, workers could not renew leases while it was down: renew them all once."""
    count = session.exec(update(Replicate).where(Replicate.status == ReplicateStatus.RUNNING.value)
                         .values(lease_expires=now() + settings.lease_seconds)).rowcount
    session.exec(update(Worker).values(last_alive=now()))
    session.commit()
    return count
