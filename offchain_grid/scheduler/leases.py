"""The scheduler's periodic sweep: lost leases, quorums nobody counted, silent workers, deadlines.

Each step is its own transaction and locks the jobs it changes (see lifecycle), so the sweep
of one scheduler and the requests of another on the same database never count a job twice.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlmodel import Session, select

from ..models import Job, Replicate, Worker, now
from ..statuses import JobEvent, JobStatus, ReplicateEvent, ReplicateStatus
from .lifecycle import FINAL_JOB, VOTED, count_votes, finish, lock_jobs, move_replicate, replicates_by_job
from .settings import Settings

EXPIRED = "lease expired: the worker stopped sending alive signals"
RUNNING = ReplicateStatus.RUNNING.value
UNFINISHED = [JobStatus.PENDING.value, JobStatus.RUNNING.value]


def sweep(session: Session, settings: Settings) -> dict:
    """One pass; what it did, by kind."""
    t = now()
    expired = select(Replicate.job_id).where(Replicate.status == RUNNING, Replicate.lease_expires < t)
    lost = release(session, set(session.exec(expired.distinct()).all()),
                   lambda rep: rep.status == RUNNING and rep.lease_expires is not None and rep.lease_expires < t,
                   EXPIRED)
    counted = count_stalled_quorums(session)
    session.exec(update(Worker).where(Worker.last_alive < t - settings.alive_timeout, Worker.status == "ALIVE")
                 .values(status="LOST"))
    session.commit()
    late_ids = session.exec(select(Job.id).where(Job.deadline.is_not(None), Job.deadline < t,
                                                 Job.status.in_(UNFINISHED))).all()
    late = [job for job in lock_jobs(session, late_ids).values() if job.status in UNFINISHED]
    for job in late:
        finish(session, job, JobEvent.GAVE_UP, "deadline passed before a quorum of results was reached")
    session.commit()
    return {"lost": lost, "late": len(late), "counted": counted}


def release(session: Session, job_ids: set[int], which, reason: str) -> int:
    """Mark LOST the RUNNING replicates of these jobs that `which` picks, and replace them; commits.

    Lost replicates draw on the jobs' `max_lost` budget, never on `max_retries`.
    """
    if not job_ids:
        return 0
    jobs = lock_jobs(session, job_ids)
    reps = replicates_by_job(session, jobs)
    count = 0
    for job_id, job in jobs.items():
        gone = [rep for rep in reps[job_id] if which(rep)]
        for rep in gone:
            move_replicate(rep, ReplicateEvent.EXPIRE, reason)
            session.add(rep)
        if gone:
            count_votes(session, job, last_failure=reason, reps=reps[job_id], lost=True)
            count += len(gone)
    session.commit()
    return count


def count_stalled_quorums(session: Session) -> int:
    """Complete unfinished jobs whose signed results already agree in quorum; how many.

    The collector counts votes as they arrive; this catches any job a failed request or a
    crash left with enough agreeing results and no decision.
    """
    groups = (select(Replicate.job_id).join(Job, Job.id == Replicate.job_id)
              .where(Replicate.status.in_(VOTED), Job.status.in_(UNFINISHED))
              .group_by(Replicate.job_id, Job.replication, Replicate.result_digest, Replicate.callback_data_hash)
              .having(func.count() >= Job.replication))
    ids = set(session.exec(groups).all())
    if not ids:
        return 0
    jobs = lock_jobs(session, ids)
    reps = replicates_by_job(session, jobs)
    done = 0
    for job_id, job in jobs.items():
        count_votes(session, job, reps=reps[job_id])
        done += job.status in FINAL_JOB
    session.commit()
    return done


def release_on_login(session: Session, worker: Worker, holding: list[str]) -> int:
    """A worker that logs in holding fewer replicates than leased to it lost the others (it restarted)."""
    kept = set(holding)
    rows = session.exec(select(Replicate.job_id, Replicate.uid).where(Replicate.worker_id == worker.id,
                                                                      Replicate.status == RUNNING)).all()
    job_ids = {job_id for job_id, uid in rows if uid not in kept}
    return release(session, job_ids, lambda rep: rep.worker_id == worker.id and rep.status == RUNNING
                   and rep.uid not in kept, "the worker restarted without it")


def grant_restart_grace(session: Session, settings: Settings) -> int:
    """After a scheduler restart, workers could not renew leases while it was down: renew them all once."""
    count = session.exec(update(Replicate).where(Replicate.status == RUNNING)
                         .values(lease_expires=now() + settings.lease_seconds)).rowcount
    session.exec(update(Worker).values(last_alive=now()))
    session.commit()
    return count
