"""A pool serving the vanity dapp on any chain, set up so that it works the first time and a
rerun changes nothing: the app on the grid and on chain, the pool, its funded and staked
workers and the dapp.

Everything already there is found, not counted: the app and the pool through their
registration events (a counter read after a transaction can count someone else's on a shared
chain), the workers through their membership, the dapp through the deployment file and its
code. What the setup would need and lacks (RLC, ETH for gas) is listed before any transaction.
The deployment file is written after each step, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import to_checksum_address

from web3.logs import DISCARD

from oracle.deployment import contract, deploy_contract, fund, join_pool, transact

from .assets import owner_grid, register_app_everywhere
from .chain import Chain
from .errors import SdkError
from .requests import struct_for
from .units import format_rlc

# gas units a party's transactions take here, counted twice over for safety
GAS = {"app_owner": 2 * 150_000, "pool_owner": 2 * 250_000, "worker": 2 * 200_000, "funder": 2 * 2_500_000}


@dataclass(frozen=True)
class Terms:
    """What the operator asks for; amounts in nRLC."""

    app_file: Path
    app_name: str
    app_price: int
    pool_price: int  # per replica
    owner_fee_bps: int
    min_stake: int
    max_duration: int
    oracle: str
    trust: int
    callback_gas: int = 300_000  # what the vanity dapp gives its callback
    callback_gas_price: int = 1_000  # nRLC per unit of callback gas


@dataclass
class Roles:
    """The keys acting: the funder pays for the workers' stakes (and the dapp's deployment)."""

    funder: object
    app_owner: object
    pool_owner: object
    workers: list = field(default_factory=list)


def set_up(chain: Chain, roles: Roles, terms: Terms, grid_url: str, save, say=print, on_wait=None) -> None:
    """Brings the chain and the grid to `terms`; `save()` records the deployment after each step."""
    shortfalls = missing(chain, roles, terms)
    if shortfalls:
        raise SdkError("nothing was sent; missing: " + "; ".join(shortfalls))
    deployment = chain.deployment
    grid = owner_grid(grid_url, None, roles.app_owner)
    app = register_app_everywhere(chain, grid, roles.app_owner, terms.app_file, terms.app_name, terms.app_price)
    deployment.app = app.chain_id
    save()
    say(f"app {app.chain_id} ({terms.app_name!r}, sha256 {app.checksum[:12]}...) on the grid and on chain, "
        f"owned by {roles.app_owner.address}")
    deployment.pool = _pool(chain, roles.pool_owner, terms, on_wait)
    save()
    say(f"chain: pool {deployment.pool} (oracle {terms.oracle})")
    for worker in roles.workers:
        say(f"worker {worker.address}: {_staked(chain, roles.funder, worker, terms)}")
    deployment.vanity = _dapp(chain, roles.funder, terms)
    save()
    say(f"chain: VanityAddress {deployment.vanity} (app {deployment.app}, pool {deployment.pool}, trust {terms.trust})")


def missing(chain: Chain, roles: Roles, terms: Terms) -> list[str]:
    """What the setup lacks, each as a phrase naming the address and the amount; [] when it can run."""
    w3, gas_price = chain.w3, chain.w3.eth.gas_price
    needs: list[str] = []
    rlc_to_give, eth_to_give = 0, 0
    for worker in roles.workers:
        membership = chain.record("s_workers", worker.address)
        if _is_member(membership, chain.deployment.pool, terms):
            continue
        if membership["pool"] and not membership["leftAt"]:
            needs.append(f"worker {worker.address} to leave pool {membership['pool']} first")
        rlc_to_give += max(0, terms.min_stake - chain.rlc.functions.balanceOf(worker.address).call())
        eth_to_give += max(0, GAS["worker"] * gas_price - w3.eth.get_balance(worker.address))
    funder_rlc = chain.rlc.functions.balanceOf(roles.funder.address).call()
    if rlc_to_give > funder_rlc:
        needs.append(f"{format_rlc(rlc_to_give - funder_rlc)} more at {roles.funder.address} (the funder) "
                     f"to bring the workers' stakes to {format_rlc(terms.min_stake)} each")
    funder_eth_need = eth_to_give + GAS["funder"] * gas_price
    for name, account, wanted in (("funder", roles.funder, funder_eth_need),
                                  ("app owner", roles.app_owner, GAS["app_owner"] * gas_price),
                                  ("pool owner", roles.pool_owner, GAS["pool_owner"] * gas_price)):
        have = w3.eth.get_balance(account.address)
        if have < wanted:
            needs.append(f"{(wanted - have) / 10**18:.6f} more ETH at {account.address} (the {name}) for gas")
    return needs


def find_pool(chain: Chain, owner: str, oracle: str) -> int | None:
    """The latest pool `owner` registered for this oracle key, if any."""
    logs = chain.hub.events.PoolRegistered().get_logs(from_block=chain.deployment.start_block,
                                                      argument_filters={"owner": owner})
    same = [log["args"]["pool"] for log in logs if log["args"]["config"]["oracle"] == to_checksum_address(oracle)]
    return same[-1] if same else None


def _pool(chain: Chain, owner, terms: Terms, on_wait) -> int:
    """The owner's pool for this oracle, its terms brought to `terms`; registered if there is none."""
    config = struct_for(chain, "registerPool", owner=owner.address, price=terms.pool_price,
                        ownerFeeBps=terms.owner_fee_bps, oracle=to_checksum_address(terms.oracle),
                        minStake=terms.min_stake, maxDuration=terms.max_duration,
                        callbackGasPrice=terms.callback_gas_price)
    pool = find_pool(chain, owner.address, terms.oracle)
    if pool is None:
        receipt = transact(chain.w3, owner, chain.hub.functions.registerPool(config), on_wait=on_wait)
        return chain.hub.events.PoolRegistered().process_receipt(receipt, errors=DISCARD)[0]["args"]["pool"]
    if chain.record("s_pools", pool) != config:
        transact(chain.w3, owner, chain.hub.functions.updatePool(pool, config), on_wait=on_wait)
    return pool


def _is_member(membership: dict, pool: int | None, terms: Terms) -> bool:
    return bool(pool) and membership["pool"] == pool and not membership["leftAt"] and membership["stake"] >= terms.min_stake


def _staked(chain: Chain, funder, worker, terms: Terms) -> str:
    if _is_member(chain.record("s_workers", worker.address), chain.deployment.pool, terms):
        return f"already staked in pool {chain.deployment.pool}"
    w3 = chain.w3
    short_rlc = max(0, terms.min_stake - chain.rlc.functions.balanceOf(worker.address).call())
    short_eth = max(0, GAS["worker"] * w3.eth.gas_price - w3.eth.get_balance(worker.address))
    fund(w3, funder, worker.address, eth_wei=short_eth, rlc=short_rlc, deployment=chain.deployment)
    join_pool(w3, worker, chain.deployment, chain.deployment.pool, terms.min_stake)
    funded = f" (funded {format_rlc(short_rlc)})" if short_rlc else ""
    return f"staked {format_rlc(terms.min_stake)} in pool {chain.deployment.pool}{funded}"


def _dapp(chain: Chain, deployer, terms: Terms) -> str:
    deployment = chain.deployment
    if deployment.vanity and chain.w3.eth.get_code(deployment.vanity):
        dapp = contract(chain.w3, "VanityAddress", deployment.vanity)
        wired = (dapp.functions.i_app().call(), dapp.functions.i_pool().call(), dapp.functions.i_trust().call())
        if wired == (deployment.app, deployment.pool, terms.trust):
            return deployment.vanity
    return deploy_contract(chain.w3, deployer, "VanityAddress", deployment.hub, deployment.app, deployment.pool,
                           terms.trust, terms.callback_gas).address
