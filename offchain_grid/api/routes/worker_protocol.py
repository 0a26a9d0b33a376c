"""What workers call: login by key, alive signals, pull, reports, blob downloads, the event stream."""

import asyncio
import json
from collections import OrderedDict

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import ValidationError
from sqlmodel import SQLModel

from ...errors import Forbidden, TooManyRequests, Unauthorized
from ...models import AliveRequest, ChallengeRequest, PullRequest, RegisterRequest, ReportBatch, Worker
from ...scheduler import collector, events, matching, workers
from ...scheduler.workers import worker_by_session
from ...security import challenge_message, hash_token
from ...storage import normalize_checksum
from ..deps import SessionDep, SettingsDep, StoreDep, WorkerDep, bearer, in_session
from ..report_form import OPENAPI_BODY, ReportForm

router = APIRouter(prefix="/worker", tags=["worker protocol"])
KEEPALIVE_SECONDS = 15.0


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


# The calls every worker makes all the time authenticate and do their work in one thread and one
# database session: dependencies would each take a thread of their own (four hand-overs a request).

@router.post("/alive")
async def alive(body: AliveRequest, request: Request):
    """Renews the leases of the replicates the worker lists as still held."""
    def work(session):
        worker = worker_by_session(session, bearer(request))
        renewed = workers.alive(session, request.app.state.settings, worker, body.holding)
        return {"renewed": renewed, "blacklisted": worker.blacklisted, "reason": worker.blacklist_reason}

    return JSONResponse(await in_session(request, work))


@router.post("/pull")
async def pull(body: PullRequest, request: Request):
    """Up to max_jobs assignments, each a leased replicate of a different job."""
    def work(session):
        worker = worker_by_session(session, bearer(request))
        jobs = matching.pull(session, request.app.state.settings, worker, body.max_jobs, set(body.cached))
        return {"assignments": jobs, "blacklisted": worker.blacklisted, "reason": worker.blacklist_reason}

    # Plain JSON types already: skipping FastAPI's generic encoder saves a walk over every assignment.
    return JSONResponse(await in_session(request, work))


class KnownSessions:
    """Session-token hashes this scheduler already found valid, and their workers: a report's body is
    read once its token is known, without a database session of its own. The check that counts is
    made again on the worker row the report locks (a token replaced by a new login since is refused
    there, before anything is applied)."""

    def __init__(self, size: int = 4096):
        self.size, self._workers = size, OrderedDict()

    def get(self, token_hash: str) -> int | None:
        return self._workers.get(token_hash)

    def add(self, token_hash: str, worker_id: int) -> None:
        self._workers[token_hash] = worker_id
        if len(self._workers) > self.size:
            self._workers.popitem(last=False)

    def forget(self, token_hash: str) -> None:
        self._workers.pop(token_hash, None)


@router.post("/reports", openapi_extra=OPENAPI_BODY)
async def reports(request: Request):
    """Results and failures in one batch; each is accepted or rejected on its own. A batch with
    `pull` also gets the next assignments, as `/pull` would answer them.

    Multipart: the batch as JSON in the `report` part, each result's archive in the file part its
    `archive` field names. Archives stream to disk as they arrive; the database is used only to
    authenticate first (once per session token) and to count the votes at the end, in one
    transaction with the pull."""
    app = request.app
    token = bearer(request)
    token_hash, known = hash_token(token), app.state.worker_sessions
    worker_id = known.get(token_hash)
    if worker_id is None:
        worker_id = await in_session(request, lambda s: worker_by_session(s, token).id)
        known.add(token_hash, worker_id)
    form = ReportForm(app.state.store, app.state.settings.max_result_bytes)
    try:
        text = await form.read(request)
        try:
            batch = ReportBatch.model_validate_json(text)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        outcome = await in_session(request, lambda session: _report_and_pull(
            session, app.state.store, app.state.settings, worker_id, token_hash, batch, form.archives))
    except Unauthorized:
        known.forget(token_hash)
        raise
    finally:
        form.discard()
    return JSONResponse(outcome)


def _report_and_pull(session, store, settings, worker_id: int, token_hash: str, batch: ReportBatch,
                     archives) -> dict:
    """The batch applied, then (if it asks) the next assignments, in one transaction: one request and
    one commit where there were two (a failed pull leaves the report unapplied, to be sent again)."""
    outcome = collector.receive(session, store, settings, worker_id, batch, archives, session_hash=token_hash,
                                commit=batch.pull is None)
    if batch.pull is not None:
        worker = session.get(Worker, worker_id)  # loaded by the collector: no query
        outcome["assignments"] = matching.pull(session, settings, worker, batch.pull.max_jobs, set(batch.pull.cached))
        outcome["blacklisted"], outcome["reason"] = worker.blacklisted, worker.blacklist_reason
    session.commit()  # the pull commits unless it found the worker blacklisted
    return outcome


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "server-sent events, one JSON object per `data:` line"}})
async def event_stream(worker: WorkerDep):
    """Events for this worker as they happen: `{"type": "stop", "replicates": [...], "reason": ...}`
    (stop running these now) and `{"type": "work"}` (jobs became pending). Comment lines keep
    the connection alive. Pull and reports stay the authority: events only make them sooner."""
    queue = events.SUBSCRIBERS.subscribe(worker.id)
    if queue is None:
        raise TooManyRequests(f"this worker already holds {events.MAX_SUBSCRIPTIONS_PER_WORKER} event streams")
    worker_id = worker.id

    async def stream():
        try:
            yield ": subscribed\n\n"
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"data: {json.dumps(message, separators=(',', ':'))}\n\n"
        finally:
            events.SUBSCRIBERS.unsubscribe(worker_id, queue)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.get("/blobs/{checksum}")
def blob(checksum: str, session: SessionDep, store: StoreDep, worker: WorkerDep):
    checksum = normalize_checksum(checksum)
    if not matching.may_download(session, worker, checksum):
        raise Forbidden("this worker holds no job that needs that content")
    return FileResponse(store.open(checksum), media_type="application/octet-stream")
