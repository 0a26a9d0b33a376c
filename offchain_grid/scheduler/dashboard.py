"""The grid as its public dashboard shows it: a few aggregate queries, each bounded whatever the
number of jobs (counts through indexes, a fixed number of recent rows)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..errors import NotFound
from ..models import App, Job, Replicate, User, Worker, now
from ..public import PRIVATE_APP, GridSnapshot, MinuteCount, PublicApp, PublicJob, PublicWorker
from ..statuses import JOB_FINAL, JobStatus, ReplicateStatus

MAX_WORKERS = 200  # workers listed (the counts cover all of them)
RECENT_JOBS = 20
MAX_APPS = 200
MINUTES = 10  # of throughput
# a replicate on a worker, or a vote of one: the job is "computing on N workers"
_HELD = [ReplicateStatus.RUNNING.value, ReplicateStatus.DONE.value, ReplicateStatus.VALID.value]


@dataclass(frozen=True)
class GridCounts:
    """What the metrics and the dashboard count, each through an index."""

    jobs_by_status: dict[str, int]
    replicates_pending: int
    oldest_pending_age: float | None  # seconds the oldest pending job has waited
    workers_by_status: dict[str, int]
    workers_blacklisted: int
    slots_alive: int


def counts(session: Session, at: float) -> GridCounts:
    return GridCounts(
        jobs_by_status=dict(session.exec(select(Job.status, func.count()).group_by(Job.status)).all()),
        replicates_pending=session.exec(select(func.count()).select_from(Replicate).where(
            Replicate.status == ReplicateStatus.PENDING.value)).one(),
        oldest_pending_age=_oldest_pending_age(session, at),
        workers_by_status=dict(session.exec(select(Worker.status, func.count()).group_by(Worker.status)).all()),
        workers_blacklisted=session.exec(select(func.count()).select_from(Worker).where(
            col(Worker.blacklisted))).one(),
        slots_alive=session.exec(select(func.coalesce(func.sum(Worker.slots), 0)).where(
            Worker.status == "ALIVE")).one())


def snapshot(session: Session) -> GridSnapshot:
    at = now()
    counted = counts(session, at)
    recent = list(session.exec(select(Job).order_by(col(Job.id).desc()).limit(RECENT_JOBS)))
    return GridSnapshot(
        generated_at=at, workers=_workers(session), workers_by_status=counted.workers_by_status,
        slots_alive=counted.slots_alive, jobs_by_status=counted.jobs_by_status,
        oldest_pending_age=counted.oldest_pending_age, throughput=_throughput(session, at),
        recent_jobs=public_jobs(session, recent, at), apps=_apps(session),
        private_apps=session.exec(select(func.count()).select_from(App).where(App.access != "public")).one())


def public_job(session: Session, uid: str) -> PublicJob:
    """One job's progress, for whoever knows its uid (an on-chain task's front end)."""
    job = session.exec(select(Job).where(Job.uid == uid)).first()
    if job is None:
        raise NotFound(f"job {uid!r} not found")
    return public_jobs(session, [job], now())[0]


def public_jobs(session: Session, jobs: list[Job], at: float) -> list[PublicJob]:
    ids = [j.id for j in jobs]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    workers: dict[int, int] = {}
    if ids:
        for job_id, status, count in session.exec(select(Replicate.job_id, Replicate.status, func.count()).where(
                col(Replicate.job_id).in_(ids)).group_by(Replicate.job_id, Replicate.status)):
            counts[job_id][status] = count
        workers = dict(session.exec(select(Replicate.job_id, func.count(func.distinct(Replicate.worker_id))).where(
            col(Replicate.job_id).in_(ids), col(Replicate.status).in_(_HELD)).group_by(Replicate.job_id)).all())
    public = _public_app_ids(session, {j.app_id for j in jobs if j.app_id is not None})
    return [PublicJob(
        uid=j.uid, app=j.app_name if j.app_id in public else PRIVATE_APP, status=j.status,
        replication=j.replication, replicates=counts[j.id], workers=workers.get(j.id, 0), created_at=j.created_at,
        completed_at=j.completed_at, duration=max(0.0, (j.completed_at or at) - j.created_at),
        task_id=(j.onchain or {}).get("task_id")) for j in jobs]


def _public_app_ids(session: Session, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.exec(select(App.id).where(col(App.id).in_(ids), App.access == "public")).all())


def _workers(session: Session) -> list[PublicWorker]:
    rows = session.exec(select(Worker).order_by(col(Worker.status) == "LOST", col(Worker.last_alive).desc())
                        .limit(MAX_WORKERS))
    return [PublicWorker(address=w.address, arch=w.arch, os=w.os, slots=w.slots, shared_apps=list(w.shared_apps),
                         status=w.status, last_alive=w.last_alive, completed=w.completed, blacklisted=w.blacklisted,
                         blacklist_reason=w.blacklist_reason) for w in rows]


def _oldest_pending_age(session: Session, at: float) -> float | None:
    created = session.exec(select(Job.created_at).where(Job.status == JobStatus.PENDING.value)
                           .order_by(col(Job.id)).limit(1)).first()
    return None if created is None else max(0.0, at - created)


def _throughput(session: Session, at: float) -> list[MinuteCount]:
    """Jobs ended per minute over the last MINUTES (the current one included), through the index on
    completed_at: one range count per minute."""
    current = at - at % 60
    minutes = []
    for start in (current - 60 * i for i in range(MINUTES - 1, -1, -1)):
        by_status = dict(session.exec(select(Job.status, func.count()).where(
            col(Job.completed_at) >= start, col(Job.completed_at) < start + 60).group_by(Job.status)).all())
        minutes.append(MinuteCount(start=start, completed=by_status.get(JobStatus.COMPLETED.value, 0),
                                   failed=by_status.get(JobStatus.ERROR.value, 0)))
    return minutes


def _apps(session: Session) -> list[PublicApp]:
    apps = list(session.exec(select(App).where(App.access == "public").order_by(col(App.id)).limit(MAX_APPS)))
    if not apps:
        return []
    unfinished = [s.value for s in JobStatus if s not in JOB_FINAL]
    queued = dict(session.exec(select(Job.app_id, func.count()).where(
        col(Job.status).in_(unfinished), col(Job.app_id).in_([a.id for a in apps])).group_by(Job.app_id)).all())
    owners = dict(session.exec(select(User.id, User.address).where(
        col(User.id).in_({a.owner_id for a in apps}))).all())
    return [PublicApp(name=a.name, type=a.type, arch=a.arch, os=a.os, docker=a.image is not None,
                      owner_address=owners.get(a.owner_id), queued=queued.get(a.id, 0), created_at=a.created_at)
            for a in apps]
