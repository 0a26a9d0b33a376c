"""Chain reads in bulk: many calls in one JSON-RPC batch (one HTTP request per `CHUNK`), so that a
step of the oracle costs a few requests whatever the number of tasks in flight."""

from __future__ import annotations

from web3 import Web3
from web3.contract import Contract

from offchain_grid.contribution import to_bytes32

from .decisions import WorkerRecord
from .encoded import EncodedCall
from .hub import TASK_STATUS

CHUNK = 500  # calls per batch request


def batched(w3: Web3, calls: list) -> list:
    """The results of `calls` (EncodedCall reads, or web3 requests deferred with _Deferred), in order."""
    results = []
    for start in range(0, len(calls), CHUNK):
        chunk = calls[start:start + CHUNK]
        with w3.batch_requests() as batch:
            for call in chunk:
                batch.add(call() if isinstance(call, _Deferred) else w3.eth.call(call.request()))
            answers = batch.execute()
        results += [a if isinstance(c, _Deferred) else c.decode(a) for c, a in zip(chunk, answers)]
    return results


class _Deferred:
    """A web3 request made only inside a batch (outside, web3 would send it at once)."""

    def __init__(self, method, *args):
        self.method, self.args = method, args

    def __call__(self):
        return self.method(*self.args)


def block_hashes(w3: Web3, numbers, head: int | None = None) -> dict[int, str | None]:
    """{number: the canonical block's 0x-hash, None above the head (read now unless given)}."""
    return {n: link and link[0] for n, link in block_links(w3, numbers, head).items()}


def block_links(w3: Web3, numbers, head: int | None = None) -> dict[int, tuple[str, str] | None]:
    """{number: (the canonical block's 0x-hash, its parent's), None above the head (read now unless given)}."""
    numbers = sorted(set(numbers))
    head = w3.eth.block_number if head is None else head
    below = [n for n in numbers if n <= head]
    blocks = batched(w3, [_Deferred(w3.eth.get_block, n) for n in below]) if below else []
    links = {n: (_hex(b["hash"]), _hex(b["parentHash"])) for n, b in zip(below, blocks)}
    return {n: links.get(n) for n in numbers}


def _hex(value) -> str:
    return "0x" + bytes(value).hex().removeprefix("0x")


def task_statuses(hub: Contract, task_ids: list[str]) -> dict[str, str]:
    """{task id: its TASK_STATUS name on chain}."""
    calls = [EncodedCall(hub, "taskStatus", (to_bytes32(t),)) for t in task_ids]
    return {t: TASK_STATUS[s] for t, s in zip(task_ids, batched(hub.w3, calls))}


def worker_records(hub: Contract, addresses) -> dict[str, WorkerRecord]:
    """{lower-case address: its membership record}."""
    addresses = sorted({a.lower() for a in addresses})
    calls = [EncodedCall(hub, "s_workers", (a,)) for a in addresses]
    records = {}
    for address, (pool, stake, _earnings, score, left_at) in zip(addresses, batched(hub.w3, calls)):
        records[address] = WorkerRecord(pool=pool, stake=stake, score=score, left_at=left_at)
    return records


def assets(hub: Contract, kind: str, ids) -> dict[int, tuple]:
    """{registry id: (owner, price, checksum, uri)} of apps or datasets."""
    ids = sorted(set(ids))
    getter = "s_apps" if kind == "app" else "s_datasets"
    return dict(zip(ids, batched(hub.w3, [EncodedCall(hub, getter, (i,)) for i in ids])))
