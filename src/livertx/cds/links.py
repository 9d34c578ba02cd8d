"""The link card's target: an opaque, expiring token instead of patient facts in the URL.

The facts the card was built on are encrypted and authenticated (Fernet: AES-128-CBC with
HMAC-SHA256, from `cryptography`) with a key derived from the server's secret, which
`livertx serve` shares among its workers. The URL therefore carries no patient value, it
cannot be forged or altered, and it stops working after `TTL_S`: it can only have been
made by a call the service accepted (with its token, when auth is on).
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from livertx.web.csrf import derived_key

TTL_S = 15 * 60
MAX_TOKEN_CHARS = 8 * 1024


class LinkExpired(Exception):
    """The token is not one this server made, was altered, or is too old."""


@functools.cache
def _fernet() -> Fernet:
    """Made once: the key is this run's secret's, fixed for the life of the process."""
    return Fernet(base64.urlsafe_b64encode(derived_key("cds-result-link")))


def seal(facts: dict[str, Any]) -> str:
    """The URL-safe token for these vocabulary facts."""
    data = json.dumps(facts, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return _fernet().encrypt(data).decode("ascii")


def unseal(token: str, ttl_s: int = TTL_S) -> dict[str, Any]:
    """The facts a token carries, or LinkExpired."""
    if len(token) > MAX_TOKEN_CHARS:
        raise LinkExpired
    try:
        facts = json.loads(_fernet().decrypt(token.encode("ascii"), ttl=ttl_s))
    except (InvalidToken, UnicodeEncodeError, ValueError):
        raise LinkExpired from None
    if not isinstance(facts, dict):
        raise LinkExpired
    return facts
