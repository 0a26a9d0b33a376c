"""The Hub contract as the oracle sees it: its events, its reads, and readable revert reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_abi import decode
from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from . import artifacts
from .encoded import EncodedCall, abi_type

TASK_STATUS = ["None", "Requested", "Finalized", "Claimed", "Failed"]
_ZERO_ADDRESS = "0x" + "00" * 20


def _request_components() -> list[dict]:
    """The TaskRequest struct's fields, in order, as the Hub's ABI declares them."""
    event = next(e for e in artifacts.abi("Hub") if e.get("type") == "event" and e["name"] == "TaskRequested")
    return next(i for i in event["inputs"] if i["name"] == "request")["components"]


# the ABI is the one source of the request's layout
REQUEST_FIELDS = [c["name"] for c in _request_components()]
SPEC_FIELDS = [c["name"] for c in next(
    f for f in artifacts.abi("Hub") if f.get("name") == "requestTask")["inputs"][0]["components"]]


@dataclass(frozen=True)
class TaskRequested:
    """A TaskRequested log, decoded."""

    task_id: str  # 0x-hex
    request: tuple  # the TaskRequest tuple, as finalize takes it back
    params: bytes
    block_number: int
    block_hash: str

    @property
    def fields(self) -> dict:
        return dict(zip(REQUEST_FIELDS, self.request))


def task_spec(app: int, pool: int, *, dataset: int = 0, trust: int = 1, min_stake: int = 0, min_score: int = 0,
              callback: str | None = None, callback_gas: int = 100_000, duration: int = 0, max_price: int = 2**64 - 1,
              refund_to: str = _ZERO_ADDRESS, params: bytes = b"") -> tuple:
    """A TaskSpec tuple, as requestTask, quote and approveAndCall (encoded) take it."""
    return (app, dataset, pool, trust, min_stake, min_score, callback_gas if callback else 0, duration, max_price,
            callback or _ZERO_ADDRESS, refund_to, params)


def dapp_spec(dapp: Contract) -> tuple:
    """The TaskSpec a Task contract like VanityAddress requests, for quoting its price."""
    f = dapp.functions
    return task_spec(f.i_app().call(), f.i_pool().call(), trust=f.i_trust().call(), callback=dapp.address,
                     callback_gas=f.i_callbackGasLimit().call())


def hub_contract(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=to_checksum_address(address), abi=artifacts.abi("Hub"))


_REQUEST_TYPES = [_c["type"] for _c in _request_components()]
_REQUESTED_DATA = [f"({','.join(_REQUEST_TYPES)})", "bytes"]  # TaskRequested's data: request, params


def decode_task_requested(hub: Contract, log) -> TaskRequested:
    """A TaskRequested log of the pool's topic filter, decoded with eth_abi from the ABI's types
    (web3's event decoder costs ~17 ms a log on the Hub's ABI)."""
    raw, params = decode(_REQUESTED_DATA, bytes(log["data"]))
    request = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(_REQUEST_TYPES, raw))
    return TaskRequested(
        task_id="0x" + bytes(log["topics"][1]).hex().removeprefix("0x"),
        request=_normalize(request),
        params=bytes(params),
        block_number=log["blockNumber"],
        block_hash="0x" + bytes(log["blockHash"]).hex().removeprefix("0x"),
    )


def _normalize(request: tuple) -> tuple:
    # JSON round trips turn bytes into hex strings: keep one canonical form
    out = []
    for value in request:
        out.append("0x" + bytes(value).hex() if isinstance(value, (bytes, bytearray)) else value)
    return tuple(out)


def request_for_call(request) -> tuple:
    """A request as stored (hex strings for bytes) or as web3 decoded it (a dict by field name),
    in the form web3 encodes."""
    values = [request[name] for name in REQUEST_FIELDS] if hasattr(request, "keys") else list(request)
    return tuple(bytes.fromhex(v.removeprefix("0x")) if isinstance(v, str) and len(v) == 66 else v for v in values)


class RevertExplainer:
    """Turns a custom error's data into `Name(arg=value, ...)` using the ABIs it knows."""

    def __init__(self, *contract_names: str):
        self._errors = {}
        for name in contract_names:
            for entry in artifacts.abi(name):
                if entry.get("type") == "error":
                    self._errors["0x" + function_abi_to_4byte_selector(entry).hex()] = entry

    def __call__(self, exc: Exception) -> str:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if not isinstance(data, str) or len(data) < 10:
            return str(exc)
        return self.error(data) or str(exc)

    def error(self, data: str | bytes) -> str | None:
        """`Name(arg=value, ...)` of an encoded custom error (revert data, or a TaskSkipped
        reason), None when no known error has its selector."""
        data = data if isinstance(data, str) else "0x" + bytes(data).hex()
        entry = self._errors.get(data[:10])
        if entry is None:
            return None
        types = [abi_type(i) for i in entry["inputs"]]
        values = decode(types, bytes.fromhex(data[10:]))
        args = ", ".join(f"{i['name'] or '_'}={_show(v)}" for i, v in zip(entry["inputs"], values))
        return f"{entry['name']}({args})"


def _show(value) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class Finalization:
    """One task of a `finalizeBatch` (IHubTypes.Finalization): what `finalize` takes for it."""

    request: tuple  # the TaskRequest, as TaskRequested emitted it (request_for_call of a stored one)
    result_digest: bytes
    callback_data: bytes
    signatures: list  # (r, vs) pairs of the agreeing workers, in ascending signer order
    dissents: list = field(default_factory=list)  # (resultDigest, callbackDataHash, (r, vs)), ascending signers

    def as_tuple(self) -> tuple:
        return (tuple(self.request), self.result_digest, self.callback_data, list(self.signatures),
                list(self.dissents))


def finalize_batch(hub: Contract, batch: list[Finalization]):
    """The call settling `batch` in one transaction; a task that cannot be settled is skipped
    (TaskSkipped) and the others settle. The task's oracle sends it."""
    return EncodedCall(hub, "finalizeBatch", ([item.as_tuple() for item in batch],))


def claim_batch(hub: Contract, requests: list[tuple]):
    """The call refunding every task of `requests` past its deadline; anyone sends it."""
    return EncodedCall(hub, "claimBatch", ([tuple(r) for r in requests],))


def report_failure_batch(hub: Contract, failures: list[tuple[tuple, str]]):
    """The call refunding each (request, reason) the pool cannot serve; the tasks' oracle sends it."""
    return EncodedCall(hub, "reportFailureBatch", ([(tuple(request), reason) for request, reason in failures],))


def skipped_tasks(hub: Contract, receipt, explain: RevertExplainer | None = None) -> dict[str, str]:
    """{task id (0x-hex): why} for each task a batch transaction skipped, the reason as the
    custom error a single call would have reverted with."""
    explain = explain or RevertExplainer("Hub")
    skipped = {}
    topic = _skipped_topic(hub)
    logs = [entry for entry in receipt["logs"] if entry["topics"] and bytes(entry["topics"][0]) == topic]
    for event in hub.events.TaskSkipped().process_receipt({**receipt, "logs": logs}, errors=DISCARD):
        reason = bytes(event["args"]["reason"])
        skipped["0x" + bytes(event["args"]["taskId"]).hex()] = explain.error(reason) or "0x" + reason.hex()
    return skipped


def _skipped_topic(hub: Contract) -> bytes:
    """TaskSkipped's topic: a receipt of 50 finalizations is decoded only where a task was skipped."""
    return bytes(event_abi_to_log_topic(hub.events.TaskSkipped.abi))


def compact_signature(signature: str | bytes) -> tuple[bytes, bytes]:
    """A 65-byte (r, s, v) signature as the EIP-2098 (r, vs) pair the Hub takes."""
    raw = bytes.fromhex(signature.removeprefix("0x")) if isinstance(signature, str) else signature
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    return r, (s | ((v - 27) << 255)).to_bytes(32, "big")
