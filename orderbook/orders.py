"""The market's signed orders as Python sees them: their fields (read from the Hub's ABI, the one
source of their layout), checked values, EIP-712 digests under the Hub's domain, signatures.

An order is a dict by field name with canonical values: ints, checksummed addresses, bytes for
bytes32 and bytes. `to_json` and `parse` turn it into and out of the JSON the order book and
the command line speak (0x-hex for bytes, decimal strings or numbers for integers).
"""

from __future__ import annotations

import os
from functools import lru_cache

from eth_abi import encode
from eth_hash.auto import keccak
from eth_keys import keys
from eth_utils import is_address, to_checksum_address
from hexbytes import HexBytes

from offchain_grid.contribution import SECP256K1_HALF_N, SigningDomain, domain_separator
from oracle import artifacts

# kind (as people and URLs say it) -> the EIP-712 type and Solidity struct name
KINDS = {"app": "AppOrder", "dataset": "DatasetOrder", "pool": "PoolOrder", "request": "RequestOrder"}
ZERO_ADDRESS = "0x" + "00" * 20
MAX_PARAMS_BYTES = 4096  # the Hub's MAX_PARAMS_LENGTH


class InvalidOrder(ValueError):
    """An order, or its signature, that the Hub would refuse; the message says which field and why."""


@lru_cache(maxsize=None)
def fields(kind: str) -> tuple[tuple[str, str], ...]:
    """(name, Solidity type) of each field of an order of `kind`, in the Hub's order."""
    struct = KINDS.get(kind)
    if struct is None:
        raise InvalidOrder(f"unknown order kind {kind!r}: one of {', '.join(KINDS)}")
    match = next(f for f in artifacts.abi("Hub") if f.get("name") == "matchOrders")
    entry = next(i for i in match["inputs"] if i["internalType"].endswith("." + struct))
    return tuple((c["name"], c["type"]) for c in entry["components"])


@lru_cache(maxsize=None)
def type_hash(kind: str) -> bytes:
    return keccak(f"{KINDS[kind]}({','.join(f'{t} {n}' for n, t in fields(kind))})".encode())


def new_order(kind: str, **values) -> dict:
    """An order with `values` by field name, every other field zero and a random salt (64 bits,
    enough to tell apart one signer's orders; zero bytes cost a match less calldata gas)."""
    order = {name: _zero(kind_) for name, kind_ in fields(kind)}
    order["salt"] = bytes(24) + os.urandom(8)
    unknown = set(values) - set(order)
    if unknown:
        raise InvalidOrder(f"a {kind} order has no field {', '.join(sorted(unknown))}")
    order.update(values)
    return parse(kind, order)


def parse(kind: str, raw: dict) -> dict:
    """The canonical order from `raw` (values as Python or as JSON gives them), every field
    present and in range; raises InvalidOrder naming the first bad field."""
    if not isinstance(raw, dict):
        raise InvalidOrder(f"a {kind} order must be an object of fields")
    names = [name for name, _ in fields(kind)]
    extra = set(raw) - set(names)
    if extra:
        raise InvalidOrder(f"a {kind} order has no field {', '.join(sorted(extra))}")
    missing = [name for name in names if name not in raw]
    if missing:
        raise InvalidOrder(f"the {kind} order lacks {', '.join(missing)}")
    return {name: _value(kind, name, solidity, raw[name]) for name, solidity in fields(kind)}


def to_json(kind: str, order: dict) -> dict:
    """The order as JSON: integers as numbers, bytes as 0x-hex."""
    return {name: ("0x" + order[name].hex() if isinstance(order[name], bytes) else order[name])
            for name, _ in fields(kind)}


def as_tuple(kind: str, order: dict) -> tuple:
    """The order as web3 encodes a struct argument."""
    return tuple(order[name] for name, _ in fields(kind))


def match_arguments(app: dict, dataset: dict | None, pool: dict, request: dict, signatures: dict) -> tuple:
    """matchOrders' arguments as web3 encodes them; no dataset order is all zeros, and a missing
    signature empty (the request's, when its requester sends the match)."""
    dataset = dataset or new_order("dataset", salt=bytes(32))
    return (as_tuple("app", app), as_tuple("dataset", dataset), as_tuple("pool", pool), as_tuple("request", request),
            tuple(signatures.get(kind, b"") for kind in ("app", "dataset", "pool", "request")))


def struct_hash(kind: str, order: dict) -> bytes:
    """EIP-712 hashStruct of the order (bytes fields hashed with keccak256, as EIP-712 says)."""
    types, values = ["bytes32"], [type_hash(kind)]
    for name, solidity in fields(kind):
        if solidity == "bytes":
            types.append("bytes32")
            values.append(keccak(order[name]))
        else:
            types.append(solidity)
            values.append(order[name])
    return keccak(encode(types, values))


def digest(kind: str, order: dict, domain: SigningDomain) -> bytes:
    """The 32 bytes a signer signs: keccak(0x1901 | domainSeparator | hashStruct(order)); the
    Hub knows an order by this digest (and its signer)."""
    return keccak(b"\x19\x01" + domain_separator(domain) + struct_hash(kind, order))


def typed_data(kind: str, order: dict, domain: SigningDomain) -> dict:
    """The order as an EIP-712 JSON document, for wallets (eth_signTypedData_v4) and eth-account."""
    return {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                             {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            KINDS[kind]: [{"name": name, "type": solidity} for name, solidity in fields(kind)],
        },
        "primaryType": KINDS[kind],
        "domain": domain.as_dict(),
        "message": dict(order),
    }


def sign(kind: str, order: dict, private_key, domain: SigningDomain) -> bytes:
    """A 65-byte signature (r, s, v with v 27 or 28, low s) of the order."""
    signature = keys.PrivateKey(bytes(HexBytes(private_key))).sign_msg_hash(digest(kind, order, domain))
    return signature.to_bytes()[:64] + bytes([signature.v + 27])


def recover(kind: str, order: dict, signature: bytes, domain: SigningDomain) -> str | None:
    """The account whose ECDSA signature this is (65 bytes, or 64 in EIP-2098 form), None when it is
    not one the Hub accepts: such a signature may still be a contract's (ERC-1271)."""
    if len(signature) == 64:  # EIP-2098: the parity in the top bit of vs
        vs = int.from_bytes(signature[32:], "big")
        signature = signature[:32] + (vs & ((1 << 255) - 1)).to_bytes(32, "big") + bytes([27 + (vs >> 255)])
    if len(signature) != 65 or signature[64] not in (27, 28):
        return None
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    if s > SECP256K1_HALF_N or not 0 < r < 2**256 or s == 0:
        return None
    try:
        public = keys.Signature(vrs=(signature[64] - 27, r, s)).recover_public_key_from_msg_hash(
            digest(kind, order, domain))
    except Exception:  # noqa: BLE001 - any point off the curve: no signer
        return None
    return public.to_checksum_address()


def hex_bytes(value, what: str) -> bytes:
    """Bytes from 0x-hex text (or bytes), or InvalidOrder naming `what`."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    raise InvalidOrder(f"{what} must be 0x-hex bytes")


def _zero(solidity: str):
    return ZERO_ADDRESS if solidity == "address" else b"" if solidity == "bytes" else bytes(32) \
        if solidity == "bytes32" else 0


def _value(kind: str, name: str, solidity: str, value):
    where = f"{kind} order field {name}"
    if solidity.startswith("uint"):
        if isinstance(value, str) and value.isdigit() and len(value) <= 80:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** int(solidity[4:]):
            raise InvalidOrder(f"{where} must be an integer from 0 to 2**{solidity[4:]} - 1")
        return value
    if solidity == "address":
        if not isinstance(value, str) or not is_address(value):
            raise InvalidOrder(f"{where} must be an address (0x and 40 hex digits)")
        return to_checksum_address(value)
    if solidity == "bytes32":
        raw = hex_bytes(value, where)
        if len(raw) != 32:
            raise InvalidOrder(f"{where} must be 32 bytes (64 hex digits)")
        return raw
    raw = hex_bytes(value, where)  # bytes: the app's arguments
    if len(raw) > MAX_PARAMS_BYTES:
        raise InvalidOrder(f"{where} is {len(raw)} bytes, above the Hub's {MAX_PARAMS_BYTES}")
    return raw
