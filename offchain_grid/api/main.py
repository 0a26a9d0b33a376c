"""The scheduler's FastAPI application: routers, error mapping, and the lease sweeper."""

from __future__ import annotations

import asyncio
import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from ..db import make_engine, sessions_at_once, writer_lock
from ..errors import GridError
from ..models import NO_NUL, now
from ..scheduler import dashboard as grid_view
from ..scheduler import events
from ..scheduler.leases import grant_restart_grace, sweep
from ..scheduler.settings import Settings
from ..storage import BlobStore
from .deps import in_session
from .limits import MULTIPART_SLACK, RequestLimits, report_limit
from .metrics import SchedulerMetrics, TimedRoutes
from .openapi import METRICS_RESPONSE, describe_errors
from .pages import pages_router
from .public_cache import Cached, oracle_status_reader
from .routes import addresses, apps, dashboard, datas, jobs, users, worker_protocol, workers

log = logging.getLogger("xw.scheduler")
API_PREFIX = "/api/v1"


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        with app.state.db_lock, Session(app.state.engine) as session:
            renewed = grant_restart_grace(session, settings)
        if renewed:
            log.info("renewed %d running leases after start", renewed)
        stop = threading.Event()
        threads = [threading.Thread(target=_sweeper, args=(app, settings, stop), name="lease-sweeper", daemon=True)]
        if app.state.engine.dialect.name == "postgresql":  # events decided by any scheduler on the database
            threads.append(threading.Thread(target=events.listen, args=(settings.db_url, stop), name="events",
                                            daemon=True))
        for thread in threads:
            thread.start()
        yield
        stop.set()
        for thread in threads:
            thread.join(timeout=5)

    # /docs is the project's own page (pages.py): FastAPI's loads Swagger UI from a CDN
    app = FastAPI(title="cumulus grid scheduler", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Apps, data, jobs and the worker protocol of the off-chain desktop grid.")
    app.state.settings = settings
    app.state.engine = make_engine(settings.db_url)
    app.state.db_lock = writer_lock(app.state.engine)
    app.state.db_gate = asyncio.Semaphore(sessions_at_once(app.state.engine))
    app.state.store = BlobStore(settings.data_dir)
    app.state.worker_sessions = worker_protocol.KnownSessions()
    # the worker protocol first: its routes are matched on every worker request, the busiest by far
    modules = [worker_protocol, users, addresses, apps, datas, jobs, workers]
    for module in modules + ([dashboard] if settings.dashboard else []):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(pages_router(settings.dashboard))
    app.state.grid_snapshot = Cached(lambda request: in_session(request, grid_view.snapshot), ttl=1.0)
    app.state.oracle_view = Cached(oracle_status_reader(settings.oracle_status_url), ttl=2.0)
    app.add_middleware(RequestLimits, limit_for=_body_limits(settings))
    if settings.metrics:
        _serve_metrics(app)
    describe_errors(app)

    @app.exception_handler(GridError)
    async def grid_error(_request: Request, exc: GridError):
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc)})

    @app.exception_handler(DBAPIError)
    async def database_unavailable(_request: Request, exc: DBAPIError):
        # A deadlock broken by PostgreSQL, a lost connection: nothing was applied, the caller may retry.
        log.warning("database error, answered 503: %s", str(exc.orig).strip().splitlines()[0] if exc.orig else exc)
        return JSONResponse(status_code=503, content={"detail": "the database could not complete the request; retry"},
                            headers={"Retry-After": "1"})

    @app.exception_handler(PoolTimeout)
    async def database_busy(_request: Request, exc: PoolTimeout):
        log.warning("no database connection free, answered 503: %s", str(exc).splitlines()[0])
        return JSONResponse(status_code=503, content={"detail": "the database is busy; retry"},
                            headers={"Retry-After": "1"})

    @app.exception_handler(DataError)
    async def database_refused_value(_request: Request, exc: DataError):
        # Input the validation missed (an out-of-range number, a character the database cannot store).
        log.warning("database refused a value, answered 422: %s", str(exc.orig).strip().splitlines()[0])
        return JSONResponse(status_code=422, content={"detail": "invalid input: a value the database cannot store"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError):
        return JSONResponse(status_code=422, content={"detail": _one_line(exc.errors())})

    @app.get("/health", tags=["health"])
    def health():
        return {"status": "ok"}

    return app


def _serve_metrics(app: FastAPI) -> None:
    metrics = SchedulerMetrics(API_PREFIX)
    app.add_middleware(TimedRoutes, metrics=metrics)  # outermost: a refused body is timed too

    @app.get("/metrics", tags=["metrics"], response_class=PlainTextResponse, responses={200: METRICS_RESPONSE})
    async def read_metrics(request: Request):
        """Prometheus metrics: jobs by status, the queue, workers, worker request latency, the process."""
        counts = await in_session(request, lambda session: grid_view.counts(session, now()))
        body, content_type = metrics.render(counts, request.headers.get("accept"))
        return Response(body, headers={"Content-Type": content_type})


def _body_limits(settings: Settings):
    """Per route: (largest body, whether it is parsed in memory). Uploads and reports stream to disk; JSON
    does not."""
    uploads = settings.max_upload_bytes + MULTIPART_SLACK
    reports = report_limit(settings.max_result_bytes)
    upload_paths = {f"{API_PREFIX}/apps", f"{API_PREFIX}/datas"}

    def limit_for(method: str, path: str) -> tuple[int, bool]:
        if method in ("GET", "HEAD"):  # no body to parse: never queue behind a big one (nor hold the queue
            return settings.max_request_bytes, False  # for as long as the worker event stream stays open)
        if method == "POST" and path in upload_paths:
            return uploads, False
        if path == f"{API_PREFIX}/worker/reports":  # archives stream to disk (api/report_form.py)
            return reports, False
        return settings.max_request_bytes, True

    return limit_for


def _one_line(errors) -> str:
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        message = str(err.get("msg"))
        if (err.get("ctx") or {}).get("pattern") == NO_NUL:
            message = "NUL characters are not allowed"
        parts.append(f"{where}: {message}" if where else message)
    return "invalid request: " + "; ".join(parts)


def _sweeper(app: FastAPI, settings: Settings, stop: threading.Event) -> None:
    while not stop.wait(settings.reap_every):
        try:
            with app.state.db_lock, Session(app.state.engine, expire_on_commit=False) as session:
                outcome = sweep(session, settings)
            if outcome["lost"] or outcome["late"]:
                log.info("sweep: %d lost replicate(s), %d job(s) past deadline", outcome["lost"], outcome["late"])
            if outcome["counted"]:
                log.warning("sweep: %d job(s) held an uncounted quorum; completed now", outcome["counted"])
        except Exception:  # keep sweeping: a transient database error must not stop lease expiry
            log.exception("lease sweep failed")
