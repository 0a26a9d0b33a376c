"""An existing account binds the Ethereum address it holds: ask a challenge, sign it, send the proof."""

from fastapi import APIRouter
from sqlmodel import SQLModel

from ...models import AddressProof, AddressPublic, ChallengeRequest
from ...scheduler import addresses, challenges
from ...security import ADDRESS_PROOF, challenge_message
from ..deps import SessionDep, SettingsDep, UserDep

router = APIRouter(prefix="/users/me/address", tags=["users"])


class AddressChallenge(SQLModel):
    nonce: str
    message: str  # sign this text as an EIP-191 personal message with the address's key


@router.post("/challenge", response_model=AddressChallenge)
def challenge(body: ChallengeRequest, session: SessionDep, settings: SettingsDep, _user: UserDep):
    nonce = challenges.issue(session, settings, body.address)
    return AddressChallenge(nonce=nonce, message=challenge_message(nonce, ADDRESS_PROOF))


@router.put("", response_model=AddressPublic)
def prove(body: AddressProof, session: SessionDep, user: UserDep):
    """Binds the address once its key signed the challenge: it becomes the owner address of your apps and data."""
    return AddressPublic(address=addresses.prove(session, user=user, proof=body).address)


@router.get("", response_model=AddressPublic)
def read(user: UserDep):
    return AddressPublic(address=addresses.address_of(user))
