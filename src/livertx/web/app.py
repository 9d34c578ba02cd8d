"""`create_app()`: one FastAPI app for the pages, the JSON API and the CDS Hooks service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from livertx import __version__


class ConfigError(ValueError):
    """Settings the server refuses to start with (the message names the variable)."""


@dataclass(frozen=True)
class Settings:
    """Server settings (environment variables LIVERTX_*; see README and docs/security.md)."""

    pack_path: str | None = None
    max_body_bytes: int = 256 * 1024
    # The service's own URL: the JWT audience and the base of card links. Required when
    # trusted issuers are configured; otherwise the request's Host is used (development).
    public_base_url: str | None = None
    cds_trusted_issuers: dict[str, str] = field(default_factory=dict)  # iss -> JWKS URL or PEM
    # FHIR base URLs the service may fetch unsatisfied prefetch from: per trusted issuer,
    # and (open mode, no issuers) one list. Nothing else is ever fetched.
    cds_fhir_servers: dict[str, list[str]] = field(default_factory=dict)
    cds_open_fhir_servers: list[str] = field(default_factory=list)
    cds_fetch_deadline_s: float = 10.0          # a whole call's FHIR fetching
    cds_fetch_max_bytes: int = 4 * 1024 * 1024  # all of a call's FHIR answers together
    # The server process freezes its start-up heap and collects young objects in larger
    # batches (livertx.web.heap); from_env sets it, an app made in a test keeps the defaults.
    tune_gc: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        import json
        import os

        def loaded(name: str, default: str) -> Any:
            raw = os.environ.get(name) or default
            try:
                return json.loads(raw)
            except ValueError:
                raise ConfigError(f"{name} is not valid JSON") from None

        def number(name: str, default: float) -> float:
            try:
                value = float(os.environ.get(name) or default)
            except ValueError:
                raise ConfigError(f"{name} is not a number") from None
            if not 0 < value < 1e12:
                raise ConfigError(f"{name} must be a positive number")
            return value

        settings = cls(pack_path=os.environ.get("LIVERTX_PACK"),
                       max_body_bytes=int(number("LIVERTX_MAX_BODY_BYTES", 256 * 1024)),
                       cds_fetch_deadline_s=number("LIVERTX_CDS_FETCH_DEADLINE_S", 10.0),
                       cds_fetch_max_bytes=int(number("LIVERTX_CDS_FETCH_MAX_BYTES", 4 << 20)),
                       public_base_url=os.environ.get("LIVERTX_PUBLIC_URL") or None,
                       cds_trusted_issuers=loaded("LIVERTX_CDS_TRUSTED_ISSUERS", "{}"),
                       cds_fhir_servers=loaded("LIVERTX_CDS_FHIR_SERVERS", "{}"),
                       cds_open_fhir_servers=loaded("LIVERTX_CDS_OPEN_FHIR_SERVERS", "[]"),
                       tune_gc=True)
        settings.check()
        return settings

    def check(self) -> None:
        """ConfigError when the settings are unsafe or malformed."""
        if not isinstance(self.cds_trusted_issuers, dict) or not all(
                isinstance(v, str) for v in self.cds_trusted_issuers.values()):
            raise ConfigError("LIVERTX_CDS_TRUSTED_ISSUERS must map each issuer to a JWK Set "
                              "URL or a PEM public key")
        for issuer, source in self.cds_trusted_issuers.items():
            _check_key_source(issuer, source)
        if not isinstance(self.cds_fhir_servers, dict) or not all(
                isinstance(v, list) for v in self.cds_fhir_servers.values()):
            raise ConfigError("LIVERTX_CDS_FHIR_SERVERS must map each issuer to a list of FHIR "
                              "base URLs")
        if not isinstance(self.cds_open_fhir_servers, list):
            raise ConfigError("LIVERTX_CDS_OPEN_FHIR_SERVERS must be a list of FHIR base URLs")
        if self.cds_trusted_issuers and not self.public_base_url:
            raise ConfigError("LIVERTX_PUBLIC_URL is required when LIVERTX_CDS_TRUSTED_ISSUERS "
                              "is set: it is the audience every token must name")
        if self.public_base_url and not self.public_base_url.startswith(("https://", "http://")):
            raise ConfigError("LIVERTX_PUBLIC_URL must be an http(s) URL")


def _check_key_source(issuer: str, source: str) -> None:
    """A trusted issuer's key source must be a loadable PEM public key or an http(s) URL."""
    text = source.strip()
    if text.startswith("-----BEGIN"):
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        try:
            load_pem_public_key(text.encode())
        except (ValueError, TypeError):
            raise ConfigError(f"LIVERTX_CDS_TRUSTED_ISSUERS: the PEM key of {issuer} cannot be "
                              "read") from None
    elif not text.startswith(("https://", "http://")):
        raise ConfigError(f"LIVERTX_CDS_TRUSTED_ISSUERS: {issuer} must map to a JWK Set URL or "
                          "a PEM public key")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app. Routers live in their own modules; this only assembles them."""
    from livertx.api.docs import router as docs_router
    from livertx.api.routes import router as api_router
    from livertx.cds.routes import install as install_cds
    from livertx.cds.routes import router as cds_router
    from livertx.knowledge import load_pack
    from livertx.web.heap import lifespan
    from livertx.web.pages import router as pages_router
    from livertx.web.security import install_security

    settings = settings or Settings.from_env()
    settings.check()
    app = FastAPI(title="livertx", version=__version__,
                  description="Liver cancer treatment options from the American Cancer Society "
                              "guide (2016-2017), explained. Educational, not medical advice.",
                  docs_url=None, redoc_url=None,  # served offline by livertx.api.docs
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.pack = load_pack(settings.pack_path)
    install_security(app, settings)
    # The CDS service first: an EHR calls it on every chart opened, and a request is matched
    # against the routes in this order (no path of one router is a path of another).
    app.include_router(cds_router)
    app.include_router(pages_router)
    app.include_router(api_router)
    app.include_router(docs_router)
    install_cds(app, settings)
    return app
