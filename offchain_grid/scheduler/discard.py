"""The liar rule: a worker is blacklisted at its first result outvoted by a quorum (or a forged
signature, or too many failures), and at that moment everything it still has in play stops
counting: its votes not counted yet are discarded and the replicates it holds are taken back,
each replaced on another worker (from the jobs' budget for lost replicates, since the jobs are
not at fault). Discarded votes are not dissents: a vote is proof against a worker only once a
quorum outvoted it.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..models import Replicate
from ..statuses import ReplicateEvent, ReplicateStatus
from .lifecycle import count_votes, lock_jobs, lock_workers, move_replicate, replicates_by_job

IN_PLAY = [ReplicateStatus.RUNNING.value, ReplicateStatus.DONE.value]


def discard_blacklisted(session: Session, worker_ids: set[int]) -> int:
    """Discard the pending votes and replicates of these (blacklisted) workers; how many. Commits."""
    if not worker_ids:
        return 0
    job_ids = set(session.exec(select(Replicate.job_id).where(Replicate.worker_id.in_(worker_ids),
                                                              Replicate.status.in_(IN_PLAY))).all())
    jobs = lock_jobs(session, job_ids)
    reps = replicates_by_job(session, jobs)
    workers = lock_workers(session, {r.worker_id for rs in reps.values() for r in rs if r.worker_id is not None})
    discarded = 0
    for job_id, job in jobs.items():
        mine = [r for r in reps[job_id] if r.worker_id in worker_ids and r.status in IN_PLAY]
        for rep in mine:
            move_replicate(rep, ReplicateEvent.DISCARD, "discarded: its worker was blacklisted")
            session.add(rep)
        if mine:
            discarded += len(mine)
            count_votes(session, job, last_failure="a worker was blacklisted", reps=reps[job_id], workers=workers,
                   lost=True)
    session.commit()
    return discarded
