from fastapi import APIRouter
from sqlmodel import Field, SQLModel

from ...errors import Forbidden
from ...models import ChallengeRequest, SignupRequest, Text, UserPublic
from ...scheduler import challenges, users
from ...security import USER_SIGNUP, challenge_message
from ..deps import AdminDep, SessionDep, SettingsDep, UserDep

router = APIRouter(prefix="/users", tags=["users"])


class UserCreate(SQLModel):
    name: Text = Field(min_length=1, max_length=64)
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


class SignupChallenge(SQLModel):
    nonce: str
    message: str  # sign this text as an EIP-191 personal message


@router.post("/challenge", response_model=SignupChallenge)
def signup_challenge(body: ChallengeRequest, session: SessionDep, settings: SettingsDep):
    """A one-time text for the holder of `address` to sign, proving its key to get an account."""
    if not settings.open_signup:
        raise Forbidden("this scheduler gives accounts only through its admins")
    nonce = challenges.issue(session, settings, body.address)
    return SignupChallenge(nonce=nonce, message=challenge_message(nonce, USER_SIGNUP))


@router.post("/signup", response_model=UserCreated)
def sign_up(body: SignupRequest, session: SessionDep, settings: SettingsDep):
    """The account bound to a proven address, with a new token (returned once; the last one stops working)."""
    if not settings.open_signup:
        raise Forbidden("this scheduler gives accounts only through its admins")
    address = challenges.verify(session, body.address, body.nonce, body.signature, USER_SIGNUP)
    user, token = users.sign_up(session, address)
    return UserCreated(uid=user.uid, name=user.name, is_admin=user.is_admin, address=user.address, token=token)
