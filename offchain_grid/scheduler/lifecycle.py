"""Applies the pure status machines and quorum rules to database rows.

Every status change of a job or replicate goes through here, so the transition tables
in statuses.py are the only authority on what may happen. Callers may preload a job's
replicates and their workers (the result collector does, for a whole batch at once).

Concurrency (two requests, or two schedulers on one PostgreSQL database): whoever changes a
job's or its replicates' statuses first locks the job row with `lock_jobs`, then reads the
replicates and workers afresh, so votes are never counted from a stale snapshot. Locks are
taken in id order (jobs, then workers) so two transactions never wait on each other in a cycle.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import bindparam
from sqlmodel import Session, select

from ..consensus import Vote, replacements_needed, tally
from ..models import Job, Replicate, Worker, now
from ..statuses import (JOB_FINAL, JobEvent, ReplicateEvent, ReplicateStatus, next_job_status,
                        next_replicate_status)
from .events import note_stop, note_work

FINAL_JOB = frozenset(s.value for s in JOB_FINAL)
ACTIVE = frozenset({ReplicateStatus.PENDING.value, ReplicateStatus.RUNNING.value})
VOTED = frozenset({ReplicateStatus.DONE.value, ReplicateStatus.VALID.value})


def lock_jobs(session: Session, ids) -> dict[int, Job]:
    """The jobs with these ids, re-read and locked until commit (SQLite: its writer lock already is one)."""
    if not ids:
        return {}
    return {job.id: job for job in session.exec(_LOCK.jobs, params={"ids": sorted(ids)})}


def lock_jobs_of(session: Session, replicate_uids) -> dict[int, Job]:
    """The jobs of these replicates, re-read and locked until commit."""
    if not replicate_uids:
        return {}
    return {job.id: job for job in session.exec(_LOCK.jobs_of, params={"uids": list(replicate_uids)})}


def lock_workers(session: Session, ids) -> dict[int, Worker]:
    """The workers with these ids, re-read and locked until commit; call after `lock_jobs`."""
    if not ids:
        return {}
    return {worker.id: worker for worker in session.exec(_LOCK.workers, params={"ids": sorted(ids)})}


def replicates_by_job(session: Session, job_ids) -> dict[int, list[Replicate]]:
    """Every replicate of these jobs, re-read (call with the jobs locked)."""
    out: dict[int, list[Replicate]] = {job_id: [] for job_id in job_ids}
    if job_ids:
        for rep in session.exec(_LOCK.replicates, params={"ids": list(job_ids)}):
            out[rep.job_id].append(rep)
    return out


def _locking_reads() -> SimpleNamespace:
    """Built once with bind parameters (lists expand at execution): the collector runs them on every
    report, and building a statement costs about as much as running it."""
    ids, fresh = bindparam("ids", expanding=True), {"populate_existing": True}
    of_replicates = select(Replicate.job_id).where(Replicate.uid.in_(bindparam("uids", expanding=True)))
    return SimpleNamespace(
        jobs=select(Job).where(Job.id.in_(ids)).order_by(Job.id).with_for_update().execution_options(**fresh),
        jobs_of=select(Job).where(Job.id.in_(of_replicates)).order_by(Job.id).with_for_update()
        .execution_options(**fresh),
        workers=select(Worker).where(Worker.id.in_(ids)).order_by(Worker.id).with_for_update()
        .execution_options(**fresh),
        replicates=select(Replicate).where(Replicate.job_id.in_(ids)).order_by(Replicate.id)
        .execution_options(**fresh),
    )


_LOCK = _locking_reads()


def move_job(job: Job, event: JobEvent, error: str | None = None) -> None:
    job.status = next_job_status(job.status, event).value
    if job.status in FINAL_JOB:
        job.completed_at = now()
        job.error = error


def move_replicate(rep: Replicate, event: ReplicateEvent, error: str | None = None) -> None:
    rep.status = next_replicate_status(rep.status, event).value
    if rep.status not in ACTIVE:
        rep.finished_at = rep.finished_at or now()
        rep.lease_expires = None
    if error is not None:
        rep.error = error


def blacklist(worker: Worker, reason: str) -> None:
    if not worker.blacklisted:
        worker.blacklisted = True
        worker.blacklist_reason = reason


def add_replicates(session: Session, job: Job, count: int) -> list[Replicate]:
    fresh = [Replicate(job_id=job.id) for _ in range(count)]
    session.add_all(fresh)
    note_work(session)
    return fresh


def replicates_of(session: Session, job: Job) -> list[Replicate]:
    return replicates_by_job(session, [job.id])[job.id]


def finish(session: Session, job: Job, event: JobEvent, reason: str | None, reps: list[Replicate] | None = None):
    """Move the job to a final status and cancel its replicates still waiting or running.

    Workers still running one (or one whose lease they lost) are told to stop it at once.
    """
    move_job(job, event, reason)
    why = f"job {job.status.lower()}"
    for rep in reps if reps is not None else replicates_of(session, job):
        if rep.worker_id is not None and rep.status in (ReplicateStatus.RUNNING.value, ReplicateStatus.LOST.value):
            note_stop(session, rep.worker_id, rep.uid, why)
        if rep.status in ACTIVE:
            move_replicate(rep, ReplicateEvent.CANCEL, why)
            session.add(rep)
    session.add(job)


def count_votes(session: Session, job: Job, last_failure: str | None = None, reps: list[Replicate] | None = None,
                workers: dict[int, Worker] | None = None, lost: bool = False) -> None:
    """Count votes; complete the job, add replicates, or give up. Caller holds the job's lock and commits.

    Replacements for replicates lost with their worker (`lost`) draw on the job's `max_lost`
    budget, the app's failures and disagreements on `max_retries`: a crashing volunteer must
    not use up the retries of a sound job, nor a job that kills its workers run forever.
    """
    if job.status in FINAL_JOB:
        return
    reps = reps if reps is not None else replicates_of(session, job)
    voted = {r.id: r for r in reps if r.status in VOTED}
    if workers is None:
        workers = lock_workers(session, {r.worker_id for r in voted.values()})
    votes = [Vote(r.id, workers[r.worker_id].address, r.result_digest, r.callback_data_hash) for r in voted.values()]
    result = tally(votes, job.replication)
    if result.winner is not None:
        _complete(session, job, result, voted, workers, reps)
        return
    active = sum(r.status in ACTIVE for r in reps)
    needed = replacements_needed(job.replication, result.best_count, active)
    reason = _budget_exhausted(job, needed, lost)
    if reason:
        finish(session, job, JobEvent.GAVE_UP, reason + (f"; last failure: {last_failure}" if last_failure else ""), reps)
        return
    if needed:
        if lost:
            job.lost_used += needed
        else:
            job.retries_used += needed
        add_replicates(session, job, needed)
    if not any(r.status in (ReplicateStatus.RUNNING.value, ReplicateStatus.DONE.value) for r in reps):
        move_job(job, JobEvent.REQUEUED)
    session.add(job)


def _budget_exhausted(job: Job, needed: int, lost: bool) -> str | None:
    """Why the job must give up rather than add `needed` replicates, if it must."""
    if not needed:
        return None
    if lost and job.lost_used + needed > job.max_lost:
        return f"gave up after {job.lost_used} replicate(s) lost with their workers (max_lost={job.max_lost}) " \
               f"without {job.replication} agreeing result(s)"
    if not lost and job.retries_used + needed > job.max_retries:
        used = job.retries_used
        return f"gave up after {used} retr{'y' if used == 1 else 'ies'} " \
               f"(max_retries={job.max_retries}) without {job.replication} agreeing result(s)"
    return None


def _complete(session: Session, job: Job, result, voted: dict[int, Replicate], workers: dict[int, Worker],
              reps: list[Replicate]) -> None:
    winner = voted[result.agreeing[0].replicate_id]
    job.result_digest, job.callback_data_hash = result.winner
    job.callback_data = winner.callback_data or b""
    for vote in result.agreeing:
        rep = voted[vote.replicate_id]
        if rep.status == ReplicateStatus.DONE.value:
            move_replicate(rep, ReplicateEvent.AGREE)
            worker = workers[rep.worker_id]
            worker.completed += 1
            worker.consecutive_failures = 0
            session.add_all([rep, worker])
    for vote in result.dissenting:
        rep = voted[vote.replicate_id]
        move_replicate(rep, ReplicateEvent.DISAGREE, "outvoted by the quorum")
        blacklist(workers[rep.worker_id], f"result for job {job.uid} outvoted by a quorum of {job.replication}")
        session.add_all([rep, workers[rep.worker_id]])
    finish(session, job, JobEvent.QUORUM, None, reps)
