"""Pull-mode matching: which pending replicates a worker may take, preferring cached inputs."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..contribution import grid_domain, grid_task_id, hub_domain
from ..models import App, Data, Job, Replicate, Worker, now
from ..statuses import JobEvent, JobStatus, ReplicateEvent, ReplicateStatus, next_job_status, next_replicate_status
from .settings import Settings

# A worker never holds two live or voting replicates of one job (one vote per worker);
# after a failure or a lost lease it may try the job again.
VOTING = [ReplicateStatus.RUNNING.value, ReplicateStatus.DONE.value, ReplicateStatus.VALID.value,
          ReplicateStatus.INVALID.value]
WINDOW_FACTOR = 4  # look at this many candidates per wanted job, to find cached ones


def pull(session: Session, settings: Settings, worker: Worker, max_jobs: int, cached: set[str]) -> list[dict]:
    """Lease up to `max_jobs` replicates of distinct jobs to `worker`; their assignments."""
    if worker.blacklisted:
        return []
    worker.last_alive, worker.status = now(), "ALIVE"
    session.add(worker)
    candidates = _candidates(session, worker, max_jobs * WINDOW_FACTOR + 16)
    # Stable sort: jobs whose app or data the worker already holds come first, then oldest first.
    candidates.sort(key=lambda row: -_cache_score(row, cached))
    chosen, jobs_seen = [], set()
    running = next_replicate_status(ReplicateStatus.PENDING, ReplicateEvent.ASSIGN).value
    lease = now() + settings.lease_seconds
    for rep_id, job, app in candidates:
        if len(chosen) == max_jobs:
            break
        if job.id in jobs_seen:
            continue
        taken = session.exec(update(Replicate).where(
            Replicate.id == rep_id, Replicate.status == ReplicateStatus.PENDING.value
        ).values(status=running, worker_id=worker.id, lease_expires=lease)).rowcount
        if taken:
            jobs_seen.add(job.id)
            chosen.append((rep_id, job, app))
    _mark_jobs_running(session, [job for _, job, _ in chosen])
    assignments = _assignments(session, settings, chosen)
    session.commit()
    return assignments


def _candidates(session: Session, worker: Worker, window: int):
    mine = aliased(Replicate)
    shared = worker.shared_apps or []
    fits = or_(and_(App.type == "DEPLOYABLE", App.arch == worker.arch, App.os == worker.os),
               and_(App.type == "SHARED", App.image.is_(None), App.name.in_(shared or [""])))
    if "docker" in shared:  # a worker with a Docker engine runs every Docker app
        fits = or_(fits, and_(App.type == "SHARED", App.image.is_not(None)))
    query = (select(Replicate.id, Job, App)
             .join(Job, Job.id == Replicate.job_id).join(App, App.id == Job.app_id)
             .where(Replicate.status == ReplicateStatus.PENDING.value,
                    Job.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]), fits,
                    ~exists().where(mine.job_id == Replicate.job_id, mine.worker_id == worker.id,
                                    mine.status.in_(VOTING)))
             .order_by(Replicate.id).limit(window))
    return list(session.exec(query))


def _cache_score(row, cached: set[str]) -> int:
    _, job, app = row
    return (app.checksum in cached) + sum(c in cached for c in job.data_checksums)


def _mark_jobs_running(session: Session, jobs: list[Job]) -> None:
    for job in jobs:
        job.status = next_job_status(job.status, JobEvent.ASSIGNED).value
        session.add(job)


def _assignments(session: Session, settings: Settings, chosen) -> list[dict]:
    data_ids = {i for _, job, _ in chosen for i in job.data_ids}
    datas = {d.id: d for d in session.exec(select(Data).where(Data.id.in_(data_ids)))} if data_ids else {}
    uids = dict(session.exec(select(Replicate.id, Replicate.uid).where(Replicate.id.in_([c[0] for c in chosen]))).all()) \
        if chosen else {}
    out = []
    for rep_id, job, app in chosen:
        domain, task_id = signing_target(job)
        out.append({
            "replicate": uids[rep_id], "job": job.uid,
            "app": {"name": app.name, "type": app.type, "checksum": app.checksum, "uri": app.uri, "image": app.image},
            "args": job.args, "stdin": job.stdin,
            "data": [{"name": datas[i].name, "checksum": datas[i].checksum, "uri": datas[i].uri} for i in job.data_ids],
            "max_wall_seconds": job.max_wall_seconds, "lease_seconds": settings.lease_seconds,
            "domain": {"name": domain.name, "version": domain.version, "chain_id": domain.chain_id,
                       "verifying_contract": domain.verifying_contract},
            "task_id": "0x" + task_id.hex(),
        })
    return out


def signing_target(job: Job):
    """(domain, task id) a worker signs for this job: the Hub's for on-chain tasks, the grid's otherwise."""
    if job.onchain:
        return hub_domain(job.onchain["chain_id"], job.onchain["hub"]), bytes.fromhex(job.onchain["task_id"][2:])
    return grid_domain(), grid_task_id(job.uid)


def may_download(session: Session, worker: Worker, checksum: str) -> bool:
    """A worker reads only blobs of the jobs it currently holds."""
    rows = session.exec(select(Job.data_checksums, App.checksum).join(Replicate, Replicate.job_id == Job.id)
                        .join(App, App.id == Job.app_id, isouter=True)
                        .where(Replicate.worker_id == worker.id,
                               Replicate.status == ReplicateStatus.RUNNING.value))
    return any(checksum == app_sum or checksum in data_sums for data_sums, app_sum in rows)
