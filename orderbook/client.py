"""The order book's HTTP API as Python calls, for the chain command line and the oracle."""

from __future__ import annotations

import time

import requests
from eth_account.messages import encode_defunct

from . import matching, orders
from .book import withdrawal_message

API = "/api/v1"


class BookError(Exception):
    """The book refused, or could not be reached; the message is its one line."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class BookClient:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def publish(self, kind: str, order: dict, signature: bytes) -> dict:
        """Publishes a signed order; returns it as the book lists it."""
        return self._call("POST", "/orders", json={"kind": kind, "order": orders.to_json(kind, order),
                                                    "signature": "0x" + signature.hex()})

    def orders(self, **filters) -> list[dict]:
        """Live orders by the book's filters (kind, app, dataset, pool, requester, signer,
        max_price, trust, min_remaining, limit, offset), cheapest first."""
        return self._call("GET", "/orders", params={k: v for k, v in filters.items() if v is not None})

    def order(self, digest: str) -> dict:
        return self._call("GET", f"/orders/{digest}")

    def quote(self, **shape) -> dict:
        """The cheapest orders for a task of this shape (app, dataset, pool, trust, min_stake,
        min_score, callback_gas, requester) and its price."""
        return self._call("GET", "/quote", params={k: v for k, v in shape.items() if v is not None})

    def best_orders(self, request: dict, now: int) -> tuple[dict, dict | None, dict, dict, int] | None:
        """The book's cheapest orders for `request` (a canonical request order), checked again
        here, since the book is not trusted: (app, dataset, pool, their signatures, price), or
        None when no orders fit."""
        shape = dict(app=request["app"], dataset=request["dataset"], pool=request["pool"], trust=request["trust"],
                     min_stake=request["minStake"], min_score=request["minScore"], requester=request["requester"],
                     callback_gas=request["callbackGasLimit"] if request["callback"] != orders.ZERO_ADDRESS else 0)
        try:
            quote = self.quote(**shape)
        except BookError as exc:
            if exc.status == 404:
                return None
            raise
        picked = {kind: parse_listed(quote[kind])[1:] for kind in ("app", "dataset", "pool") if quote.get(kind)}
        if "app" not in picked or "pool" not in picked:
            raise BookError("the book's quote lacks an app or a pool order")
        app, pool = picked["app"][0], picked["pool"][0]
        dataset = picked["dataset"][0] if "dataset" in picked else None
        why = matching.mismatch(app, dataset, pool, request, now)
        if why is not None:
            raise BookError(f"the book's best orders do not fit: {why}")
        signatures = {kind: signature for kind, (_order, signature) in picked.items()}
        return app, dataset, pool, signatures, matching.price(app, dataset, pool, request)

    def withdraw(self, digest: str, account) -> None:
        """Takes `account`'s order off the book (it signs the withdrawal)."""
        at = int(time.time())
        signed = account.sign_message(encode_defunct(text=withdrawal_message(digest, at)))
        self._call("POST", f"/orders/{digest}/withdrawal", json={"at": at, "signature": "0x" + bytes(signed.signature).hex()})

    def _call(self, method: str, path: str, **kwargs):
        try:
            response = self.http.request(method, f"{self.url}{API}{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise BookError(f"cannot reach the order book at {self.url}: {exc.__class__.__name__}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text[:200]
            raise BookError(f"the order book refused ({response.status_code}): {detail}", response.status_code)
        return response.json() if response.content else None


def parse_listed(entry: dict) -> tuple[str, dict, bytes]:
    """(kind, canonical order, signature) of an order as the book lists it."""
    kind = entry["kind"]
    return kind, orders.parse(kind, entry["order"]), orders.hex_bytes(entry["signature"], "signature")
