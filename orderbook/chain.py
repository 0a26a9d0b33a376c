"""What the order book reads from the chain: who must sign an order, whether a contract vouches
for a signature (ERC-1271), how much of an order is used, the block time."""

from __future__ import annotations

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from offchain_grid.contribution import SigningDomain, hub_domain
from oracle.hub import hub_contract

ZERO = "0x" + "00" * 20
ERC1271_MAGIC = bytes.fromhex("1626ba7e")
ERC1271_ABI = [{"type": "function", "name": "isValidSignature", "stateMutability": "view",
                "inputs": [{"name": "hash", "type": "bytes32"}, {"name": "signature", "type": "bytes"}],
                "outputs": [{"name": "", "type": "bytes4"}]}]


class ChainView:
    """Reads of one Hub on one chain, for checking and following orders."""

    def __init__(self, w3: Web3, hub_address: str):
        self.w3 = w3
        self.hub: Contract = hub_contract(w3, hub_address)
        self.domain: SigningDomain = hub_domain(w3.eth.chain_id, self.hub.address)

    def now(self) -> int:
        """The latest block's time: what the Hub compares expiries with."""
        return self.w3.eth.get_block("latest")["timestamp"]

    def app_owner(self, app: int) -> str:
        return to_checksum_address(self.hub.functions.s_apps(app).call()[0])

    def dataset_owner(self, dataset: int) -> str:
        return to_checksum_address(self.hub.functions.s_datasets(dataset).call()[0])

    def pool_signers(self, pool: int) -> tuple[str, ...]:
        """The pool's owner and oracle (zero addresses for an unknown pool)."""
        owner, _price, _fee, _duration, oracle, _stake, _callback_price = self.hub.functions.s_pools(pool).call()
        return to_checksum_address(owner), to_checksum_address(oracle)

    def has_code(self, address: str) -> bool:
        return len(self.w3.eth.get_code(to_checksum_address(address))) > 0

    def vouches(self, contract: str, digest: bytes, signature: bytes) -> bool:
        """Whether contract `contract` accepts `signature` over `digest` (ERC-1271), as the Hub asks."""
        if not self.has_code(contract):
            return False
        try:
            answer = self.w3.eth.contract(address=to_checksum_address(contract), abi=ERC1271_ABI) \
                .functions.isValidSignature(digest, signature).call()
        except Exception:  # noqa: BLE001 - a reverting or odd contract vouches for nothing
            return False
        return bytes(answer) == ERC1271_MAGIC

    def order_use(self, signer: str, digest: bytes, block: int | str = "latest") -> tuple[int, bool]:
        """(units consumed, cancelled) of `signer`'s order `digest`, as of `block`."""
        consumed, cancelled = self.hub.functions.orderUse(to_checksum_address(signer), digest).call(
            block_identifier=block)
        return int(consumed), bool(cancelled)

    def balance(self, account: str) -> int:
        """The account's escrow balance in the Hub: what a match by anyone else is paid from."""
        return self.hub.functions.s_balances(to_checksum_address(account)).call()
