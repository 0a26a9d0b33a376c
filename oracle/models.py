"""What the oracle remembers across restarts: where it is on the chain, its tasks, its transactions."""

from __future__ import annotations

import time

from sqlmodel import Field, SQLModel


class Cursor(SQLModel, table=True):
    """The last block whose events were fully processed, for one Hub and pool."""

    key: str = Field(primary_key=True)  # "<chain id>:<hub>:<pool>"
    block: int  # last processed block number


class SeenBlock(SQLModel, table=True):
    """Hashes of recently processed blocks: a different hash at the same height is a reorg."""

    key: str = Field(primary_key=True)  # cursor key
    number: int = Field(primary_key=True)
    hash: str


class HashRun(SQLModel, table=True):
    """The hash prefixes of consecutive processed blocks (forks.PREFIX_BYTES each), in rows of
    listener.RUN blocks: a reorg deeper than the SeenBlock window is traced to its exact fork."""

    key: str = Field(primary_key=True)  # cursor key
    run: int = Field(primary_key=True)  # block number // listener.RUN
    first: int  # the block of the first prefix in `prefixes` (the rest follow it in order)
    prefixes: bytes


class TaskRecord(SQLModel, table=True):
    """One paid request of the pool and what the oracle did about it."""

    task_id: str = Field(primary_key=True)  # 0x-hex bytes32
    state: str = Field(index=True)
    request_json: str  # the TaskRequest tuple, as finalize takes it back
    params: str  # the application's arguments, as the requester wrote them
    block_number: int = Field(index=True)
    block_hash: str
    deadline: int  # unix seconds
    trust: int
    held: bool = False  # its block was reorged out; not acted on until seen again
    job_uid: str | None = None
    reason: str | None = None  # why it was rejected or failed
    result_json: str | None = None  # digest, callback data, signatures, dissents
    tx_purpose: str | None = None  # the settlement batch it was last sent in (TxRecord.purpose)
    split_since: float | None = None  # when its job's votes were first seen to disagree (wall clock)
    sends: int = 0  # finalizations and failure reports sent for it: a bound against resending forever
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)


class TxRecord(SQLModel, table=True):
    """A transaction of the oracle's key; the raw signed bytes allow resending after a restart."""

    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(index=True)
    nonce: int = Field(index=True)
    purpose: str = Field(index=True)  # e.g. "finalize@1234" ; one live transaction per purpose
    tx_hash: str
    raw: str  # hex of the signed transaction
    gas: int
    max_fee: int
    priority_fee: int
    state: str = Field(index=True)  # PENDING, INCLUDED (not yet deep enough), MINED, REVERTED, REPLACED, DROPPED
    sent_at: float = Field(default_factory=time.time)
    attempts: int = 1
    block_number: int | None = None
    block_hash: str | None = None  # of the block that included it: a different hash there later is a reorg
    succeeded: bool | None = None  # the receipt's status
    gas_used: int | None = None
    outcome: str | None = None  # what the receipt says for the caller (JSON: the tasks a batch skipped)


class ErrorLog(SQLModel, table=True):
    """Recent errors, shown by `oracle status`."""

    id: int | None = Field(default=None, primary_key=True)
    at: float = Field(default_factory=time.time)
    task_id: str | None = None
    message: str
