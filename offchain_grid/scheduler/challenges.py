"""Proof that a caller holds an Ethereum key: it signs (EIP-191) a one-time nonce the scheduler
gave it for that address. Workers log in this way, and grid users obtain their account.

The signed text names what the proof is for (`challenge_message(nonce, purpose)`), so a
signature given to log a worker in cannot open a user account, nor the other way round; and a
nonce is used once, whatever the outcome.
"""

from __future__ import annotations

import secrets

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import to_checksum_address
from sqlmodel import Session, select

from ..errors import Unauthorized
from ..models import Challenge, now
from ..security import challenge_message
from .settings import Settings


def issue(session: Session, settings: Settings, address: str) -> str:
    """A new nonce for `address`, valid for `settings.challenge_seconds`."""
    nonce = secrets.token_hex(16)
    session.add(Challenge(nonce=nonce, address=to_checksum_address(address),
                          expires_at=now() + settings.challenge_seconds))
    session.commit()
    return nonce


def verify(session: Session, address: str, nonce: str, signature: str, purpose: str) -> str:
    """The checksummed `address`, once its key is shown to have signed the nonce for `purpose`.
    The nonce is spent either way."""
    address = to_checksum_address(address)
    challenge = session.exec(select(Challenge).where(Challenge.nonce == nonce)).first()
    if challenge is None or challenge.address != address or challenge.expires_at < now():
        raise Unauthorized("unknown or expired challenge; ask for a new one")
    session.delete(challenge)
    session.commit()
    try:
        signer = Account.recover_message(encode_defunct(text=challenge_message(nonce, purpose)), signature=signature)
    except Exception:  # malformed signatures raise assorted errors from the crypto backends
        signer = None
    if signer != address:
        raise Unauthorized(f"the signature is not {address}'s over the {purpose} challenge")
    return address
