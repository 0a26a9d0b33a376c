"""Typed dependencies: the database session, the caller (user or worker), settings and the blob store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from ..errors import Forbidden, Unauthorized
from ..models import User, Worker
from ..scheduler.settings import Settings
from ..scheduler.users import user_by_token
from ..scheduler.workers import worker_by_session
from ..storage import BlobStore


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.db_lock, Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def in_session(request: Request, work):
    """`work(session)` in a session of its own, for handlers that read their body before using the database."""
    with request.app.state.db_lock, Session(request.app.state.engine, expire_on_commit=False) as session:
        return work(session)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> BlobStore:
    return request.app.state.store


SessionDep = Annotated[Session, Depends(get_session, scope="function")]  # released before the response streams
SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[BlobStore, Depends(get_store)]


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing API token: send 'Authorization: Bearer <token>'")
    return token.strip()


def current_user(request: Request, session: SessionDep) -> User:
    return user_by_token(session, bearer(request))


def current_admin(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("this needs an admin account")
    return user


def current_worker(request: Request, session: SessionDep) -> Worker:
    return worker_by_session(session, bearer(request))


UserDep = Annotated[User, Depends(current_user)]
AdminDep = Annotated[User, Depends(current_admin)]
WorkerDep = Annotated[Worker, Depends(current_worker)]
