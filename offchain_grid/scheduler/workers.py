"""Worker login by Ethereum key (challenge, signature, session token) and alive signals."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from ..errors import Unauthorized
from ..models import RegisterRequest, Replicate, Worker, now
from ..platform import normalize_arch, normalize_os
from ..security import WORKER_LOGIN, hash_token, new_token
from ..statuses import ReplicateStatus
from . import challenges
from .leases import release_on_login
from .settings import Settings


def issue_challenge(session: Session, settings: Settings, address: str) -> str:
    return challenges.issue(session, settings, address)


def register(session: Session, req: RegisterRequest) -> tuple[Worker, str]:
    """Check the signed challenge (used once) and open a session; returns the worker and its token."""
    address = challenges.verify(session, req.address, req.nonce, req.signature, WORKER_LOGIN)
    try:
        arch, os_name = normalize_arch(req.arch), normalize_os(req.os)
    except ValueError as exc:
        raise Unauthorized(str(exc)) from None
    worker = session.exec(select(Worker).where(Worker.address == address)).first() or Worker(address=address)
    token = new_token()
    worker.session_hash = hash_token(token)
    worker.arch, worker.os = arch, os_name
    worker.shared_apps = sorted(set(req.shared_apps))
    worker.slots, worker.hostname = req.slots, req.hostname
    worker.last_alive, worker.status = now(), "ALIVE"
    session.add(worker)
    session.commit()
    session.refresh(worker)
    if req.holding is not None:
        release_on_login(session, worker, req.holding)
    return worker, token


_BY_SESSION = select(Worker).where(Worker.session_hash == bindparam("session_hash"))  # built once: every
# worker request runs it


def worker_by_session(session: Session, token: str) -> Worker:
    worker = session.exec(_BY_SESSION, params={"session_hash": hash_token(token)}).first()
    if worker is None:
        raise Unauthorized("invalid worker session; log in again")
    return worker


def alive(session: Session, settings: Settings, worker: Worker, holding: list[str]) -> int:
    """Record the signal and renew the leases the worker says it holds; returns how many were renewed.

    Only the named ones: a replicate whose assignment never reached the worker (the pull answer
    was lost in a scheduler crash) must expire and go to someone else.
    """
    worker.last_alive, worker.status = now(), "ALIVE"
    session.add(worker)
    renewed = 0
    if holding:
        renewed = session.exec(update(Replicate).where(
            Replicate.worker_id == worker.id, Replicate.status == ReplicateStatus.RUNNING.value,
            Replicate.uid.in_(holding)).values(lease_expires=now() + settings.lease_seconds)).rowcount
    session.commit()
    return renewed


def list_workers(session: Session) -> list[Worker]:
    return list(session.exec(select(Worker).order_by(Worker.id)))
