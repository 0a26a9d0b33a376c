"""Who may see, use and remove what: one place for the ownership rules."""

from __future__ import annotations

from ..errors import Forbidden, NotFound
from ..models import User


def may_read(user: User, owner_id: int, access: str = "private") -> bool:
    return user.is_admin or user.id == owner_id or access == "public"


def may_change(user: User, owner_id: int) -> bool:
    return user.is_admin or user.id == owner_id


def require_read(user: User, obj, what: str, ref: str):
    """The object if `user` may read it; otherwise NotFound, so private names do not leak."""
    if obj is None or not may_read(user, obj.owner_id, getattr(obj, "access", "private")):
        raise NotFound(f"{what} {ref!r} not found")
    return obj


def require_change(user: User, obj, what: str, ref: str):
    require_read(user, obj, what, ref)
    if not may_change(user, obj.owner_id):
        raise Forbidden(f"{what} {ref!r} belongs to another user")
    return obj
