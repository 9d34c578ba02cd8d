"""CDS Hooks 2.0 security: the EHR's bearer JWT, verified on every call when configured.

`settings.cds_trusted_issuers` maps each trusted `iss` to its JWK Set URL or a PEM public
key. Only asymmetric algorithms are accepted (`none` and HMAC are refused), and the key
must be of the algorithm's family; the token must name the service's configured public
URL as `aud`, carry `exp`, `iat` and `jti`, live at most `MAX_LIFETIME_S` (CDS Hooks
advises five minutes), and a `jti` is accepted once (see replay). Every problem with a
token is an `Unauthorized` (401), never a 500. Without configured issuers the service is
open (development, the public sandbox).
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from livertx.cds.keys import IssuerKeys, KeyUnavailable
from livertx.cds.replay import ReplayStore

ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
LEEWAY_S = 5
MAX_LIFETIME_S = 300
MAX_TOKEN_CHARS = 16 * 1024


class Unauthorized(Exception):
    """The bearer token is missing or not acceptable (-> 401)."""


def _family_matches(alg: str, key: Any) -> bool:
    if alg.startswith("ES"):
        return isinstance(key, ec.EllipticCurvePublicKey)
    return isinstance(key, rsa.RSAPublicKey)


class TokenVerifier:
    """Verifies CDS Hooks bearer JWTs against trusted issuers' keys (on the event loop)."""

    def __init__(self, issuers: dict[str, str], *, keys: IssuerKeys | None = None):
        self.issuers = dict(issuers)
        self.keys = keys or IssuerKeys(self.issuers)
        self.replay = ReplayStore(grace_s=LEEWAY_S)

    @property
    def enabled(self) -> bool:
        return bool(self.issuers)

    async def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The verified claims, or Unauthorized saying why."""
        try:
            return await self._verify(authorization, audience)
        except Unauthorized:
            raise
        except Exception as exc:  # noqa: BLE001 - any other failure is still a bad token
            raise Unauthorized(f"token rejected ({type(exc).__name__})") from None

    async def _verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthorized("a bearer JWT is required (Authorization: Bearer <token>)")
        token = authorization[7:].strip()
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthorized("the token is too long")
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
        kid = header.get("kid")
        try:
            key = await self.keys.key(issuer, kid if isinstance(kid, str) else None)
        except KeyUnavailable as exc:
            raise Unauthorized(f"no key for this token in the issuer's JWK Set ({exc})") from None
        if not _family_matches(alg, key):
            raise Unauthorized(f"the key {kid or ''} of this issuer does not fit algorithm {alg}")
        try:
            verified = jwt.decode(token, key, algorithms=[alg], audience=audience, issuer=issuer,
                                  leeway=LEEWAY_S, options={"require": REQUIRED_CLAIMS,
                                                            "strict_aud": True})
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"token rejected: {exc}") from None
        issued, expires = float(verified["iat"]), float(verified["exp"])
        now = time.time()
        if issued > now + LEEWAY_S:
            raise Unauthorized("token rejected: issued in the future (iat)")
        if expires - issued > MAX_LIFETIME_S:
            raise Unauthorized(f"token rejected: lives {expires - issued:.0f} s; at most "
                               f"{MAX_LIFETIME_S} s (exp - iat) is accepted")
        refused = self.replay.check(issuer, str(verified["jti"]), expires, now)
        if refused:
            raise Unauthorized(refused)
        return verified
