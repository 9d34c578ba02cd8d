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


_RAW = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items()]
_CSP = b"content-security-policy"
_POLICIES = {False: CONTENT_SECURITY_POLICY.encode("latin-1"), True: DOCS_POLICY.encode("latin-1")}


class ResponseGuardMiddleware:
    """Every HTTP response's last step out, in one pass: the security headers added (a
    header a route already set is kept), and a 413, whatever produced it, rewritten with
    the documented body, `{"detail": [{"field", "message"}]}` (Starlette's body limit
    answers in plain text, or `{"detail": "..."}` for a streamed body).

    One layer rather than two: every call of the CDS service passes through it.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.body = json.dumps({"detail": [{"field": "body", "message":
                                            f"larger than {limit} bytes"}]}).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = _POLICIES[scope.get("path", "").startswith(DOCS_PATHS)]
        rewriting = False

        async def guarded(message: Message) -> None:
            nonlocal rewriting
            if message["type"] == "http.response.start":
                headers = _with_security_headers(list(message.get("headers", [])), policy)
                if message["status"] == 413:
                    rewriting = True
                    replaced = MutableHeaders(raw=headers)
                    replaced["content-type"] = "application/json"
                    replaced["content-length"] = str(len(self.body))
                    await send({**message, "headers": replaced.raw})
                    await send({"type": "http.response.body", "body": self.body})
                    return
                message["headers"] = headers
            elif rewriting:
                return  # the original 413 body
            await send(message)

        await self.app(scope, receive, guarded)


def _with_security_headers(headers: list[tuple[bytes, bytes]], policy: bytes
                           ) -> list[tuple[bytes, bytes]]:
    """`headers` with each security header the response did not set appended."""
    present = {name.lower() for name, _ in headers}
    if _CSP not in present:
        headers.append((_CSP, policy))
    headers += [pair for pair in _RAW if pair[0] not in present]
    return headers


def install_security(app: FastAPI, settings: Any) -> None:
    """Cap request bodies at `settings.max_body_bytes` (413) and add the security headers.

    Starlette's body-limit middleware answers 413 both when Content-Length is too large
    and when a streamed body grows past the cap; it sits inside the guard, so the
    413 gets the JSON body and carries the headers too.
    """
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=int(settings.max_body_bytes))
    app.add_middleware(ResponseGuardMiddleware, limit=int(settings.max_body_bytes))
