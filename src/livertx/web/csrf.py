"""Cross-site form protection: a signed double-submit token.

The browser holds a random value in a SameSite=Strict, HttpOnly cookie; the form carries
an HMAC of that value made with a secret that lives only in this process. Another site can
neither read the cookie nor forge the HMAC, so a POST that carries a matching pair came
from a form this server rendered. Nothing about the patient is in either value.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "livertx_csrf"
FIELD = "csrf_token"
SECRET_ENV = "LIVERTX_CSRF_SECRET"  # `livertx serve` sets one for all its worker processes
# Per server run: restarting the server expires open forms (they are shown again to resubmit).
_SECRET = (os.environ.get(SECRET_ENV) or secrets.token_hex(32)).encode("utf-8")


def derived_key(purpose: str) -> bytes:
    """32 bytes for another use of this run's secret (e.g. the CDS result links).

    Not an HMAC of the secret: a form token is one, over a value the browser chooses, so a
    key made the same way could be obtained as a form token.
    """
    return hashlib.sha256(b"livertx derived key\x00" + purpose.encode("utf-8") + b"\x00"
                          + _SECRET).digest()


def _sign(nonce: str) -> str:
    return hmac.new(_SECRET, nonce.encode("utf-8"), hashlib.sha256).hexdigest()


def token_for(request: Request) -> tuple[str, str | None]:
    """(form token, new cookie value or None when the browser already has a usable one)."""
    nonce = request.cookies.get(COOKIE, "")
    if 20 <= len(nonce) <= 100:
        return _sign(nonce), None
    nonce = secrets.token_urlsafe(32)
    return _sign(nonce), nonce


def set_cookie(response: Response, nonce: str | None) -> None:
    """Give the browser its cookie (only when `token_for` made a new one)."""
    if nonce is not None:
        response.set_cookie(COOKIE, nonce, httponly=True, samesite="strict", path="/")


def is_valid(request: Request, submitted: object) -> bool:
    """True when the submitted token matches this browser's cookie."""
    nonce = request.cookies.get(COOKIE, "")
    if not nonce or not isinstance(submitted, str):
        return False
    return hmac.compare_digest(_sign(nonce), submitted)
