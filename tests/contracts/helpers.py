"""Building requests and worker contributions the way the oracle and the workers do."""

from brownie import chain
from eth_abi import encode

from offchain_grid.contribution import callback_data_hash, hub_domain, sign_contribution

ZERO = "0x" + "00" * 20
SPEC_TYPE = "(uint64,uint64,uint64,uint8,uint32,uint64,uint64,address,address,bytes)"


def spec(app, pool, dataset=0, trust=1, callback_gas=100_000, duration=0, max_price=10**18,
         callback=ZERO, refund_to=ZERO, params=b"abc 12"):
    return (app, dataset, pool, trust, callback_gas, duration, max_price, callback, refund_to, params)


def encode_spec(task_spec):
    return encode([SPEC_TYPE], [task_spec])


def request_of(tx):
    """The TaskRequest tuple from a TaskRequested event, as finalize and claim take it back."""
    return tuple(tx.events["TaskRequested"]["request"])


def task_id_of(tx):
    return tx.events["TaskRequested"]["taskId"]


def contribute(hub, worker, task_id, digest, callback_data=b""):
    """A worker's EIP-712 contribution as the Hub takes it: an EIP-2098 (r, vs) pair."""
    domain = hub_domain(chain.id, hub.address)
    return compact(sign_contribution(worker.private_key, domain, task_id, digest, callback_data_hash(callback_data)))


def compact(signature: bytes):
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    vs = s | ((v - 27) << 255)
    return (r, vs.to_bytes(32, "big"))
