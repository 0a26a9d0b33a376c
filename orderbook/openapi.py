"""The book's OpenAPI description says what it really answers on errors: {"detail": "one line"}."""

from __future__ import annotations

from fastapi import FastAPI

from offchain_grid.api.openapi import ERROR

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
    """Replace FastAPI's generated 422 body (never sent here) by the real error body, on every error status."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        schemas["Error"] = ERROR
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for code in _codes(path, method):
                    responses[code] = {"description": WHY[code], "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
