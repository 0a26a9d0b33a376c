"""The book's data functions: publish a checked order, list orders by filters, withdraw one at its
signer's word, and drop what the chain has cancelled, used up or let expire."""

from __future__ import annotations

import json
import time

from eth_account import Account
from eth_account.messages import defunct_hash_message, encode_defunct
from sqlalchemy import and_, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from . import orders
from .chain import ZERO, ChainView
from .models import BookOrder, OrderPublic, Publication, Withdrawal, capped
from .validation import Refused, check_terms, verified_signer

WITHDRAWAL_WINDOW = 300  # seconds a withdrawal's `at` may be from the book's clock


def withdrawal_message(digest: str, at: int) -> str:
    """The text a signer signs (EIP-191) to take its order off the book."""
    return f"Withdraw order {digest.lower()} from the Cumulus order book at {at}"


def publish(session: Session, chain: ChainView, publication: Publication, *, max_per_signer: int) -> tuple[BookOrder, bool]:
    """Checks and stores an order; (the order, whether it is new). An order already listed is
    returned as it is."""
    kind = publication.kind
    try:
        order = orders.parse(kind, publication.order)
    except orders.InvalidOrder as exc:
        raise Refused(str(exc)) from None
    digest = "0x" + orders.digest(kind, order, chain.domain).hex()
    existing = session.get(BookOrder, digest)
    if existing is not None and existing.spent_in is None:
        return existing, False
    if existing is not None:  # spent on chain: listed again only if the chain says otherwise now
        session.delete(existing)
        session.flush()
    try:
        signature = orders.hex_bytes(publication.signature, "signature")
    except orders.InvalidOrder as exc:
        raise Refused(str(exc)) from None
    check_terms(kind, order, chain.now())
    signer = verified_signer(kind, order, signature, chain)
    consumed, cancelled = chain.order_use(signer, bytes.fromhex(digest[2:]))
    if cancelled:
        raise Refused(f"order {digest} was cancelled on chain by its signer", 409)
    if consumed >= order["volume"]:
        raise Refused(f"order {digest} is used up on chain ({consumed} of {order['volume']})", 409)
    if kind == "request" and chain.balance(signer) < order["maxPrice"]:
        raise Refused(f"the requester's escrow balance in the Hub is below the order's maxPrice "
                      f"({order['maxPrice']} nRLC): a match by anyone else is paid from it")
    held = session.exec(select(func.count()).select_from(BookOrder).where(
        BookOrder.signer == signer, col(BookOrder.spent_in).is_(None))).one()
    if held >= max_per_signer:
        raise Refused(f"{signer} already has {held} orders on the book, the most it takes per signer", 429)
    row = BookOrder(digest=digest, kind=kind, signer=signer, consumed=consumed,
                    remaining=capped(order["volume"] - consumed), expiry=capped(order["expiry"]),
                    order_json=json.dumps(orders.to_json(kind, order)), signature="0x" + signature.hex(),
                    **_columns(kind, order))
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same order published at the same time through another connection
        session.rollback()
        return session.get(BookOrder, digest), False
    session.refresh(row)
    return row, True


def listing(session: Session, *, now: int, kind: str | None = None, app: int | None = None,
            dataset: int | None = None, pool: int | None = None, requester: str | None = None,
            signer: str | None = None, max_price: int | None = None, trust: int | None = None,
            min_remaining: int = 1, limit: int = 100, offset: int = 0) -> list[BookOrder]:
    """Live orders that fit the filters, cheapest first (then the one expiring last).

    `app`, `dataset`, `pool` and `requester` keep the orders a task with that entry could use:
    orders for it, and orders restricted to it or to nothing. `trust` keeps pool orders offering
    at least that trust and request orders asking exactly it."""
    query = select(BookOrder).where(BookOrder.expiry >= now, BookOrder.remaining >= capped(min_remaining),
                                    col(BookOrder.spent_in).is_(None))
    if kind:
        query = query.where(BookOrder.kind == kind)
    for column, value, own in ((BookOrder.app, app, "app"), (BookOrder.dataset, dataset, "dataset"),
                               (BookOrder.pool, pool, "pool")):
        if value is not None:
            query = query.where(_usable(column, capped(value), own))
    if requester is not None:
        query = query.where(or_(BookOrder.requester == requester, BookOrder.requester == ZERO))
    if signer is not None:
        query = query.where(BookOrder.signer == signer)
    if max_price is not None:
        query = query.where(BookOrder.price <= capped(max_price))
    if trust is not None:
        query = query.where(or_(BookOrder.kind.in_(["app", "dataset"]),
                                and_(BookOrder.kind == "pool", BookOrder.trust >= trust),
                                and_(BookOrder.kind == "request", BookOrder.trust == trust)))
    query = query.order_by(col(BookOrder.price), col(BookOrder.expiry).desc(), col(BookOrder.digest))
    return list(session.exec(query.offset(offset).limit(limit)).all())


def withdraw(session: Session, chain: ChainView, digest: str, withdrawal: Withdrawal) -> None:
    """Takes an order off the book at its signer's signed word (it stays valid on chain until it
    expires: `cancelOrders` on the Hub makes that final)."""
    row = session.get(BookOrder, digest.lower())
    if row is None:
        raise Refused(f"no order {digest} on the book", 404)
    if abs(withdrawal.at - time.time()) > WITHDRAWAL_WINDOW:
        raise Refused(f"the withdrawal's time {withdrawal.at} is more than {WITHDRAWAL_WINDOW} s from the book's")
    if withdrawal.at < int(row.published_at):  # a withdrawal of an earlier listing, replayed
        raise Refused(f"the withdrawal was signed at {withdrawal.at}, before the order was published "
                      f"({int(row.published_at)} by the book's clock)", 403)
    try:
        signature = orders.hex_bytes(withdrawal.signature, "signature")
    except orders.InvalidOrder as exc:
        raise Refused(str(exc)) from None
    message = encode_defunct(text=withdrawal_message(row.digest, withdrawal.at))
    try:
        signer = Account.recover_message(message, signature=signature)
    except Exception:  # noqa: BLE001 - any malformed signature: perhaps a contract's
        signer = None
    if signer != row.signer and not chain.vouches(row.signer, defunct_hash_message(text=withdrawal_message(row.digest, withdrawal.at)), signature):
        raise Refused(f"the withdrawal is not signed by the order's signer {row.signer}", 403)
    session.delete(row)
    session.commit()


def refresh(session: Session, chain: ChainView, digests: set[str], block: int) -> int:
    """Re-reads the use of these orders as of `block`; marks the used up and cancelled ones spent
    in `block`. Returns how many it marked."""
    spent = 0
    for row in session.exec(select(BookOrder).where(col(BookOrder.digest).in_(sorted(digests)),
                                                    col(BookOrder.spent_in).is_(None))).all():
        consumed, cancelled = chain.order_use(row.signer, bytes.fromhex(row.digest[2:]), block)
        volume = json.loads(row.order_json)["volume"]
        if cancelled or consumed >= volume:
            row.spent_in = block
            spent += 1
        row.consumed, row.remaining = consumed, capped(max(volume - consumed, 0))
        session.add(row)
    return spent


def mark_cancelled(session: Session, signer: str, digest: str, block: int) -> bool:
    """Marks `signer`'s order `digest` spent in `block`, where its cancellation was seen; whether it was listed."""
    row = session.get(BookOrder, digest.lower())
    if row is None or row.signer != signer or row.spent_in is not None:
        return False
    row.spent_in = block
    session.add(row)
    return True


def revive(session: Session, chain: ChainView, fork_block: int) -> int:
    """After a reorg: the orders marked spent above the fork, and the listed ones partly used, are
    read again as the chain stands now; a spent one is listed again when it is neither used up nor
    cancelled now. Returns how many came back."""
    back = 0
    touched = or_(col(BookOrder.spent_in) > fork_block, and_(col(BookOrder.spent_in).is_(None), BookOrder.consumed > 0))
    for row in session.exec(select(BookOrder).where(touched)).all():
        consumed, cancelled = chain.order_use(row.signer, bytes.fromhex(row.digest[2:]))
        volume = json.loads(row.order_json)["volume"]
        row.consumed, row.remaining = consumed, capped(max(volume - consumed, 0))
        if row.spent_in is not None and not cancelled and consumed < volume:
            row.spent_in = None
            back += 1
        session.add(row)
    return back


def forget_spent(session: Session, before_block: int) -> None:
    """Deletes the orders spent before `before_block`: beyond the depth a reorg is recognized."""
    session.exec(delete(BookOrder).where(col(BookOrder.spent_in) < before_block))


def drop_expired(session: Session, now: int) -> int:
    result = session.exec(delete(BookOrder).where(BookOrder.expiry < now))
    session.commit()
    return result.rowcount or 0


def public(row: BookOrder) -> OrderPublic:
    order = json.loads(row.order_json)
    return OrderPublic(digest=row.digest, kind=row.kind, signer=row.signer, order=order, signature=row.signature,
                       volume=order["volume"], remaining=order["volume"] - row.consumed, expiry=order["expiry"],
                       published_at=row.published_at)


def _usable(column, value: int, own: str):
    """Orders a task with `own` = value could use: its own orders, restricted ones, unrestricted ones.
    A request order's dataset is what it asks for (0: none), not a restriction."""
    if own == "dataset":
        return or_(and_(BookOrder.kind.in_(["dataset", "request"]), column == value),
                   and_(BookOrder.kind.in_(["app", "pool"]), column.in_([0, value])))
    return or_(and_(BookOrder.kind == own, column == value), and_(BookOrder.kind != own, column.in_([0, value])))


def _columns(kind: str, order: dict) -> dict:
    """The filter columns of an order (see BookOrder)."""
    return {name: capped(value) if isinstance(value, int) else value for name, value in _filters(kind, order).items()}


def _filters(kind: str, order: dict) -> dict:
    if kind == "app":
        return dict(app=order["app"], dataset=order["onlyDataset"], pool=order["onlyPool"],
                    requester=order["onlyRequester"], price=order["price"])
    if kind == "dataset":
        return dict(dataset=order["dataset"], app=order["onlyApp"], pool=order["onlyPool"],
                    requester=order["onlyRequester"], price=order["price"])
    if kind == "pool":
        return dict(pool=order["pool"], app=order["onlyApp"], dataset=order["onlyDataset"],
                    requester=order["onlyRequester"], price=order["price"], trust=order["maxTrust"])
    return dict(app=order["app"], dataset=order["dataset"], pool=order["pool"], requester=order["requester"],
                price=order["maxPrice"], trust=order["trust"])
