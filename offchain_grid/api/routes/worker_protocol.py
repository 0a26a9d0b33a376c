"""What workers call: login by key, alive signals, pull, reports, blob downloads."""

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse
from sqlmodel import SQLModel

from ...errors import Forbidden
from ...models import AliveRequest, ChallengeRequest, PullRequest, RegisterRequest, ReportBatch
from ...scheduler import collector, matching, workers
from ...security import challenge_message
from ...storage import normalize_checksum
from ..deps import SessionDep, SettingsDep, StoreDep, WorkerDep

router = APIRouter(prefix="/worker", tags=["worker protocol"])


class ChallengeOut(SQLModel):
    nonce: str
    message: str  # sign this text as an EIP-191 personal message


class SessionOut(SQLModel):
    token: str
    worker: str
    address: str
    lease_seconds: float
    alive_interval: float


@router.post("/challenge", response_model=ChallengeOut)
def challenge(body: ChallengeRequest, session: SessionDep, settings: SettingsDep):
    nonce = workers.issue_challenge(session, settings, body.address)
    return ChallengeOut(nonce=nonce, message=challenge_message(nonce))


@router.post("/register", response_model=SessionOut)
def register(body: RegisterRequest, session: SessionDep, settings: SettingsDep):
    worker, token = workers.register(session, body)
    interval = max(0.05, min(settings.lease_seconds, settings.alive_timeout) / 3)
    return SessionOut(token=token, worker=worker.uid, address=worker.address,
                      lease_seconds=settings.lease_seconds, alive_interval=interval)


@router.post("/alive")
def alive(body: AliveRequest, session: SessionDep, settings: SettingsDep, worker: WorkerDep):
    """Renews the leases of the replicates the worker lists as still held."""
    renewed = workers.alive(session, settings, worker, body.holding)
    return JSONResponse({"renewed": renewed, "blacklisted": worker.blacklisted, "reason": worker.blacklist_reason})


@router.post("/pull")
def pull(body: PullRequest, session: SessionDep, settings: SettingsDep, worker: WorkerDep):
    """Up to max_jobs assignments, each a leased replicate of a different job."""
    jobs = matching.pull(session, settings, worker, body.max_jobs, set(body.cached))
    # Plain JSON types already: skipping FastAPI's generic encoder saves a walk over every assignment.
    return JSONResponse({"assignments": jobs, "blacklisted": worker.blacklisted, "reason": worker.blacklist_reason})


@router.post("/reports")
def reports(body: ReportBatch, session: SessionDep, store: StoreDep, settings: SettingsDep, worker: WorkerDep):
    """Results and failures in one batch; each is accepted or rejected on its own."""
    return JSONResponse(collector.receive(session, store, settings, worker, body))


@router.get("/blobs/{checksum}")
def blob(checksum: str, session: SessionDep, store: StoreDep, worker: WorkerDep):
    checksum = normalize_checksum(checksum)
    if not matching.may_download(session, worker, checksum):
        raise Forbidden("this worker holds no job that needs that content")
    return FileResponse(store.open(checksum), media_type="application/octet-stream")
