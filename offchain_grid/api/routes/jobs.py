from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse

from ...errors import NotFound
from ...models import JobBatchCreate, JobCreate, JobLookup, JobProgress, JobPublic, JobRef, ReplicatePublic
from ...scheduler import jobs
from ..deps import SessionDep, StoreDep, UserDep

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("", response_model=JobPublic, status_code=201)
def submit_job(body: JobCreate, session: SessionDep, user: UserDep, response: Response):
    """Submit one job; 200 with the existing job if this owner already used the external_id."""
    [ref] = jobs.submit_jobs(session, user, [body])
    if not ref.created:
        response.status_code = 200
    return jobs.job_public(session, [jobs.find_job(session, user, ref.uid)])[0]


@router.post("/batch", response_model=list[JobRef], status_code=201)
def submit_batch(body: JobBatchCreate, session: SessionDep, user: UserDep):
    """Submit many jobs in one request and one transaction (all or nothing); a reference per job."""
    return jobs.submit_jobs(session, user, body.jobs)


@router.post("/lookup", response_model=list[JobProgress])
def lookup_jobs(body: JobLookup, session: SessionDep, store: StoreDep, user: UserDep):
    """Your jobs with these external ids, as one follows many at once: status, votes, and the
    agreed result once completed. Ids you never used are left out of the answer."""
    return jobs.lookup_jobs(session, store, user, body.external_ids)


@router.get("", response_model=list[JobPublic])
def list_jobs(session: SessionDep, user: UserDep, status: Annotated[str | None, Query(max_length=16)] = None,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
              offset: Annotated[int, Query(ge=0, le=2**53)] = 0):
    """Your jobs (all of them for an admin), oldest first, `limit` at a time from `offset`."""
    return jobs.job_public(session, jobs.list_jobs(session, user, status, limit, offset))


@router.get("/counts", response_model=dict[str, int])
def count_jobs(session: SessionDep, user: UserDep):
    """How many of your jobs are in each status (cheap enough to poll)."""
    return jobs.count_by_status(session, user)


@router.get("/{uid}", response_model=JobPublic)
def read_job(uid: str, session: SessionDep, user: UserDep):
    return jobs.job_public(session, [jobs.find_job(session, user, uid)])[0]


@router.get("/{uid}/replicates", response_model=list[ReplicatePublic])
def read_replicates(uid: str, session: SessionDep, user: UserDep):
    """Every copy handed out for this job, with its worker, vote and fate."""
    return jobs.replicate_views(session, jobs.find_job(session, user, uid))


@router.post("/{uid}/abort", response_model=JobPublic)
def abort_job(uid: str, session: SessionDep, user: UserDep):
    return jobs.job_public(session, [jobs.abort_job(session, user, uid)])[0]


@router.get("/{uid}/result")
def download_result(uid: str, session: SessionDep, store: StoreDep, user: UserDep):
    """The agreed result archive (an uncompressed tar)."""
    job = jobs.find_job(session, user, uid)
    if not job.result_digest:
        raise NotFound(f"job {uid!r} has no result yet (status {job.status})")
    return FileResponse(store.open(job.result_digest), media_type="application/x-tar", filename=f"{uid}.tar")
