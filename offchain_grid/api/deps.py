"""Typed dependencies: the database session, the caller (user or worker), settings and the blob store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from ..errors import Forbidden, TooLarge, Unauthorized
from ..models import User, Worker
from ..scheduler.settings import Settings
from ..scheduler.users import user_by_token
from ..scheduler.workers import worker_by_session
from ..storage import BlobStore


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.db_lock, Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> BlobStore:
    return request.app.state.store


SessionDep = Annotated[Session, Depends(get_session, scope="function")]  # released before the response streams
SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[BlobStore, Depends(get_store)]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing API token: send 'Authorization: Bearer <token>'")
    return token.strip()


def current_user(request: Request, session: SessionDep) -> User:
    return user_by_token(session, _bearer(request))


def current_admin(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("this needs an admin account")
    return user


def current_worker(request: Request, session: SessionDep) -> Worker:
    return worker_by_session(session, _bearer(request))


def upload_limit(request: Request, settings: SettingsDep) -> None:
    """Refuse an oversized upload from its Content-Length before reading the body."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes + 64 * 1024:
        raise TooLarge(f"upload exceeds the limit of {settings.max_upload_bytes} bytes")


def report_limit(request: Request, settings: SettingsDep) -> None:
    """A report batch may carry results of up to twice the archive limit (base64 adds a third)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > 2 * settings.max_result_bytes:
        raise TooLarge(f"report exceeds {2 * settings.max_result_bytes} bytes; send fewer results per batch")


UserDep = Annotated[User, Depends(current_user)]
AdminDep = Annotated[User, Depends(current_admin)]
WorkerDep = Annotated[Worker, Depends(current_worker)]
