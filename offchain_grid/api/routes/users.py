from fastapi import APIRouter
from sqlmodel import SQLModel

from ...models import UserPublic
from ...scheduler import users
from ..deps import AdminDep, SessionDep, UserDep

router = APIRouter(prefix="/users", tags=["users"])


class UserCreate(SQLModel):
    name: str
    is_admin: bool = False


class UserCreated(UserPublic):
    token: str  # shown once


@router.get("/me", response_model=UserPublic)
def read_me(user: UserDep):
    return user


@router.post("", response_model=UserCreated, status_code=201)
def create_user(body: UserCreate, session: SessionDep, _admin: AdminDep):
    """Admins create accounts; the token is returned once and stored hashed."""
    user, token = users.create_user(session, name=body.name, is_admin=body.is_admin)
    return UserCreated(uid=user.uid, name=user.name, is_admin=user.is_admin, token=token)
