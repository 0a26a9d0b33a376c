"""A grid account by proving an Ethereum key: the scheduler's challenge, signed (as workers log in)."""

from __future__ import annotations

import requests
from eth_account import Account
from eth_account.messages import encode_defunct

from offchain_grid.client import ClientError, GridClient
from offchain_grid.security import challenge_message

KEY = Account.from_key(b"\x42" * 32)
OTHER = Account.from_key(b"\x43" * 32)


def _signed(url: str, account, purpose: str, signer=None) -> dict:
    nonce = requests.post(f"{url}/api/v1/users/challenge", json={"address": account.address}, timeout=10).json()["nonce"]
    message = encode_defunct(text=challenge_message(nonce, purpose))
    signature = Account.sign_message(message, (signer or account).key).signature
    return {"address": account.address, "nonce": nonce, "signature": "0x" + bytes(signature).hex()}


def test_signup_binds_an_account_to_the_proven_address(grid, db_url):
    scheduler = grid.start(db_url, lease=10.0, alive=10.0)
    user = GridClient(scheduler.url, None).sign_up(KEY)
    assert user["name"] == KEY.address and user["address"] == KEY.address and not user["is_admin"]
    me = GridClient(scheduler.url, user["token"]).get("/users/me")
    assert me["address"] == KEY.address and me["uid"] == user["uid"]
    again = GridClient(scheduler.url, None).sign_up(KEY)  # the same account, a new token
    assert again["uid"] == user["uid"] and again["token"] != user["token"]
    try:
        GridClient(scheduler.url, user["token"]).get("/users/me")
        raise AssertionError("the replaced token still works")
    except ClientError as exc:
        assert exc.status == 401


def test_only_the_keys_own_signature_over_a_signup_challenge_counts(grid, sqlite_url):
    scheduler = grid.start(sqlite_url, lease=10.0, alive=10.0)
    url = f"{scheduler.url}/api/v1/users/signup"
    for body, words in [
        (_signed(scheduler.url, KEY, "worker login"), "not 0x"),  # a worker login signature is no signup
        (_signed(scheduler.url, KEY, "grid account", signer=OTHER), "not 0x"),  # someone else's signature
    ]:
        response = requests.post(url, json=body, timeout=10)
        assert response.status_code == 401 and words in response.json()["detail"], response.text
    good = _signed(scheduler.url, KEY, "grid account")
    assert requests.post(url, json=good, timeout=10).status_code == 200
    replay = requests.post(url, json=good, timeout=10)  # a nonce is used once
    assert replay.status_code == 401 and "unknown or expired challenge" in replay.json()["detail"]
    stolen = {**_signed(scheduler.url, KEY, "grid account"), "address": OTHER.address}
    assert requests.post(url, json=stolen, timeout=10).status_code == 401


def test_a_scheduler_without_signup_refuses_in_one_line(grid, sqlite_url):
    scheduler = grid.start(sqlite_url, lease=10.0, alive=10.0, extra=("--no-signup",))
    try:
        GridClient(scheduler.url, None).sign_up(KEY)
        raise AssertionError("signed up on a scheduler without signup")
    except ClientError as exc:
        assert exc.status == 403 and str(exc) == "403: this scheduler gives accounts only through its admins"
