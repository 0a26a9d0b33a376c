"""The OpenAPI description says what the server really answers on errors: {"detail": "one line"}."""

from __future__ import annotations

from typing import Callable

from fastapi import FastAPI

ERROR = {"type": "object", "title": "Error", "required": ["detail"], "additionalProperties": False,
         "properties": {"detail": {"type": "string", "title": "Detail", "description": "one line, for people"}}}
WHY = {
    "400": "malformed body (e.g. a multipart form that cannot be parsed)",
    "401": "missing or wrong token (or worker session)",
    "403": "not allowed to this caller (another user's object, an admin route, a blacklisted worker's download)",
    "404": "no such object visible to this caller",
    "409": "conflict: the name is taken, the object is in use, or the status cannot change so",
    "413": "body over the size limit (refused before it is stored)",
    "422": "invalid input (validation, NUL characters, a checksum or path that does not fit)",
    "503": "the database could not complete the request; retry",
}


# Routes that answer with a file, and its media type (FastAPI documents JSON for them).
DOWNLOADS = {"/api/v1/apps/{ref}/file": "application/octet-stream",
             "/api/v1/datas/{uid}/content": "application/octet-stream",
             "/api/v1/jobs/{uid}/result": "application/x-tar",
             "/api/v1/worker/blobs/{checksum}": "application/octet-stream"}


# Prometheus text by default, OpenMetrics when the scraper asks for it
METRICS_RESPONSE = {"description": "Prometheus exposition text", "content": {
    "text/plain": {"schema": {"type": "string"}}, "application/openmetrics-text": {"schema": {"type": "string"}}}}
PUBLIC = {"/api/v1/dashboard": ["422", "503"], "/api/v1/dashboard/jobs/{uid}": ["404", "422", "503"],
          "/metrics": ["422", "503"]}  # no token needed


def _codes(path: str, method: str) -> list[str]:
    """The error statuses a route can answer (every route: 422, for a NUL in its query string)."""
    if path == "/health":
        return ["422"]
    if path in PUBLIC:
        return PUBLIC[path]
    codes = ["401", "403", "404", "409", "422", "503"]
    if path.endswith("/worker/challenge"):
        codes = ["422", "503"]
    if method in ("post", "put", "patch"):
        codes += ["400", "413"]
    return sorted(codes)


def describe_errors(app: FastAPI) -> None:
    """The grid's routes: their real error bodies, and file downloads documented as files."""
    document_errors(app, _codes, WHY, DOWNLOADS)


def document_errors(app: FastAPI, codes: Callable[[str, str], list[str]], why: dict[str, str],
                    downloads: dict[str, str] | None = None) -> None:
    """Replace FastAPI's generated 422 body (never sent) by the real error body on each status
    `codes(path, method)` names, described by `why`; `downloads` maps file routes to their media type."""
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
                if downloads and path in downloads and method == "get":
                    responses["200"]["content"] = {downloads[path]: {"schema": {"type": "string", "format": "binary"}}}
                for code in codes(path, method):
                    responses[code] = {"description": why[code], "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
