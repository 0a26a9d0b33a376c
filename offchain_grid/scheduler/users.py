"""User accounts and their API tokens."""

from __future__ import annotations

from sqlmodel import Session, select

from ..errors import Conflict, InvalidInput, Unauthorized
from ..models import User
from ..security import hash_token, new_token


def create_user(session: Session, *, name: str, is_admin: bool = False, token: str | None = None,
                exist_ok: bool = False) -> tuple[User, str]:
    """New user and its API token (returned once: only its hash is stored). With `exist_ok`, a
    user of that name is kept and given the token (and admin rights if asked): run twice with
    the same token, it leaves the same account, as a service that restarts needs."""
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("user name must be 1 to 64 characters")
    if token is not None and len(token) < 16:
        raise InvalidInput("a chosen token must be at least 16 characters long")
    user = session.exec(select(User).where(User.name == name)).first()
    if user is not None and not exist_ok:
        raise Conflict(f"user {name!r} already exists")
    token = token or new_token()
    holder = session.exec(select(User).where(User.token_hash == hash_token(token))).first()
    if holder is not None and holder is not user:
        raise Conflict("that token is already in use")
    user = user or User(name=name)
    user.is_admin, user.token_hash = user.is_admin or is_admin, hash_token(token)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user, token


def sign_up(session: Session, address: str) -> tuple[User, str]:
    """The account of a proven Ethereum address (created the first time, named after it) and a
    new API token for it; the previous token stops working."""
    user = session.exec(select(User).where(User.address == address)).first()
    if user is None:
        if session.exec(select(User).where(User.name == address)).first():
            raise Conflict(f"user name {address!r} is taken by an account not bound to that address")
        user = User(name=address, address=address, token_hash="")
    token = new_token()
    user.token_hash = hash_token(token)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user, token


def user_by_token(session: Session, token: str) -> User:
    user = session.exec(select(User).where(User.token_hash == hash_token(token))).first()
    if user is None:
        raise Unauthorized("invalid API token")
    return user


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.name for u in session.exec(select(User).where(User.id.in_(ids)))}
