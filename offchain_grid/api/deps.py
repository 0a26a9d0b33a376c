"""Typed dependencies: the database session, the caller (user or worker), settings and the blob store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from ..errors import Forbidden, Unauthorized
from ..models import User, Worker
from ..scheduler.settings import Settings
from ..scheduler.users import user_by_token
from ..scheduler.workers import worker_by_session
from ..storage import BlobStore


@asynccontextmanager
async def _turn(request: Request) -> AsyncIterator[None]:
    """Requests wait for the database here, in the event loop: one at a time on SQLite, as many
    as the connection pool serves on PostgreSQL.

    Waiting in a worker thread instead (for SQLite's writer lock, or a pooled connection) let the
    waiting requests take every thread while the requests holding the database needed one more
    thread to go on: with more callers at once than threads, the scheduler stopped answering.
    """
    async with request.app.state.db_gate:
        yield


async def database_turn(request: Request) -> AsyncIterator[None]:
    async with _turn(request):
        yield


def get_session(request: Request, _turn: Annotated[None, Depends(database_turn, scope="function")]) -> Iterator[Session]:
    with request.app.state.db_lock, Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


async def in_session(request: Request, work):
    """`work(session)` in a worker thread and a session of its own, for handlers that read their body
    before using the database."""
    async with _turn(request):
        return await run_in_threadpool(_in_session, request, work)


def _in_session(request: Request, work):
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
