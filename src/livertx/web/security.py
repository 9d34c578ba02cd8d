"""Security headers on every response and a cap on request bodies, for the whole app.

Cross-site form protection is per form (see `livertx.web.csrf`), so the JSON API and the
CDS Hooks service, which other clients call without a browser form, are not affected.
"""

from __future__ import annotations

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


def install_security(app: FastAPI, settings: Any) -> None:
    """Cap request bodies at `settings.max_body_bytes` (413) and add the security headers.

    Starlette's body-limit middleware answers 413 both when Content-Length is too large
    and when a streamed body grows past the cap; it sits inside the header middleware so
    the 413 carries the headers too.
    """
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=int(settings.max_body_bytes))
    app.add_middleware(SecurityHeadersMiddleware)
