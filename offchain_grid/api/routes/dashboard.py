"""The public, read-only view of the grid (no token): what the dashboard page polls, and one job's
progress by uid for an on-chain task's front end. Nothing here names a job's owner, arguments,
input, output or external id, nor a private app."""

from fastapi import APIRouter, Request

from ...public import Dashboard, PublicJob
from ...scheduler import dashboard
from ..deps import SessionDep

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("", response_model=Dashboard)
async def read_dashboard(request: Request):
    """Workers, job counts, throughput per minute, recent jobs, public apps, and the pool's on-chain
    tasks when an oracle runs beside the grid. Computed at most once a second for all callers."""
    state = request.app.state
    grid = await state.grid_snapshot.get(request)
    oracle = await state.oracle_view.get()
    return {**grid.model_dump(), "oracle": oracle.model_dump()}


@router.get("/jobs/{uid}", response_model=PublicJob)
def read_public_job(uid: str, session: SessionDep):
    """One job's status and replicas, for whoever knows its uid."""
    return dashboard.public_job(session, uid)
