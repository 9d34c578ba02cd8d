"""Security headers on every response and a cap on request bodies, for the whole app.

Cross-site form protection is per form (see `livertx.web.csrf`), so the JSON API and the
CDS Hooks service, which other clients call without a browser form, are not affected.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages use only files from this server: no inline script or style anywhere.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
                           "form-action 'self'; base-uri 'none'")
# The API docs (livertx.api.docs) run Swagger UI / ReDoc from this server's own files; they
# set styles inline and ReDoc starts a worker from a blob. They show no patient data.
DOCS_PATHS = ("/docs", "/redoc")
DOCS_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; "
               "frame-ancestors 'none'; base-uri 'none'")

HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response (a header a route already set is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = DOCS_POLICY if path.startswith(DOCS_PATHS) else CONTENT_SECURITY_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TooLargeAsJsonMiddleware:
    """Gives every 413 the documented body, `{"detail": [{"field", "message"}]}`.

    Starlette's body limit answers in plain text (or `{"detail": "..."}` for a streamed
    body); this rewrites any 413 on its way out, whatever produced it.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.body = json.dumps({"detail": [{"field": "body", "message":
                                            f"larger than {limit} bytes"}]}).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rewriting = False

        async def send_rewritten(message: Message) -> None:
            nonlocal rewriting
            if message["type"] == "http.response.start" and message["status"] == 413:
                rewriting = True
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                headers["content-type"] = "application/json"
                headers["content-length"] = str(len(self.body))
                await send({**message, "headers": headers.raw})
                await send({"type": "http.response.body", "body": self.body})
                return
            if rewriting:
                return  # the original 413 body
            await send(message)

        await self.app(scope, receive, send_rewritten)


def install_security(app: FastAPI, settings: Any) -> None:
    """Cap request bodies at `settings.max_body_bytes` (413) and add the security headers.

    Starlette's body-limit middleware answers 413 both when Content-Length is too large
    and when a streamed body grows past the cap; it sits inside the header middleware so
    the 413 carries the headers too.
    """
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=int(settings.max_body_bytes))
    app.add_middleware(TooLargeAsJsonMiddleware, limit=int(settings.max_body_bytes))
    app.add_middleware(SecurityHeadersMiddleware)
