"""API and session tokens: random, shown once, stored only as a sha256 hash."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random strings, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


WORKER_LOGIN = "worker login"
USER_SIGNUP = "grid account"
ADDRESS_PROOF = "address proof"  # an existing account binds the address it holds


def challenge_message(nonce: str, purpose: str = WORKER_LOGIN) -> str:
    """Text a key holder signs (EIP-191 personal message) to prove it holds the key, for `purpose`."""
    return f"cumulus {purpose}: {nonce}"
