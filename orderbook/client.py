"""The order book's HTTP API as Python calls, for the chain command line and the oracle."""

from __future__ import annotations

import time

import requests
from eth_account.messages import encode_defunct

from . import orders
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
