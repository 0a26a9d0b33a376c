"""Pull-mode matching: which pending replicates a worker may take, preferring cached inputs.

Candidates are read as plain columns and claimed with one conditional UPDATE ... RETURNING,
so two schedulers on one PostgreSQL database never hand out the same replicate. On PostgreSQL
the candidates' jobs are locked as they are read, passing over those another transaction holds (a
report being counted, another pull): a replicate is never claimed while its job's votes are being
counted, and concurrent pulls take different jobs.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, exists, or_, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from ..contribution import grid_domain, grid_task_id, hub_domain
from ..models import App, Data, Job, Replicate, Worker, now
from ..statuses import JobEvent, JobStatus, ReplicateEvent, ReplicateStatus, next_job_status, next_replicate_status
from .settings import Settings

# A worker never holds two live or voting replicates of one job (one vote per worker);
# after a failure or a lost lease it may try the job again.
VOTING = [ReplicateStatus.RUNNING.value, ReplicateStatus.DONE.value, ReplicateStatus.VALID.value,
          ReplicateStatus.INVALID.value]
WINDOW_FACTOR = 2  # look at this many candidates per wanted job, to find cached ones
CLAIMED = next_replicate_status(ReplicateStatus.PENDING, ReplicateEvent.ASSIGN).value
STARTED = next_job_status(JobStatus.PENDING, JobEvent.ASSIGNED).value
_OPEN = [JobStatus.PENDING.value, JobStatus.RUNNING.value]

# Candidates are read lean (no JSON columns but the cache scoring's); details only for the chosen.
_DETAILS = (Replicate.id, Replicate.uid, Job.uid, Job.args, Job.stdin, Job.data_ids, Job.max_wall_seconds,
            Job.onchain, App.name, App.type, App.checksum, App.uri, App.image, App.network)


def pull(session: Session, settings: Settings, worker: Worker, max_jobs: int, cached: set[str]) -> list[dict]:
    """Lease up to `max_jobs` replicates of distinct jobs to `worker`; their assignments.

    Every statement is built once (`_statements`) and run on the session's connection: building and
    caching statements, and the ORM's bookkeeping, cost more than the database work of a pull."""
    if worker.blacklisted:
        return []
    sql, connection = _statements(), session.connection()
    alive_at = now()
    connection.execute(sql.alive, {"worker_id": worker.id, "at": alive_at})
    set_committed_value(worker, "last_alive", alive_at)
    set_committed_value(worker, "status", "ALIVE")
    rows = _candidates(session, worker, max_jobs * WINDOW_FACTOR + 8, with_checksums=bool(cached))
    if cached:  # stable sort: jobs whose app or data the worker holds first, then oldest first
        rows.sort(key=lambda row: -((row[2] in cached) + sum(c in cached for c in row[3])))
    wanted, jobs_seen = [], set()
    for row in rows:
        if len(wanted) < max_jobs and row[1] not in jobs_seen:
            jobs_seen.add(row[1])
            wanted.append(row)
    claimed = set()
    if wanted:
        claimed = set(connection.execute(sql.claim, {
            "ids": [row[0] for row in wanted], "worker_id": worker.id,
            "lease": now() + settings.lease_seconds}).scalars())
    if claimed:
        connection.execute(sql.start_jobs, {"ids": [row[1] for row in wanted if row[0] in claimed]})
    assignments = _assignments(session, settings, claimed)
    session.commit()
    return assignments


def _candidates(session: Session, worker: Worker, window: int, with_checksums: bool) -> list:
    shared = worker.shared_apps or []
    locking = session.get_bind().dialect.name != "sqlite"  # SQLite: the writer lock already serializes
    query = _candidate_query("docker" in shared, with_checksums, locking)
    params = {"worker_id": worker.id, "arch": worker.arch, "os": worker.os, "shared": shared or [""],
              "window": window}
    return list(session.connection().execute(query, params).all())


_MINE = aliased(Replicate)


@lru_cache(maxsize=8)
def _candidate_query(docker: bool, with_checksums: bool, locking: bool):
    """Built once per variant with bind parameters: building the statement costs more than running it.

    `locking` (PostgreSQL) locks the candidates and their jobs as it reads them, passes over the
    rows other transactions hold, and checks a locked row again in its latest version (a replicate
    another pull claimed since this statement began is no longer PENDING): concurrent pulls, which
    all see the same oldest pending replicates in their snapshots, then each get different jobs
    instead of all but one getting none.
    """
    fits = or_(and_(App.type == "DEPLOYABLE", App.arch == bindparam("arch"), App.os == bindparam("os")),
               and_(App.type == "SHARED", App.image.is_(None), App.name.in_(bindparam("shared", expanding=True))))
    if docker:  # a worker with a Docker engine runs every Docker app
        fits = or_(fits, and_(App.type == "SHARED", App.image.is_not(None)))
    columns = (Replicate.id, Job.id, App.checksum, Job.data_checksums) if with_checksums else (Replicate.id, Job.id)
    query = (select(*columns)
             .join(Job, Job.id == Replicate.job_id).join(App, App.id == Job.app_id)
             .where(Replicate.status == ReplicateStatus.PENDING.value, Job.status.in_(_OPEN), fits,
                    ~exists().where(_MINE.job_id == Replicate.job_id, _MINE.worker_id == bindparam("worker_id"),
                                    _MINE.status.in_(VOTING)))
             .order_by(Replicate.job_id, Replicate.id).limit(bindparam("window")))  # oldest job first
    return query.with_for_update(of=(Replicate, Job), skip_locked=True) if locking else query


@lru_cache(maxsize=1)
def _statements() -> SimpleNamespace:
    """The pull's other statements, with bind parameters (lists expand at execution)."""
    ids = bindparam("ids", expanding=True)
    return SimpleNamespace(
        alive=update(Worker).where(Worker.id == bindparam("worker_id"))
        .values(last_alive=bindparam("at"), status="ALIVE"),
        claim=update(Replicate).where(Replicate.id.in_(ids), Replicate.status == ReplicateStatus.PENDING.value)
        .values(status=CLAIMED, worker_id=bindparam("worker_id"), lease_expires=bindparam("lease"))
        .returning(Replicate.id),
        start_jobs=update(Job).where(Job.id.in_(ids), Job.status == JobStatus.PENDING.value).values(status=STARTED),
        details=select(*_DETAILS).join(Job, Job.id == Replicate.job_id).join(App, App.id == Job.app_id)
        .where(Replicate.id.in_(ids)).order_by(Replicate.id),
        datas=select(Data.id, Data.name, Data.checksum, Data.uri).where(Data.id.in_(ids)),
    )


def _assignments(session: Session, settings: Settings, claimed: set[int]) -> list[dict]:
    if not claimed:
        return []
    sql, connection = _statements(), session.connection()
    chosen = connection.execute(sql.details, {"ids": sorted(claimed)}).all()
    data_ids = {i for row in chosen for i in row[5]}
    datas = {row[0]: {"name": row[1], "checksum": row[2], "uri": row[3]}
             for row in connection.execute(sql.datas, {"ids": sorted(data_ids)})} if data_ids else {}
    out = []
    for (_, rep_uid, job_uid, args, stdin, job_data, wall, onchain, name, kind, checksum, uri, image,
         network) in chosen:
        domain, task_id = signing_target_of(job_uid, onchain)
        out.append({
            "replicate": rep_uid, "job": job_uid,
            "app": {"name": name, "type": kind, "checksum": checksum, "uri": uri, "image": image,
                    "network": network},
            "args": args, "stdin": stdin,
            "data": [dict(datas[i]) for i in job_data],
            "max_wall_seconds": wall, "lease_seconds": settings.lease_seconds,
            "domain": {"name": domain.name, "version": domain.version, "chain_id": domain.chain_id,
                       "verifying_contract": domain.verifying_contract},
            "task_id": "0x" + task_id.hex(),
        })
    return out


def signing_target_of(job_uid: str, onchain: dict | None):
    """(domain, task id) a worker signs: the Hub's for on-chain tasks, the grid's otherwise."""
    if onchain:
        return hub_domain(onchain["chain_id"], onchain["hub"]), bytes.fromhex(onchain["task_id"][2:])
    return grid_domain(), grid_task_id(job_uid)


def signing_target(job: Job):
    return signing_target_of(job.uid, job.onchain)


def may_download(session: Session, worker: Worker, checksum: str) -> bool:
    """A worker reads only blobs of the jobs it currently holds: their data, their app's file or image tarball."""
    rows = session.exec(select(Job.data_checksums, App.uri).join(Replicate, Replicate.job_id == Job.id)
                        .join(App, App.id == Job.app_id, isouter=True)
                        .where(Replicate.worker_id == worker.id,
                               Replicate.status == ReplicateStatus.RUNNING.value))
    return any(app_uri == f"blob:{checksum}" or checksum in data_sums for data_sums, app_uri in rows)
