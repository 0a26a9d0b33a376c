"""The scheduler's pages: the dashboard and the API reference, with every script and style they
use served from here (files of offchain_grid/api/static, read once at start); the browser is told
to load nothing from anywhere else (Content-Security-Policy)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

STATIC = Path(__file__).parent / "static"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
# nothing but this origin: no CDN, no font host, no analytics; no framing by other sites
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class Page:
    def __init__(self, path: Path):
        self.body = path.read_bytes()
        self.media_type = TYPES[path.suffix]
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'

    def answer(self, request: Request) -> Response:
        headers = {"ETag": self.etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
                   "Content-Security-Policy": POLICY, "Referrer-Policy": "no-referrer"}
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


def pages_router(dashboard: bool) -> APIRouter:
    """`/docs` always; `/` and `/dashboard` unless the operator turned the dashboard off."""
    files = {p.name: Page(p) for p in sorted(STATIC.iterdir()) if p.suffix in TYPES}
    router = APIRouter(include_in_schema=False)

    @router.get("/static/{name}")
    def static(name: str, request: Request):
        page = files.get(name)  # only the files listed at start: no path is ever joined
        if page is None or name.endswith(".html"):
            return Response('{"detail": "not found"}', status_code=404, media_type="application/json")
        return page.answer(request)

    @router.get("/docs")
    def docs(request: Request):
        return files["docs.html"].answer(request)

    if dashboard:
        @router.get("/dashboard")
        def dashboard_page(request: Request):
            return files["dashboard.html"].answer(request)

        @router.get("/")
        def home():
            return RedirectResponse("/dashboard", status_code=307)

    return router
