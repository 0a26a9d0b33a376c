"""An existing account binds the Ethereum address it holds by signing a challenge; its apps and
data show it as their owner address. Signatures made for something else, or by another key,
prove nothing."""

import os
import subprocess
import sys

import pytest
import requests
from eth_account import Account
from eth_account.messages import encode_defunct
from sqlmodel import Session

from offchain_grid.client import ClientError, GridClient
from offchain_grid.db import make_engine
from offchain_grid.scheduler.users import create_user
from offchain_grid.security import ADDRESS_PROOF, WORKER_LOGIN, challenge_message

from .conftest import make_users
from .procs import BOB_TOKEN, TOKEN, Scheduler

ALICE_KEY = Account.from_key("0x" + "a1" * 32)
BOB_KEY = Account.from_key("0x" + "b0" * 32)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("addresses")
    db_url = f"sqlite:///{tmp / 'scheduler.db'}"
    make_users(db_url)
    scheduler = Scheduler(tmp, db_url).start()
    yield scheduler, GridClient(scheduler.url, TOKEN), GridClient(scheduler.url, BOB_TOKEN)
    scheduler.stop()


def _proof(client, account, message_of=lambda nonce: challenge_message(nonce, ADDRESS_PROOF), signer=None):
    nonce = client.post("/users/me/address/challenge", {"address": account.address})["nonce"]
    signature = Account.sign_message(encode_defunct(text=message_of(nonce)), (signer or account).key).signature
    return {"address": account.address, "nonce": nonce, "signature": "0x" + bytes(signature).hex()}


def _put(client, proof):
    return client.request("PUT", "/users/me/address", json=proof).json()


def test_proven_address_is_the_owner_address_of_apps_and_data(served, tmp_path):
    _, alice, _ = served
    assert alice.prove_address(ALICE_KEY)["address"] == ALICE_KEY.address
    assert alice.get("/users/me/address")["address"] == ALICE_KEY.address
    alice.send_app("ls-owned", "x86_64", "linux", "/bin/ls")
    assert alice.get("/apps/ls-owned")["owner_address"] == ALICE_KEY.address
    path = tmp_path / "numbers.txt"
    path.write_text("1 2 3")
    data = alice.send_data(str(path))
    assert alice.get(f"/datas/{data['uid']}")["owner_address"] == ALICE_KEY.address


def test_app_of_a_user_without_a_proven_address_has_none(served):
    _, _, bob = served
    bob.send_app("ls-bob", "x86_64", "linux", "/bin/ls")
    assert bob.get("/apps/ls-bob")["owner_address"] is None
    with pytest.raises(ClientError) as refused:
        bob.get("/users/me/address")
    assert refused.value.status == 404


def test_signature_by_another_key_proves_nothing(served):
    _, _, bob = served
    with pytest.raises(ClientError) as refused:
        _put(bob, _proof(bob, ALICE_KEY, signer=BOB_KEY))  # claims alice's address, signs with its own
    assert refused.value.status == 401


def test_worker_login_signature_cannot_prove_an_address(served):
    _, _, bob = served
    with pytest.raises(ClientError) as refused:
        _put(bob, _proof(bob, BOB_KEY, message_of=lambda nonce: challenge_message(nonce, WORKER_LOGIN)))
    assert refused.value.status == 401


def test_challenge_is_used_once(served):
    _, _, bob = served
    proof = _proof(bob, BOB_KEY)
    assert _put(bob, proof)["address"] == BOB_KEY.address
    with pytest.raises(ClientError) as refused:
        _put(bob, proof)
    assert refused.value.status == 401


def test_address_proven_by_another_user_is_refused(served):
    _, alice, bob = served
    alice.prove_address(ALICE_KEY)
    with pytest.raises(ClientError) as refused:
        bob.prove_address(ALICE_KEY)
    assert refused.value.status == 409
    assert alice.get("/users/me/address")["address"] == ALICE_KEY.address


def test_malformed_proof_is_one_clear_error(served):
    scheduler, _, _ = served
    response = requests.put(scheduler.url + "/api/v1/users/me/address", headers={"Authorization": f"Bearer {TOKEN}"},
                            json={"address": "0x12", "nonce": "x", "signature": "0x00"}, timeout=30)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("invalid request")


def test_proof_needs_an_account(served):
    scheduler, _, _ = served
    response = requests.post(scheduler.url + "/api/v1/users/me/address/challenge",
                             json={"address": BOB_KEY.address}, timeout=30)
    assert response.status_code == 401


def test_xw_prove_address(served, tmp_path):
    scheduler, _, _ = served
    key_file = tmp_path / "eth.key"
    carol = Account.from_key("0x" + "c4" * 32)
    key_file.write_text("0x" + bytes(carol.key).hex())
    engine = make_engine(scheduler.db_url)
    with Session(engine) as session:
        create_user(session, name="carol", token="carol-token-0123456789")
    engine.dispose()
    done = subprocess.run([sys.executable, "-m", "offchain_grid.cli", "prove-address", "--private-key-file", str(key_file),
                           "--server", scheduler.url, "--token", "carol-token-0123456789"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == carol.address
    missing = subprocess.run([sys.executable, "-m", "offchain_grid.cli", "prove-address", "--server", scheduler.url,
                              "--token", "carol-token-0123456789"], capture_output=True, text=True, timeout=60,
                             env={k: v for k, v in os.environ.items() if k != "XW_PRIVATE_KEY"})
    assert missing.returncode != 0
    assert "XW_PRIVATE_KEY" in missing.stderr and "Traceback" not in missing.stderr
