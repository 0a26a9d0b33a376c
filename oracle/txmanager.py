"""One transaction manager per key: local nonces, gas limits from estimates, a fee cap, and
stuck transactions resent with a higher fee. Every signed transaction is written down before
it is broadcast, so a restart resends or follows it instead of sending a second one.

A transaction counts as mined only at the confirmation depth: at its first receipt it is
INCLUDED; when its block is still canonical `confirmations` blocks deep it is MINED (or
REVERTED); when a reorg drops its block it is PENDING again and sent again."""

from __future__ import annotations

import logging
import time

from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from eth_account.signers.local import LocalAccount
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound

from .chain_reads import block_hashes
from .errors import TransactionFailed
from .models import TxRecord

log = logging.getLogger("oracle.tx")

PENDING, INCLUDED, MINED, REVERTED, REPLACED, DROPPED = "PENDING", "INCLUDED", "MINED", "REVERTED", "REPLACED", "DROPPED"
SETTLED_STATES = (MINED, REVERTED, DROPPED)  # final: what the caller acts on
GWEI = 10**9


class TransactionManager:
    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        engine: Engine,
        *,
        gas_margin: float = 1.3,
        gas_limits: dict[str, int] | None = None,
        fee_cap: int = 500 * GWEI,
        priority_fee: int = 1 * GWEI,
        stuck_after: float = 12.0,
        fee_bump: float = 1.25,
        explain_revert=str,
        confirmations: int = 1,
        describe_receipt=None,
    ):
        self.w3 = w3
        self.account = account
        self.engine = engine
        self.gas_margin = gas_margin  # estimates are multiplied by this
        self.gas_limits = gas_limits or {}  # fixed gas limit per function name, when given
        self.fee_cap = fee_cap  # never pay more than this per gas
        self.priority_fee = priority_fee
        self.stuck_after = stuck_after  # seconds without a receipt before a resend
        self.fee_bump = fee_bump  # nodes need >= 10% more to replace a transaction
        self.chain_id = w3.eth.chain_id
        self.explain = explain_revert  # turns a revert into a readable custom error
        self.confirmations = max(1, confirmations)  # 1: the including block itself is enough
        self.describe = describe_receipt  # receipt -> text kept in TxRecord.outcome (read once)
        self._used_nonces = 0  # the chain's count of our mined transactions, read once per poll

    @property
    def address(self) -> str:
        return self.account.address

    # -- sending ---------------------------------------------------------------------------

    def send(self, purpose: str, call, gas: int | None = None) -> TxRecord:
        """Signs, records and broadcasts `call` (a bound contract function) unless a transaction
        for the same purpose is already in flight, in which case that one is returned. `gas`
        replaces the estimate (a batch that skips what it cannot afford succeeds with too little)."""
        with Session(self.engine) as session:
            live = self._live(session, purpose)
            if live is not None:
                return live
            gas = gas or self._gas_limit(call)
            max_fee, tip = self._fees()
            nonce = self._next_nonce(session)
            tx = call.build_transaction(
                {
                    "from": self.address,
                    "nonce": nonce,
                    "gas": gas,
                    "maxFeePerGas": max_fee,
                    "maxPriorityFeePerGas": tip,
                    "chainId": self.chain_id,
                }
            )
            signed = self.account.sign_transaction(tx)
            record = TxRecord(
                sender=self.address, nonce=nonce, purpose=purpose, tx_hash="0x" + signed.hash.hex().removeprefix("0x"),
                raw=signed.raw_transaction.hex(), gas=gas, max_fee=max_fee, priority_fee=tip, state=PENDING,
            )
            session.add(record)
            session.commit()
            session.refresh(record)
        self._broadcast(record)
        log.info("tx %s sent: %s nonce=%d gas=%d maxFee=%d", purpose, record.tx_hash, nonce, gas, max_fee)
        return record

    def latest(self, purpose: str) -> TxRecord | None:
        """The newest transaction sent for `purpose`."""
        return self.latest_of([purpose]).get(purpose)

    def latest_of(self, purposes) -> dict[str, TxRecord]:
        """{purpose: its newest transaction} for many purposes, in one query per 500."""
        wanted, found = sorted(set(purposes)), {}
        with Session(self.engine) as session:
            for start in range(0, len(wanted), 500):
                rows = session.exec(select(TxRecord).where(col(TxRecord.purpose).in_(wanted[start:start + 500]))
                                    .order_by(col(TxRecord.id))).all()
                for row in rows:  # ascending ids: the newest wins, unless an older attempt was mined instead
                    if row.state != REPLACED or row.purpose not in found:
                        found[row.purpose] = row
        return found

    # -- following -------------------------------------------------------------------------

    def poll(self) -> None:
        """Records receipts of pending transactions, resends the stuck ones, and settles the
        included ones once deep enough (or puts them back when a reorg dropped their block)."""
        with Session(self.engine) as session:
            live = session.exec(
                select(TxRecord).where(TxRecord.sender == self.address, col(TxRecord.state).in_([PENDING, INCLUDED]))
            ).all()
            included = [r for r in live if r.state == INCLUDED]
            if included:
                self._deepen(session, included)
            # read before any receipt: a nonce used by then without a receipt of ours was used by
            # another transaction (read after, it might be ours mined in between)
            self._used_nonces = self.w3.eth.get_transaction_count(self.address, "latest") if live else 0
            for record in live:
                if record.state == PENDING:
                    self._follow(session, record)
            session.commit()

    def _deepen(self, session: Session, included: list[TxRecord]) -> None:
        head = self.w3.eth.block_number
        canonical = block_hashes(self.w3, {r.block_number for r in included})
        for record in included:
            if canonical.get(record.block_number) != record.block_hash:
                log.warning("tx %s: its block %d was reorged out; sending it again", record.purpose, record.block_number)
                record.state, record.block_number, record.block_hash, record.sent_at = PENDING, None, None, time.time()
                session.add(record)
                self._broadcast(record)
            elif head - record.block_number + 1 >= self.confirmations:
                record.state = MINED if record.succeeded else REVERTED
                session.add(record)
                log.info("tx %s %s in block %d, %d deep", record.purpose, record.state.lower(), record.block_number,
                         head - record.block_number + 1)

    def _follow(self, session: Session, record: TxRecord) -> None:
        # any attempt at this nonce may be the one that got mined
        attempts = session.exec(
            select(TxRecord).where(TxRecord.sender == self.address, TxRecord.nonce == record.nonce)
        ).all()
        for attempt in attempts:
            if attempt.state not in (PENDING, REPLACED):
                continue
            receipt = self._receipt(attempt.tx_hash)
            if receipt is not None:
                for other in attempts:
                    if other.state == PENDING:
                        other.state = REPLACED
                attempt.state, attempt.succeeded = INCLUDED, receipt["status"] == 1
                attempt.block_number = receipt["blockNumber"]
                attempt.block_hash = "0x" + bytes(receipt["blockHash"]).hex().removeprefix("0x")
                attempt.gas_used = receipt["gasUsed"]
                attempt.outcome = self.describe(receipt) if self.describe else None
                session.add_all(attempts)
                log.info("tx %s included in block %d (gas %d)", attempt.purpose, receipt["blockNumber"],
                         receipt["gasUsed"])
                if self.confirmations == 1:  # the receipt names a block of the chain just read
                    attempt.state = MINED if attempt.succeeded else REVERTED
                return
        if self._used_nonces > record.nonce:
            # the nonce was used by a transaction we did not send: ours can never be mined
            record.state = DROPPED
            session.add(record)
            log.warning("tx %s dropped: nonce %d used elsewhere", record.purpose, record.nonce)
            return
        if time.time() - record.sent_at >= self.stuck_after:
            self._replace(session, record)
        elif not self._known(record.tx_hash):
            self._broadcast(record)  # the node forgot it (restart, reorg): send the same bytes

    def _replace(self, session: Session, record: TxRecord) -> None:
        """Resends a stuck transaction with the same nonce and data and a higher fee."""
        max_fee = min(self.fee_cap, max(int(record.max_fee * self.fee_bump), self._fees()[0]))
        tip = min(max_fee, int(record.priority_fee * self.fee_bump) + 1)
        if max_fee <= record.max_fee:
            log.warning("tx %s stuck at the fee cap (%d wei/gas); resending as is", record.purpose, max_fee)
            record.sent_at = time.time()
            session.add(record)
            self._broadcast(record)
            return
        tx = decode_raw(record.raw)  # the same call, from the bytes we kept
        fresh = {
            "to": tx["to"], "data": tx["data"], "value": tx["value"],
            "nonce": record.nonce, "gas": record.gas, "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip, "chainId": self.chain_id, "type": 2,
        }
        signed = self.account.sign_transaction(fresh)
        record.state = REPLACED
        replacement = TxRecord(
            sender=self.address, nonce=record.nonce, purpose=record.purpose,
            tx_hash="0x" + signed.hash.hex().removeprefix("0x"), raw=signed.raw_transaction.hex(),
            gas=record.gas, max_fee=max_fee, priority_fee=tip, state=PENDING, attempts=record.attempts + 1,
        )
        session.add_all([record, replacement])
        session.commit()
        self._broadcast(replacement)
        log.info("tx %s resent with maxFee %d -> %d: %s", record.purpose, record.max_fee, max_fee, replacement.tx_hash)

    # -- helpers ---------------------------------------------------------------------------

    def _live(self, session: Session, purpose: str) -> TxRecord | None:
        return session.exec(select(TxRecord).where(TxRecord.purpose == purpose,
                                                   col(TxRecord.state).in_([PENDING, INCLUDED]))).first()

    def _next_nonce(self, session: Session) -> int:
        """The chain's pending count, or past our own newest in-flight nonce if the node lost some."""
        chain_nonce = self.w3.eth.get_transaction_count(self.address, "pending")
        in_flight = session.exec(
            select(func.max(TxRecord.nonce)).where(TxRecord.sender == self.address,
                                                   col(TxRecord.state).in_([PENDING, INCLUDED]))
        ).one()
        return chain_nonce if in_flight is None else max(chain_nonce, in_flight + 1)

    def _gas_limit(self, call) -> int:
        name = call.fn_name
        if name in self.gas_limits:
            return self.gas_limits[name]
        try:
            estimate = call.estimate_gas({"from": self.address})
        except (ContractLogicError, ContractCustomError) as exc:
            raise TransactionFailed(f"{name} would revert: {self.explain(exc)}") from exc
        return int(estimate * self.gas_margin)

    def _fees(self) -> tuple[int, int]:
        base = self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0
        tip = min(self.priority_fee, self.fee_cap)
        return min(self.fee_cap, 2 * base + tip), tip

    def _broadcast(self, record: TxRecord) -> None:
        try:
            self.w3.eth.send_raw_transaction(bytes.fromhex(record.raw.removeprefix("0x")))
        except ValueError as exc:
            message = str(exc)
            if "already known" in message or "nonce too low" in message or "AlreadyKnown" in message:
                return  # the node has it, or a receipt will show what happened
            log.warning("broadcast of %s failed: %s", record.tx_hash, message)

    def _receipt(self, tx_hash: str):
        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None

    def _known(self, tx_hash: str) -> bool:
        try:
            self.w3.eth.get_transaction(tx_hash)
            return True
        except TransactionNotFound:
            return False


def decode_raw(raw: str) -> dict:
    """to, data and value of a signed transaction we kept but the node no longer knows."""
    tx = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    return {"to": Web3.to_checksum_address(tx["to"]), "data": bytes(tx["data"]), "value": tx["value"]}


