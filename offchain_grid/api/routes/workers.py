from fastapi import APIRouter

from ...models import WorkerPublic
from ...scheduler import workers
from ..deps import SessionDep, UserDep

router = APIRouter(prefix="/workers", tags=["workers"])


@router.get("", response_model=list[WorkerPublic])
def list_workers(session: SessionDep, _user: UserDep):
    return workers.list_workers(session)
