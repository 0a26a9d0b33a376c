"""Building requests and worker contributions the way the oracle and the workers do."""

from brownie import chain
from eth_abi import encode

from offchain_grid.contribution import callback_data_hash, hub_domain, sign_contribution
from oracle.hub import REQUEST_FIELDS, SPEC_FIELDS
from oracle.hub import compact_signature as compact  # the oracle's own conversion to (r, vs)

ZERO = "0x" + "00" * 20
SPEC_TYPE = "(uint64,uint64,uint64,uint8,uint64,uint32,uint32,uint64,uint64,address,address,bytes)"
assert len(SPEC_FIELDS) == SPEC_TYPE.count(",") + 1


def spec(app, pool, dataset=0, trust=1, min_stake=0, min_score=0, callback_gas=100_000, duration=0,
         max_price=10**18, callback=ZERO, refund_to=ZERO, params=b"abc 12"):
    return (app, dataset, pool, trust, min_stake, min_score, callback_gas, duration, max_price, callback, refund_to,
            params)


def encode_spec(task_spec):
    return encode([SPEC_TYPE], [task_spec])


def field(request, name):
    """One field of a TaskRequest tuple, by its name in the ABI."""
    return request[REQUEST_FIELDS.index(name)]


def with_field(request, name, value):
    """A copy of a TaskRequest tuple with one field changed (a forged request)."""
    values = list(request)
    values[REQUEST_FIELDS.index(name)] = value
    return tuple(values)


def request_of(tx):
    """The TaskRequest tuple from a TaskRequested event, as finalize and claim take it back."""
    return tuple(tx.events["TaskRequested"]["request"])


def task_id_of(tx):
    return tx.events["TaskRequested"]["taskId"]


def contribute(hub, worker, task_id, digest, callback_data=b""):
    """A worker's EIP-712 contribution as the Hub takes it: an EIP-2098 (r, vs) pair."""
    domain = hub_domain(chain.id, hub.address)
    return compact(sign_contribution(worker.private_key, domain, task_id, digest, callback_data_hash(callback_data)))


DIGEST = b"\xd1" * 32
OTHER_DIGEST = b"\xd2" * 32


def err(name, *args):
    """A custom error as brownie decodes it: "Name: arg, arg" (addresses lowercase, bytes raw)."""
    if not args:
        return name + ": "
    return f"{name}: " + ", ".join(_shown(arg) for arg in args)


def _shown(arg):
    if hasattr(arg, "address"):
        arg = arg.address
    if isinstance(arg, str) and arg.startswith("0x") and len(arg) == 42:
        return arg.lower()
    if isinstance(arg, (bytes, bytearray)):
        return str(bytes(arg))
    return str(arg)


def price_of(request):
    """What the requester paid: appPrice + datasetPrice + workerPay + poolFee."""
    return sum(field(request, name) for name in ("appPrice", "datasetPrice", "workerPay", "poolFee"))


def request_task(hub, rlc, requester, task_spec):
    """Approve the Hub for the task's price and request it; returns the transaction."""
    rlc.approve(hub, hub.quote(task_spec), {"from": requester})
    return hub.requestTask(task_spec, {"from": requester})


def signatures(hub, signers, task_id, digest=DIGEST, callback_data=b""):
    """Contributions of `signers`, in the ascending signer order the Hub requires."""
    ordered = sorted(signers, key=lambda w: int(w.address, 16))
    return [contribute(hub, w, task_id, digest, callback_data) for w in ordered]


def finalize(hub, oracle, request, signers, digest=DIGEST, callback_data=b"", dissents=(), tx=None):
    task_id = hub.taskIdOf(request)
    sigs = signatures(hub, signers, task_id, digest, callback_data)
    return hub.finalize(request, digest, callback_data, sigs, list(dissents), {"from": oracle, **(tx or {})})


def dissent(hub, worker, task_id, digest=OTHER_DIGEST, callback_data=b""):
    """A worker's signed contribution to another result, as finalize takes it."""
    return (digest, callback_data_hash(callback_data), contribute(hub, worker, task_id, digest, callback_data))


def dissents(hub, workers, task_id, digest=OTHER_DIGEST, callback_data=b""):
    """Contributions of `workers` to another result, in ascending signer order."""
    ordered = sorted(workers, key=lambda w: int(w.address, 16))
    return [dissent(hub, w, task_id, digest, callback_data) for w in ordered]


def open_task(hub, rlc, requester, app, pool, **spec_fields):
    """Request a task (approve + requestTask) and return its TaskRequest tuple."""
    return request_of(request_task(hub, rlc, requester, spec(app, pool, **spec_fields)))


def skipped(tx):
    """(worker, reason) of each ContributionSkipped event of a transaction."""
    return [(e["worker"], e["reason"]) for e in tx.events["ContributionSkipped"]] if "ContributionSkipped" in tx.events else []


def owed(hub, accounts, open_requests=()):
    """What the Hub owes the given accounts (balances, earnings, stakes) and the open tasks."""
    return (sum(hub.balanceOf(a) + hub.s_workers(a)[1] for a in set(accounts))
            + sum(price_of(r) for r in open_requests))
