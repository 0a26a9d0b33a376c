"""The book's tables: the orders it lists, with the columns its filters use; and the API's shapes."""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field as PydanticField
from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

MAX_SIGNATURE_HEX = 2 + 2 * 1024  # an ERC-1271 signer may take more than 65 bytes, not more than 1 KB


INT64_MAX = 2**63 - 1  # SQL integers are signed 64-bit: the filter columns hold uint64 values capped at this


def capped(value: int) -> int:
    """A uint64 as a filter column holds it: a price, volume or time past 2**63 - 1 means the same
    there (more than all RLC in existence, or forever); the order's own JSON keeps the exact value."""
    return min(value, INT64_MAX)


class BookOrder(SQLModel, table=True):
    """A signed order the book lists until it is cancelled, expired or used up on chain.

    `app`, `dataset`, `pool` and `requester` hold what the order is for or restricted to (0 or
    the zero address: any); for a request order, `dataset` 0 means none and `pool` 0 any pool.
    Integer columns are capped uint64 values (`capped`)."""

    __tablename__ = "book_order"

    digest: str = Field(primary_key=True)  # 0x-hex EIP-712 digest under the Hub's domain
    kind: str = Field(index=True)  # app, dataset, pool, request
    signer: str = Field(index=True)  # the party whose signature the book verified
    app: int = Field(default=0, index=True, sa_type=BigInteger)
    dataset: int = Field(default=0, index=True, sa_type=BigInteger)
    pool: int = Field(default=0, index=True, sa_type=BigInteger)
    requester: str = Field(default="0x" + "00" * 20, index=True)
    price: int = Field(index=True, sa_type=BigInteger)  # nRLC: per task, per replica (pool), or the most paid (request)
    trust: int = 0  # the most a pool offers, or what a request asks
    consumed: int = Field(default=0, sa_type=BigInteger)  # units used on chain, as of the last check
    remaining: int = Field(index=True, sa_type=BigInteger)  # units not consumed on chain, as of the last check
    expiry: int = Field(index=True, sa_type=BigInteger)  # unix seconds, by the chain's clock
    # the block in which the chain used it up or cancelled it: no longer listed, kept a while so
    # that a reorg undoing that block brings it back
    spent_in: int | None = Field(default=None, index=True, sa_type=BigInteger)
    order_json: str  # the order's fields as JSON (orders.to_json)
    signature: str  # 0x-hex
    published_at: float = Field(default_factory=time.time)


class Publication(BaseModel):
    """What a signer publishes: an order of `kind` and its signature."""

    model_config = ConfigDict(extra="forbid")

    kind: str = PydanticField(pattern="^(app|dataset|pool|request)$")
    order: dict
    signature: str = PydanticField(pattern="^0x[0-9a-fA-F]*$", max_length=MAX_SIGNATURE_HEX)


class Withdrawal(BaseModel):
    """A signer's request to take its order off the book: an EIP-191 signature over
    `withdrawal_message(digest, at)`, `at` within a few minutes of the book's clock."""

    model_config = ConfigDict(extra="forbid")

    at: int = PydanticField(ge=0, lt=2**63)
    signature: str = PydanticField(pattern="^0x[0-9a-fA-F]*$", max_length=MAX_SIGNATURE_HEX)


class OrderPublic(BaseModel):
    """An order as the book shows it."""

    digest: str
    kind: str
    signer: str
    order: dict
    signature: str
    volume: int
    remaining: int
    expiry: int
    published_at: float
