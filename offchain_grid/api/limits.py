"""Request limits applied before a byte is stored: body size per route, NUL characters, big bodies at a time.

An ASGI middleware, so it sees the request before FastAPI parses (and spools) its body: a
declared Content-Length over the limit is answered 413 at once, without reading the body; a
chunked body is counted as it arrives and cut at the limit (the partial multipart spool is
discarded with the request, nothing reaches the blob store). JSON bodies are parsed in memory,
so at most `heavy_at_once` bodies over HEAVY_BYTES are read at a time: the scheduler's memory
stays bounded by about that many times the largest body the limits allow.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

HEAVY_BYTES = 1 << 20  # bodies above this (or of unknown length) queue for a place
MULTIPART_SLACK = 64 * 1024  # form fields and boundaries around an uploaded file
# An app or data upload: one file (spooled to disk past 1 MB) and a few small fields, so a form of
# thousands of fields cannot make the parser hold the whole body in memory.
UPLOAD_FORM = {"max_files": 1, "max_fields": 16, "max_part_size": 64 * 1024}


def report_limit(max_result_bytes: int) -> int:
    """A worker's report batch: up to 32 MB of results and then one result of the largest size, with
    the JSON part and the multipart framing: twice the archive limit covers it."""
    return 2 * max_result_bytes


class BodyTooLarge(Exception):
    pass


class RequestLimits:
    def __init__(self, app, limit_for: Callable[[str, str], tuple[int, bool]], heavy_at_once: int = 1):
        self.app = app
        self.limit_for = limit_for  # (method, path) -> (byte limit, body parsed in memory)
        self.heavy_at_once = heavy_at_once
        self._heavy: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            return await _answer(send, 422, "NUL characters are not allowed in paths or query strings")
        limit, in_memory = self.limit_for(scope["method"], scope["path"])
        length = _content_length(scope)
        if length is not None and length > limit:
            return await _answer(send, 413, f"request body of {length} bytes exceeds the limit of {limit} bytes")
        if in_memory and (length is None or length > HEAVY_BYTES):
            if self._heavy is None:
                self._heavy = asyncio.Semaphore(self.heavy_at_once)
            async with self._heavy:
                return await self._limited(scope, receive, send, limit)
        return await self._limited(scope, receive, send, limit)

    async def _limited(self, scope, receive, send, limit: int):
        state = {"received": 0, "over": False, "started": False}

        async def counted_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["over"] = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message):
            if state["over"]:  # whatever the app answered to a cut body, the answer is 413
                return
            state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            pass
        if state["over"] and not state["started"]:
            await _answer(send, 413, f"request body exceeds the limit of {limit} bytes; it was not stored")


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
