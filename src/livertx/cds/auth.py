"""CDS Hooks 2.0 security: the EHR's bearer JWT, verified on every call when configured.

`settings.cds_trusted_issuers` maps each trusted `iss` to its JWK Set URL or a PEM public
key. Only asymmetric algorithms are accepted (`none` and HMAC are refused); the token must
name the exact service URL as `aud`, carry `exp`, `iat` and `jti`, and a `jti` is accepted
once (an in-memory cache, kept until the token expires). Without configured issuers the
service is open (development, the public sandbox).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt
from jwt import PyJWKClient

ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
LEEWAY_S = 5
MAX_JTI = 100_000


class Unauthorized(Exception):
    """The bearer token is missing or not acceptable (-> 401)."""


class TokenVerifier:
    """Verifies CDS Hooks bearer JWTs against trusted issuers' keys."""

    def __init__(self, issuers: dict[str, str]):
        self.issuers = dict(issuers)
        self._jwks: dict[str, PyJWKClient] = {}
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.issuers)

    def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The verified claims, or Unauthorized saying why. (Blocking: may fetch a JWKS.)"""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthorized("a bearer JWT is required (Authorization: Bearer <token>)")
        token = authorization[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"not a JWT ({exc})") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Unauthorized(f"algorithm {alg!r} is refused; use an asymmetric one such as "
                               "ES384 or RS384")
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or issuer not in self.issuers:
            raise Unauthorized(f"issuer {issuer!r} is not trusted")
        key = self._key(issuer, header)
        try:
            verified = jwt.decode(token, key, algorithms=[alg], audience=audience, issuer=issuer,
                                  leeway=LEEWAY_S, options={"require": REQUIRED_CLAIMS,
                                                            "strict_aud": True})
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"token rejected: {exc}") from None
        self._once(issuer, str(verified["jti"]), float(verified["exp"]))
        return verified

    def _key(self, issuer: str, header: dict[str, Any]) -> Any:
        source = self.issuers[issuer].strip()
        if source.startswith("-----BEGIN"):
            return source
        client = self._jwks.get(issuer)
        if client is None:
            client = self._jwks[issuer] = PyJWKClient(source, cache_keys=True, lifespan=300,
                                                      timeout=5)
        try:
            kid = header.get("kid")
            if kid:
                return client.get_signing_key(kid).key
            keys = client.get_signing_keys()
            if len(keys) != 1:
                raise Unauthorized("the token has no kid and the issuer's JWK Set has several keys")
            return keys[0].key
        except jwt.PyJWKClientError as exc:
            raise Unauthorized(f"no key for this token in the issuer's JWK Set ({exc})") from None

    def _once(self, issuer: str, jti: str, expires: float) -> None:
        now = time.time()
        with self._lock:
            if len(self._seen) > MAX_JTI:
                self._seen = {k: v for k, v in self._seen.items() if v + LEEWAY_S > now}
            if (issuer, jti) in self._seen:
                raise Unauthorized("token replayed (jti already used)")
            self._seen[(issuer, jti)] = expires
