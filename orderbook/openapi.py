"""The book's OpenAPI description says what it really answers on errors: {"detail": "one line"}."""

from __future__ import annotations

from fastapi import FastAPI

from offchain_grid.api.openapi import document_errors

WHY = {
    "400": "malformed body",
    "403": "the withdrawal is not signed by the order's signer",
    "404": "no such order on the book, or no orders fit",
    "409": "the order was cancelled or used up on chain",
    "413": "body over the size limit (refused before it is read)",
    "422": "invalid input: a malformed field, a wrong signature, domain or terms",
    "429": "the signer holds the most orders the book takes per signer",
    "503": "the chain or the database could not answer; retry",
}


def _codes(path: str, method: str) -> list[str]:
    if path == "/health":
        return ["422"]
    codes = ["404", "422", "503"]
    if method == "post":
        codes += ["400", "403", "409", "413", "429"]
    return sorted(codes)


def describe_errors(app: FastAPI) -> None:
    """The book's routes and their real error bodies."""
    document_errors(app, _codes, WHY)
