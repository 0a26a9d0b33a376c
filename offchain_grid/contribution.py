"""EIP-712 contributions: what a worker signs for a result, in the shape the Hub verifies.

The same functions serve workers (signing), the scheduler (verifying) and the oracle
(finalizing on chain), so a result can be checked without trusting the scheduler.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from coincurve import PublicKey
from eth_abi import encode
from hexbytes import HexBytes
from eth_hash.auto import keccak
from eth_keys import keys
from eth_utils import to_checksum_address

HUB_DOMAIN_NAME = "CumulusHub"
GRID_DOMAIN_NAME = "CumulusGrid"
DOMAIN_VERSION = "1"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SECP256K1_HALF_N = SECP256K1_N // 2

_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Contribution": [
        {"name": "taskId", "type": "bytes32"},
        {"name": "resultDigest", "type": "bytes32"},
        {"name": "callbackDataHash", "type": "bytes32"},
    ],
}


@dataclass(frozen=True)
class SigningDomain:
    """The EIP-712 domain a contribution is signed under."""

    name: str  # HUB_DOMAIN_NAME for on-chain tasks, GRID_DOMAIN_NAME for plain jobs
    version: str  # always DOMAIN_VERSION today
    chain_id: int  # 0 for plain grid jobs
    verifying_contract: str  # the Hub address, or the zero address

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.verifying_contract),
        }


@lru_cache(maxsize=1)
def grid_domain() -> SigningDomain:
    """The scheduler's own domain, for jobs that no on-chain task asked for (immutable: built once)."""
    return SigningDomain(GRID_DOMAIN_NAME, DOMAIN_VERSION, 0, ZERO_ADDRESS)


def hub_domain(chain_id: int, hub: str) -> SigningDomain:
    """The Hub's domain, for jobs submitted on behalf of an on-chain task."""
    return SigningDomain(HUB_DOMAIN_NAME, DOMAIN_VERSION, int(chain_id), hub)


@lru_cache(maxsize=8192)
def grid_task_id(job_uid: str) -> bytes:
    """Task id of a plain grid job: keccak256 of its uid's utf-8 bytes (remembered from the pull that
    hands the job out to the report that answers it)."""
    return keccak(job_uid.encode("utf-8"))


def callback_data_hash(callback_data: bytes | None) -> bytes:
    """keccak256 of the callback data (of empty bytes when there is none)."""
    return keccak(callback_data) if callback_data else EMPTY_KECCAK


EMPTY_KECCAK = keccak(b"")  # most results carry no callback data


def result_digest(archive: bytes) -> bytes:
    """sha256 of the result archive, as the bytes32 the Hub stores."""
    return hashlib.sha256(archive).digest()


def to_bytes32(value: bytes | str) -> bytes:
    """Accept 32 raw bytes or a 64-hex-digit string (with or without 0x)."""
    if isinstance(value, str):
        text = value[2:] if value.startswith(("0x", "0X")) else value
        if len(text) != 64:
            raise ValueError(f"expected 32 bytes as 64 hex digits, got {len(text)} digits")
        value = bytes.fromhex(text)
    if len(value) != 32:
        raise ValueError(f"expected 32 bytes, got {len(value)}")
    return bytes(value)


CONTRIBUTION_TYPEHASH = keccak(b"Contribution(bytes32 taskId,bytes32 resultDigest,bytes32 callbackDataHash)")
DOMAIN_TYPEHASH = keccak(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)


@lru_cache(maxsize=256)
def domain_separator(domain: SigningDomain) -> bytes:
    """hashStruct(EIP712Domain); cached since a scheduler sees few domains."""
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                DOMAIN_TYPEHASH,
                keccak(domain.name.encode("utf-8")),
                keccak(domain.version.encode("utf-8")),
                domain.chain_id,
                to_checksum_address(domain.verifying_contract),
            ],
        )
    )


def contribution_hash(domain: SigningDomain, task_id, result_digest_, cb_hash) -> bytes:
    """The 32-byte EIP-712 digest a worker signs: keccak(0x1901 | domainSeparator | structHash)."""
    struct_hash = keccak(
        CONTRIBUTION_TYPEHASH + to_bytes32(task_id) + to_bytes32(result_digest_) + to_bytes32(cb_hash)
    )
    return keccak(b"\x19\x01" + domain_separator(domain) + struct_hash)


def typed_data(domain: SigningDomain, task_id, result_digest_, cb_hash) -> dict:
    """The contribution as an EIP-712 JSON document (for wallets and eth-account)."""
    return {
        "types": _TYPES,
        "primaryType": "Contribution",
        "domain": domain.as_dict(),
        "message": {
            "taskId": to_bytes32(task_id),
            "resultDigest": to_bytes32(result_digest_),
            "callbackDataHash": to_bytes32(cb_hash),
        },
    }


def sign_contribution(private_key, domain: SigningDomain, task_id, result_digest_, cb_hash) -> bytes:
    """65-byte signature (r, s, v with v in {27, 28}) over the contribution."""
    digest = contribution_hash(domain, task_id, result_digest_, cb_hash)
    signature = _signing_key(bytes(HexBytes(private_key))).sign_msg_hash(digest)  # low-s, recovery id 0 or 1
    return signature.to_bytes()[:64] + bytes([signature.v + 27])


@lru_cache(maxsize=16)
def _signing_key(key: bytes) -> keys.PrivateKey:
    # Deriving the public key is most of the cost of a signature; a worker signs with one key.
    return keys.PrivateKey(key)


def recover_contributor(domain: SigningDomain, task_id, result_digest_, cb_hash, signature) -> str:
    """Checksummed address that signed the contribution; raises ValueError on a malformed signature."""
    return to_checksum_address(_recover_address(domain, task_id, result_digest_, cb_hash, signature))


def signed_by(domain: SigningDomain, task_id, result_digest_, cb_hash, signature, address: str) -> bool:
    """Whether `address` signed the contribution; False for a malformed signature. The scheduler's check
    of every result: bytes compared, no checksummed address built."""
    try:
        return _recover_address(domain, task_id, result_digest_, cb_hash, signature) == bytes.fromhex(address[2:])
    except ValueError:
        return False


def _recover_address(domain: SigningDomain, task_id, result_digest_, cb_hash, signature) -> bytes:
    """The signer's 20 address bytes. secp256k1 recovery through coincurve (libsecp256k1) directly, as
    eth-keys' coincurve backend does, without building its key and signature objects."""
    if isinstance(signature, str):
        signature = bytes.fromhex(signature[2:] if signature.startswith("0x") else signature)
    if len(signature) != 65:
        raise ValueError(f"signature must be 65 bytes, got {len(signature)}")
    digest = contribution_hash(domain, task_id, result_digest_, cb_hash)
    v = signature[64] - 27 if signature[64] >= 27 else signature[64]
    if v not in (0, 1):
        raise ValueError(f"signature v must be 27 or 28, got {signature[64]}")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    if s > SECP256K1_HALF_N:
        raise ValueError("signature s is in the upper half of the curve order (malleable); the Hub refuses it")
    if not 0 < r < SECP256K1_N or s == 0:
        raise ValueError("signature r or s is out of range")
    try:
        public_key = PublicKey.from_signature_and_message(signature[:64] + bytes([v]), digest, hasher=None)
    except Exception as exc:  # libsecp256k1 finds no key for these numbers
        raise ValueError(f"no public key recovers from this signature: {exc}") from None
    return keccak(public_key.format(compressed=False)[1:])[-20:]
