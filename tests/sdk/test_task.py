"""`cumulus task show` and `claim` on a real chain, and `cumulus deploy`."""

from __future__ import annotations

from eth_utils import keccak
from web3.logs import DISCARD

from oracle.deployment import RLC_UNIT, Deployment, register_app, register_pool, transact
from oracle.hub import task_spec

from .conftest import give_rlc, key_env



def _request(chain, user, params: bytes) -> bytes:
    """A task paid from the user's allowance, with the pool's one-second deadline."""
    w3, deployment = chain.web3(), chain.deployment
    if not getattr(chain, "pool", None):
        chain.app = register_app(w3, chain.keys[1], deployment, 2 * RLC_UNIT, keccak(b"app").hex(), "app")
        chain.pool = register_pool(w3, chain.keys[2], deployment, price=3 * RLC_UNIT, oracle=chain.keys[3].address,
                                   owner_fee_bps=1_000, min_stake=RLC_UNIT, max_duration=1, callback_gas_price=0)
    hub, rlc = deployment_contracts(chain)
    spec = task_spec(chain.app, chain.pool, params=params)
    price = hub.functions.quote(spec).call()
    give_rlc(chain, user.address, 10)
    transact(w3, user, rlc.functions.approve(hub.address, price))
    receipt = transact(w3, user, hub.functions.requestTask(spec))
    return bytes(hub.events.TaskRequested().process_receipt(receipt, errors=DISCARD)[0]["args"]["taskId"])


def deployment_contracts(chain):
    from oracle.deployment import contract

    w3 = chain.web3()
    return contract(w3, "Hub", chain.deployment.hub), contract(w3, "RLC", chain.deployment.rlc)


def test_show_then_claim_after_the_deadline(cumulus, chain):
    user = chain.keys[6]
    task_id = "0x" + _request(chain, user, "--size 3 'two words'".encode()).hex()
    shown = cumulus.json("task", "show", task_id)
    assert shown["status"] == "Requested" and shown["params"] == "--size 3 'two words'"
    assert shown["request"]["requester"] == user.address and shown["settlement"] is None
    text = cumulus("task", "show", task_id).stdout
    assert f"task {task_id}: Requested" in text and "appPrice: 2 RLC" in text
    w3 = chain.web3()
    w3.provider.make_request("evm_increaseTime", [5])
    w3.provider.make_request("evm_mine", [])
    hub, rlc = deployment_contracts(chain)
    before = rlc.functions.balanceOf(user.address).call() + hub.functions.balanceOf(user.address).call()
    claimed = cumulus.json("task", "claim", task_id, env=key_env(chain.keys[7]))  # anyone may claim
    assert claimed["refund_to"] == user.address and claimed["amount_nrlc"] == 5 * RLC_UNIT
    after = rlc.functions.balanceOf(user.address).call() + hub.functions.balanceOf(user.address).call()
    assert after - before == 5 * RLC_UNIT
    settled = cumulus.json("task", "show", task_id)
    assert settled["status"] == "Claimed" and settled["settlement"]["event"] == "TaskClaimed"
    again = cumulus("task", "claim", task_id, ok=False, env=key_env(chain.keys[7]))
    assert again.output.splitlines() == [f"Error: task {task_id} is Claimed: there is nothing to claim"]


def test_unknown_and_malformed_task_ids_are_one_line(cumulus, chain):
    for text, words in [("0x1234", "is not a task id"), ("0x" + "ab" * 32, "no task 0x" + "ab" * 32)]:
        result = cumulus("task", "show", text, ok=False)
        assert result.exit_code == 1 and len(result.output.splitlines()) == 1 and words in result.output


def test_deploy_records_then_reuses(cumulus, chain, tmp_path):
    target = tmp_path / "fresh.json"
    operator = key_env(chain.keys[8])
    first = cumulus.json("deploy", "--network", "fresh", "--deployment", str(target), env=operator)
    recorded = Deployment.read(target)
    assert (first["hub"], first["reused"]) == (recorded.hub, False) and recorded.network == "fresh"
    again = cumulus.json("deploy", "--network", "fresh", "--deployment", str(target), env=operator)
    assert again["hub"] == recorded.hub and again["reused"] is True
