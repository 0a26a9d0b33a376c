"""An existing account binds the Ethereum address it holds, proven by signing a challenge (an
account obtained by signup is bound from the start): the address shows as the owner address of
its apps and data, against which the oracle checks an on-chain app's or dataset's owner."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..errors import Conflict, NotFound
from ..models import AddressProof, User
from ..security import ADDRESS_PROOF
from . import challenges


def prove(session: Session, *, user: User, proof: AddressProof) -> User:
    """Binds `proof.address` to `user` once its key signed the challenge (replacing a former one)."""
    address = challenges.verify(session, proof.address, proof.nonce, proof.signature, ADDRESS_PROOF)
    taken = session.exec(select(User).where(User.address == address)).first()
    if taken is not None and taken.id != user.id:
        raise Conflict(f"{address} is already bound to another account")
    user.address = address
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # another account bound the same address at the same moment
        session.rollback()
        raise Conflict(f"{address} is already bound to another account") from None
    session.refresh(user)
    return user


def address_of(user: User) -> str:
    if user.address is None:
        raise NotFound("no address bound yet: POST /users/me/address/challenge, sign its message, PUT the proof")
    return user.address


def owner_addresses(session: Session, user_ids: set[int]) -> dict[int, str]:
    """The bound addresses of these users (those who have one)."""
    if not user_ids:
        return {}
    rows = session.exec(select(User.id, User.address).where(col(User.id).in_(user_ids), col(User.address).is_not(None)))
    return dict(rows.all())
