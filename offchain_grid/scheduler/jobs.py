"""Job submission (idempotent by external id), views, lookups by external id, and abort."""

from __future__ import annotations

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from ..archive import exit_code_of, stderr_start
from ..errors import GridError, InvalidInput, NotFound
from ..models import (App, Data, DissentPublic, Job, JobCreate, JobProgress, JobPublic, JobRef, Replicate,
                      ReplicatePublic, ResultOutcome, ResultPublic, SignaturePublic, User, Worker, new_uid, now)
from ..storage import BlobStore
from ..statuses import JobEvent, JobStatus, ReplicateStatus
from .access import may_read, require_change
from .apps import lookup_app
from .events import note_work
from .lifecycle import finish, lock_jobs
from .servable import connected, why_unservable
from .users import user_names

# PostgreSQL plans from table statistics that autovacuum refreshes only after a while: a pull planned
# for a small job table takes 90 ms per call over 5,000 freshly queued jobs, against 0.1 ms once
# analyzed. A batch this large is analyzed at once.
ANALYZE_AFTER_JOBS = 1000


def submit_jobs(session: Session, owner: User, requests: list[JobCreate]) -> list[JobRef]:
    """Create jobs and their first replicates; one JobRef per request (created=False for a known external id).

    All or nothing: one bad request leaves the database unchanged. Rows go in with bulk
    INSERTs, since building thousands of ORM objects costs more than the database work.
    """
    apps: dict[str, App] = {}
    datas: dict[str, Data] = {}
    known = _known_external_ids(session, owner, requests)
    refs: list[JobRef] = []
    fresh: list[dict] = []
    created_at = now()
    for req in requests:
        if req.external_id is not None and req.external_id in known:
            refs.append(known[req.external_id])
            continue
        app = apps.get(req.app) or _usable_app(session, owner, req.app)
        apps[req.app] = app
        inputs = [datas.get(ref) or _usable_data(session, owner, ref) for ref in req.data]
        datas.update((d.uid, d) for d in inputs)
        if len({d.name for d in inputs}) != len(inputs):
            raise InvalidInput("two input data have the same name; they would overwrite each other")
        if req.deadline is not None and req.deadline <= created_at:
            raise InvalidInput("deadline is in the past")
        row = dict(uid=new_uid(), owner_id=owner.id, app_id=app.id, app_name=app.name, args=req.args, stdin=req.stdin,
                   data_ids=[d.id for d in inputs], data_checksums=[d.checksum for d in inputs if d.checksum],
                   replication=req.replication, max_wall_seconds=req.max_wall_seconds, max_retries=req.max_retries,
                   retries_used=0, max_lost=req.max_lost, lost_used=0, deadline=req.deadline, external_id=req.external_id,
                   onchain=req.onchain.model_dump() if req.onchain else None, status=JobStatus.PENDING.value,
                   created_at=created_at)
        fresh.append(row)
        ref = JobRef(uid=row["uid"], external_id=req.external_id, status=row["status"], created=True)
        refs.append(ref)
        if req.external_id is not None:
            known[req.external_id] = JobRef(uid=ref.uid, external_id=ref.external_id, status=ref.status, created=False)
    if fresh:
        ids = session.execute(insert(Job).returning(Job.id, sort_by_parameter_order=True), fresh).scalars().all()
        session.execute(insert(Replicate), [
            dict(uid=new_uid(), job_id=job_id, status=ReplicateStatus.PENDING.value, created_at=created_at)
            for job_id, row in zip(ids, fresh) for _ in range(row["replication"])])
        note_work(session)
    session.commit()
    if len(fresh) >= ANALYZE_AFTER_JOBS and session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE job, replicate"))
        session.commit()
    return refs


def _known_external_ids(session: Session, owner: User, requests: list[JobCreate]) -> dict[str, JobRef]:
    ids = {r.external_id for r in requests if r.external_id is not None}
    if not ids:
        return {}
    rows = session.exec(select(Job.uid, Job.external_id, Job.status).where(
        Job.owner_id == owner.id, Job.external_id.in_(ids)))
    return {ext: JobRef(uid=uid, external_id=ext, status=status, created=False) for uid, ext, status in rows}


def _usable_app(session: Session, user: User, ref: str) -> App:
    app = lookup_app(session, ref)
    if app is None or not may_read(user, app.owner_id, app.access):
        raise NotFound(f"unknown app {ref!r}: register it with `xw sendapp` first")
    return app


def _usable_data(session: Session, user: User, uid: str) -> Data:
    data = session.exec(select(Data).where(Data.uid == uid)).first()
    if data is None or not may_read(user, data.owner_id, data.access):
        raise NotFound(f"unknown data {uid!r}")
    return data


def find_job(session: Session, user: User, uid: str) -> Job:
    """A job its owner (or an admin) may see; others get NotFound, not a hint that it exists."""
    job = session.exec(select(Job).where(Job.uid == uid)).first()
    if job is None or not (user.is_admin or job.owner_id == user.id):
        raise NotFound(f"job {uid!r} not found")
    return job


def list_jobs(session: Session, user: User, status: str | None = None, limit: int = 1000, offset: int = 0) -> list[Job]:
    query = select(Job).order_by(Job.id).offset(offset).limit(limit)
    if not user.is_admin:
        query = query.where(Job.owner_id == user.id)
    if status:
        query = query.where(Job.status == status.upper())
    return list(session.exec(query))


def count_by_status(session: Session, user: User) -> dict[str, int]:
    query = select(Job.status, func.count()).group_by(Job.status)
    if not user.is_admin:
        query = query.where(Job.owner_id == user.id)
    return dict(session.exec(query).all())


def abort_job(session: Session, user: User, uid: str) -> Job:
    job = require_change(user, find_job(session, user, uid), "job", uid)
    job = lock_jobs(session, [job.id])[job.id]
    finish(session, job, JobEvent.ABORT, "aborted by its owner")
    session.commit()
    return job


def job_public(session: Session, jobs: list[Job]) -> list[JobPublic]:
    owners = user_names(session, {j.owner_id for j in jobs})
    data_uids = _data_uids(session, {i for j in jobs for i in j.data_ids})
    results = _results(session, jobs)
    waiting = _waiting(session, [j for j in jobs if j.status == JobStatus.PENDING.value])
    return [JobPublic(
        uid=job.uid, app=job.app_name, owner=owners.get(job.owner_id, ""), args=job.args,
        data=[data_uids.get(i, "") for i in job.data_ids], status=job.status, error=job.error,
        replication=job.replication, max_wall_seconds=job.max_wall_seconds, max_retries=job.max_retries,
        retries_used=job.retries_used, max_lost=job.max_lost, lost_used=job.lost_used, deadline=job.deadline,
        external_id=job.external_id, onchain=job.onchain, created_at=job.created_at, completed_at=job.completed_at,
        result=results.get(job.id), waiting=waiting.get(job.id)) for job in jobs]


def lookup_jobs(session: Session, store: BlobStore, owner: User, external_ids: list[str]) -> list[JobProgress]:
    """The owner's own jobs with these external ids, in one answer; unknown ids are left out.
    Only the owner's: an external id names a job among its owner's jobs (admins included), so
    no other user can answer for someone's external id."""
    jobs: list[Job] = []
    wanted = sorted(set(external_ids))
    for start in range(0, len(wanted), _IN_CHUNK):
        jobs += session.exec(select(Job).where(Job.owner_id == owner.id,
                                               Job.external_id.in_(wanted[start:start + _IN_CHUNK]))).all()
    groups = _vote_groups(session, [j.id for j in jobs])
    results = _results(session, [j for j in jobs if j.status == JobStatus.COMPLETED.value])
    views = []
    for job in jobs:
        counts = groups.get(job.id, {})
        votes, agreeing = sum(counts.values()), max(counts.values(), default=0)
        split = votes >= job.replication > agreeing
        digests = sorted({digest for digest, _ in counts})[:_MAX_OUTCOMES] if split or job.id in results else []
        views.append(JobProgress(uid=job.uid, external_id=job.external_id, status=job.status, error=job.error,
                                 replication=job.replication, votes=votes, agreeing=agreeing,
                                 outcomes=[_outcome(store, digest) for digest in digests], result=results.get(job.id)))
    return views


_IN_CHUNK = 500  # ids per IN (...) list: far below SQLite's limit on bound parameters
_MAX_OUTCOMES = 8  # distinct results described per job
_STDERR_SHOWN = 200  # bytes of each result's stderr


def _vote_groups(session: Session, job_ids: list[int]) -> dict[int, dict[tuple[str, str], int]]:
    """{job id: {(result digest, callback data hash): signed results for it}}, counted or not yet."""
    out: dict[int, dict[tuple[str, str], int]] = {}
    voted = [ReplicateStatus.DONE.value, ReplicateStatus.VALID.value, ReplicateStatus.INVALID.value]
    for start in range(0, len(job_ids), _IN_CHUNK):
        rows = session.exec(select(Replicate.job_id, Replicate.result_digest, Replicate.callback_data_hash, func.count())
                            .where(Replicate.job_id.in_(job_ids[start:start + _IN_CHUNK]), Replicate.status.in_(voted))
                            .group_by(Replicate.job_id, Replicate.result_digest, Replicate.callback_data_hash))
        for job_id, digest, callback_hash, count in rows:
            out.setdefault(job_id, {})[(digest, callback_hash)] = count
    return out


def _outcome(store: BlobStore, digest: str) -> ResultOutcome:
    """Exit code and first stderr bytes of a stored result archive."""
    try:
        with open(store.path(digest), "rb") as archive:
            head = archive.read(3 * 512 + _STDERR_SHOWN)
    except (OSError, GridError):
        return ResultOutcome(result_digest=digest, exit_code=None, stderr="")
    return ResultOutcome(result_digest=digest, exit_code=exit_code_of(head),
                         stderr=stderr_start(head)[:_STDERR_SHOWN].decode("utf-8", errors="replace"))


def _results(session: Session, jobs: list[Job]) -> dict[int, ResultPublic]:
    """The agreed result of each job that has one, with its signatures and dissents."""
    done = [j for j in jobs if j.result_digest]
    signed = _signed_replicates(session, [j.id for j in done])
    results = {}
    for job in done:
        reps = signed.get(job.id, [])
        results[job.id] = ResultPublic(
            result_digest=job.result_digest,
            callback_data="0x" + (job.callback_data or b"").hex(),
            callback_data_hash=job.callback_data_hash,
            signatures=[SignaturePublic(worker=a, signature=r.signature)
                        for r, a in reps if r.status == ReplicateStatus.VALID.value],
            dissents=[DissentPublic(worker=a, result_digest=r.result_digest, callback_data_hash=r.callback_data_hash,
                                    signature=r.signature)
                      for r, a in reps if r.status == ReplicateStatus.INVALID.value])
    return results


def _waiting(session: Session, pending: list[Job]) -> dict[int, str]:
    """Why each pending job waits, for those no connected worker can run."""
    if not pending:
        return {}
    offer = connected(session)
    apps = {a.id: a for a in session.exec(select(App).where(App.id.in_({j.app_id for j in pending})))}
    reasons = {app_id: why_unservable(app, offer) for app_id, app in apps.items()}
    return {j.id: reasons[j.app_id] for j in pending if reasons.get(j.app_id)}


def replicate_views(session: Session, job: Job) -> list[ReplicatePublic]:
    """Every replicate of the job as the API shows it (lifecycle.replicates_of gives the rows)."""
    rows = session.exec(select(Replicate, Worker.address).join(Worker, Worker.id == Replicate.worker_id, isouter=True)
                        .where(Replicate.job_id == job.id).order_by(Replicate.id))
    return [ReplicatePublic(**rep.model_dump(exclude={"callback_data"}), worker=address) for rep, address in rows]


def _data_uids(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {d.id: d.uid for d in session.exec(select(Data).where(Data.id.in_(ids)))}


def _signed_replicates(session: Session, job_ids: list[int]) -> dict[int, list[tuple[Replicate, str]]]:
    if not job_ids:
        return {}
    rows = session.exec(select(Replicate, Worker.address).join(Worker, Worker.id == Replicate.worker_id).where(
        Replicate.job_id.in_(job_ids),
        Replicate.status.in_([ReplicateStatus.VALID.value, ReplicateStatus.INVALID.value])).order_by(Replicate.id))
    out: dict[int, list] = {}
    for rep, address in rows:
        out.setdefault(rep.job_id, []).append((rep, address))
    return out
