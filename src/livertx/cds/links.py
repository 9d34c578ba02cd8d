"""The link card's target: an opaque, expiring token instead of patient facts in the URL.

The facts the card was built on are encrypted and authenticated (AES-256-GCM, from
`cryptography`) with a key derived from the server's secret, which `livertx serve` shares
among its workers; the time the token was made is authenticated with them. The URL
therefore carries no patient value, it cannot be forged or altered, and it stops working
after `TTL_S`: it can only have been made by a call the service accepted (with its token,
when auth is on). One AES-GCM call seals a link in a few microseconds (Fernet, used before,
took about ten times as long: a new cipher and HMAC per token), and every CDS call makes one.

Token: URL-safe base64 (no padding) of version (1 byte) | issued at (8 bytes, Unix
seconds) | nonce (12 random bytes) | ciphertext and tag; version and time are the
associated data, and the key is the one of the issue time's period (`_cipher`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import struct
import time
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from livertx.web.csrf import derived_key

TTL_S = 15 * 60
MAX_TOKEN_CHARS = 8 * 1024
CLOCK_SKEW_S = 60  # a token dated this far ahead (another worker's clock) is still taken
_VERSION = b"\x01"
_HEADER = struct.Struct(">cQ")  # version, issued at
_NONCE_BYTES = 12


class LinkExpired(Exception):
    """The token is not one this server made, was altered, or is too old."""


@functools.lru_cache(maxsize=8)
def _cipher(period: int) -> AESGCM:
    """The key of one `TTL_S` period (by the token's issue time), from this run's secret.

    A fresh key per period keeps each key's use far below the 2^32 messages that random
    96-bit nonces allow under one AES-GCM key, even for a server that keeps its secret
    (`LIVERTX_CSRF_SECRET`) for years at hundreds of calls a second."""
    return AESGCM(derived_key(f"cds-result-link:{period}"))


def seal(facts: dict[str, Any], now: float | None = None) -> str:
    """The URL-safe token for these vocabulary facts (`now`: the time it is made)."""
    data = orjson.dumps(facts, option=orjson.OPT_SORT_KEYS)
    issued = int(time.time() if now is None else now)
    header = _HEADER.pack(_VERSION, issued)
    nonce = os.urandom(_NONCE_BYTES)
    token = header + nonce + _cipher(issued // TTL_S).encrypt(nonce, data, header)
    return base64.urlsafe_b64encode(token).rstrip(b"=").decode("ascii")


def unseal(token: str, ttl_s: int = TTL_S, now: float | None = None) -> dict[str, Any]:
    """The facts a token carries, or LinkExpired."""
    if len(token) > MAX_TOKEN_CHARS:
        raise LinkExpired
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise LinkExpired from None
    start = _HEADER.size + _NONCE_BYTES
    if len(raw) < start + 16 or raw[:1] != _VERSION:
        raise LinkExpired
    header, nonce = raw[:_HEADER.size], raw[_HEADER.size:start]
    issued = _HEADER.unpack(header)[1]
    current = time.time() if now is None else now
    if not current - ttl_s <= issued <= current + CLOCK_SKEW_S:
        raise LinkExpired  # read before it is authenticated, but it is associated data:
        # the decryption below fails unless it is the time the token was sealed with
    try:
        data = _cipher(issued // TTL_S).decrypt(nonce, raw[start:], header)
    except InvalidTag:
        raise LinkExpired from None
    try:
        facts = json.loads(data)
    except ValueError:
        raise LinkExpired from None
    if not isinstance(facts, dict):
        raise LinkExpired
    return facts
