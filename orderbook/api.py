"""The order book's HTTP API (FastAPI): publish, list, read, withdraw and quote signed orders.
Every error is a 4xx (or 503 when the chain or the database cannot answer) with one line in
{"detail": ...}; bodies are capped before they are read."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from eth_utils import is_address, to_checksum_address
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from requests.exceptions import RequestException
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from web3.exceptions import Web3Exception

from offchain_grid.api.limits import RequestLimits

from . import book, matching, orders
from .chain import ZERO, ChainView
from .db import make_engine, writer_lock
from .follower import Follower
from .models import OrderPublic, Publication, Withdrawal
from .openapi import describe_errors
from .quote import Quote, best_offers
from .validation import Refused

log = logging.getLogger("orderbook")
API = "/api/v1"
MAX_BODY = 32 * 1024  # an order with 4 KB of params, in hex, and its signature
MAX_LIMIT = 500


@dataclass
class Settings:
    db_url: str
    chain: ChainView
    start_block: int
    confirmations: int = 1
    poll_interval: float = 1.0  # seconds between rounds of the chain follower
    max_per_signer: int = 1_000  # orders one signer may have on the book


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = threading.Event()
        thread = threading.Thread(target=_follow, args=(app.state.follower, settings.poll_interval, stop),
                                  name="chain-follower", daemon=True)
        thread.start()
        yield
        stop.set()
        thread.join(timeout=10)

    app = FastAPI(title="cumulus order book", version="1", lifespan=lifespan,
                  description="Signed orders of the Cumulus market: published, listed, dropped once spent on chain.")
    engine = make_engine(settings.db_url)
    app.state.settings, app.state.engine, app.state.lock = settings, engine, writer_lock(engine)
    app.state.follower = Follower(settings.chain, engine, app.state.lock, start_block=settings.start_block,
                                  confirmations=settings.confirmations)
    app.add_middleware(RequestLimits, limit_for=lambda _method, _path: (MAX_BODY, True))
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"])  # pages read the book
    _errors(app)
    _routes(app)
    describe_errors(app)
    return app


def _session(request: Request) -> Iterator[Session]:
    with request.app.state.lock, Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def _chain(request: Request) -> ChainView:
    return request.app.state.settings.chain


SessionDep = Annotated[Session, Depends(_session, scope="function")]
ChainDep = Annotated[ChainView, Depends(_chain)]
Id = Annotated[int | None, Query(ge=0, lt=2**64)]


def _routes(app: FastAPI) -> None:
    @app.post(f"{API}/orders", response_model=OrderPublic, status_code=201, tags=["orders"])
    def publish(publication: Publication, session: SessionDep, chain: ChainDep, response: Response):
        """Publish a signed order. The book checks its terms, that its signer is the party the Hub
        requires (the app's or dataset's owner, the pool's owner or oracle, the requester; a
        contract through ERC-1271) under this Hub's domain, and that it is neither cancelled nor
        used up on chain; a request order needs the requester's escrow deposit to cover its
        maxPrice. Publishing an order already listed returns it (200)."""
        row, created = book.publish(session, chain, publication, max_per_signer=app.state.settings.max_per_signer)
        if not created:
            response.status_code = 200
        return book.public(row)

    @app.get(f"{API}/orders", response_model=list[OrderPublic], tags=["orders"])
    def list_orders(session: SessionDep, chain: ChainDep,
                    kind: Annotated[str | None, Query(pattern="^(app|dataset|pool|request)$")] = None,
                    app_id: Annotated[int | None, Query(alias="app", ge=0, lt=2**64)] = None, dataset: Id = None,
                    pool: Id = None, requester: str | None = None, signer: str | None = None,
                    max_price: Annotated[int | None, Query(ge=0, lt=2**64)] = None,
                    trust: Annotated[int | None, Query(ge=1, le=32)] = None,
                    min_remaining: Annotated[int, Query(ge=0, lt=2**64)] = 1,
                    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
                    offset: Annotated[int, Query(ge=0, le=100_000)] = 0):
        """Live orders, cheapest first. `app`, `dataset`, `pool` and `requester` keep the orders a
        task with that entry could use; `trust` keeps pools offering at least that trust (and
        requests asking it); `min_remaining` (default 1) the orders with that much volume left."""
        rows = book.listing(session, now=chain.now(), kind=kind, app=app_id, dataset=dataset, pool=pool,
                            requester=_address(requester, "requester"), signer=_address(signer, "signer"),
                            max_price=max_price, trust=trust, min_remaining=min_remaining, limit=limit, offset=offset)
        return [book.public(row) for row in rows]

    @app.get(f"{API}/orders/{{digest}}", response_model=OrderPublic, tags=["orders"])
    def read_order(digest: str, session: SessionDep):
        row = session.get(book.BookOrder, _digest(digest))
        if row is None or row.spent_in is not None:
            raise Refused(f"no order {digest} on the book (never published, withdrawn, or spent on chain)", 404)
        return book.public(row)

    @app.post(f"{API}/orders/{{digest}}/withdrawal", status_code=204, tags=["orders"])
    def withdraw(digest: str, withdrawal: Withdrawal, session: SessionDep, chain: ChainDep):
        """Take an order off the book: its signer signs (EIP-191) `Withdraw order <digest> from the
        Cumulus order book at <unix time>`. The order stays valid on chain until it expires;
        `cancelOrders` on the Hub makes its end final."""
        book.withdraw(session, chain, _digest(digest), withdrawal)

    @app.get(f"{API}/quote", response_model=Quote, tags=["orders"])
    def quote(session: SessionDep, chain: ChainDep, app_id: Annotated[int, Query(alias="app", ge=1, lt=2**64)],
              dataset: Annotated[int, Query(ge=0, lt=2**64)] = 0, pool: Annotated[int, Query(ge=0, lt=2**64)] = 0,
              trust: Annotated[int, Query(ge=1, le=32)] = 1,
              min_stake: Annotated[int, Query(ge=0, lt=2**64)] = 0, min_score: Annotated[int, Query(ge=0, lt=2**32)] = 0,
              callback_gas: Annotated[int, Query(ge=0, le=2_000_000)] = 0, requester: str = ZERO):
        """The cheapest orders a task of this shape can be matched with now, and its price (what a
        front end shows before the requester signs). 404 when no orders fit."""
        shape = orders.new_order("request", requester=_address(requester, "requester"), app=app_id, dataset=dataset,
                                 pool=pool, trust=trust, minStake=min_stake, minScore=min_score,
                                 callback=ZERO if callback_gas == 0 else "0x" + "11" * 20,
                                 callbackGasLimit=callback_gas, maxPrice=2**64 - 1, expiry=2**64 - 1, volume=1)
        found = best_offers(session, shape, chain.now())
        if found is None:
            raise Refused("no live orders fit a task of this shape", 404)
        return found

    @app.get("/health", tags=["health"])
    def health():
        return {"status": "ok"}


def _errors(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused):
        return JSONResponse(status_code=exc.status, content={"detail": str(exc)})

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError):
        parts = [f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}" for e in exc.errors()[:5]]
        return JSONResponse(status_code=422, content={"detail": "invalid request: " + "; ".join(parts)})

    @app.exception_handler(DBAPIError)
    async def database(_request: Request, exc: DBAPIError):
        log.warning("database error, answered 503: %s", str(exc.orig or exc).strip().splitlines()[0])
        return JSONResponse(status_code=503, content={"detail": "the database could not complete the request; retry"},
                            headers={"Retry-After": "1"})

    async def chain_down(_request: Request, exc: Exception):
        log.warning("chain unreachable, answered 503: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return JSONResponse(status_code=503, content={"detail": "the chain could not be read; retry"},
                            headers={"Retry-After": "2"})

    app.add_exception_handler(RequestException, chain_down)
    app.add_exception_handler(Web3Exception, chain_down)


def _address(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not is_address(value):
        raise Refused(f"{what} must be an address (0x and 40 hex digits)")
    return to_checksum_address(value)


def _digest(value: str) -> str:
    text = value.lower()
    if len(text) != 66 or not text.startswith("0x") or any(c not in "0123456789abcdef" for c in text[2:]):
        raise Refused("an order's digest is 0x and 64 hex digits")
    return text


def _follow(follower: Follower, interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            follower.step()
        except Exception as exc:  # noqa: BLE001 - a chain or database hiccup: try again next round
            log.warning("following the chain: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        stop.wait(interval)
