"""The public keys of trusted issuers: a PEM configured, or a JWK Set fetched on the loop.

A slow or dead JWKS endpoint must not stall the server, so fetching is asynchronous (no
worker thread, no global lock) and, per issuer: one fetch at a time that every waiting
call shares (single flight), a short deadline, a size cap, and after a failure a pause
(negative cache) during which calls are refused at once instead of fetching again. An
unknown `kid` refetches at most once per `REFRESH_S`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from livertx.cds.http import Budget, FetchFailed, get_json

DEADLINE_S = 3.0      # a whole JWKS fetch
MAX_JWKS_BYTES = 64 * 1024
KEYS_TTL_S = 300.0    # keys are refetched after this
REFRESH_S = 30.0      # an unknown kid refetches at most this often
NEGATIVE_S = 30.0     # after a failed fetch, no new attempt for this long


class KeyUnavailable(Exception):
    """No key for this token (message says why)."""


@dataclass
class _Issuer:
    source: str
    keys: dict[str, Any] = field(default_factory=dict)   # kid ("" when absent) -> key
    fetched_at: float = -1e18
    failed_until: float = -1e18
    inflight: asyncio.Future[None] | None = None


class IssuerKeys:
    def __init__(self, issuers: dict[str, str], *, deadline_s: float = DEADLINE_S):
        self.deadline_s = deadline_s
        self._issuers: dict[str, _Issuer] = {}
        for iss, source in issuers.items():
            state = _Issuer(source.strip())
            if state.source.startswith("-----BEGIN"):
                state.keys = {"": load_pem_public_key(state.source.encode())}
                state.fetched_at = float("inf")
            self._issuers[iss] = state

    async def key(self, issuer: str, kid: str | None) -> Any:
        """The issuer's public key for `kid` (the only key when the token names none)."""
        state = self._issuers[issuer]
        if state.fetched_at == float("inf"):
            return state.keys[""]
        now = time.monotonic()
        stale = now - state.fetched_at > KEYS_TTL_S
        unknown = kid not in state.keys if kid else len(state.keys) != 1
        if stale or (unknown and now - state.fetched_at > REFRESH_S):
            await self._refresh(state)
        if kid:
            if kid not in state.keys:
                raise KeyUnavailable(f"no key with kid {kid!r} in the issuer's JWK Set")
            return state.keys[kid]
        if len(state.keys) != 1:
            raise KeyUnavailable("the token has no kid and the issuer's JWK Set does not have "
                                 "exactly one key")
        return next(iter(state.keys.values()))

    async def _refresh(self, state: _Issuer) -> None:
        if time.monotonic() < state.failed_until:
            if state.keys:
                return  # keep using the keys we have
            raise KeyUnavailable("the issuer's JWK Set could not be fetched recently; retry later")
        if state.inflight is None:
            state.inflight = asyncio.get_running_loop().create_future()
            try:
                await self._fetch(state)
            finally:
                done, state.inflight = state.inflight, None
                done.set_result(None)
        else:
            await asyncio.shield(state.inflight)
        if not state.keys:
            raise KeyUnavailable("the issuer's JWK Set could not be fetched; retry later")

    async def _fetch(self, state: _Issuer) -> None:
        try:
            with anyio.fail_after(self.deadline_s):
                async with httpx.AsyncClient(follow_redirects=False) as client:
                    status, body = await get_json(client, state.source,
                                                  {"Accept": "application/json"},
                                                  Budget(MAX_JWKS_BYTES))
            if status != 200:
                raise FetchFailed(f"HTTP {status}")
            keys = {}
            for jwk in jwt.PyJWKSet.from_dict(body).keys:
                keys[jwk.key_id or ""] = jwk.key
        except (FetchFailed, TimeoutError, jwt.PyJWTError, ValueError, TypeError, AttributeError):
            state.failed_until = time.monotonic() + NEGATIVE_S
            return
        state.keys, state.fetched_at = keys, time.monotonic()
