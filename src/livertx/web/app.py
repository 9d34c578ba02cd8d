"""`create_app()`: one FastAPI app for the pages, the JSON API and the CDS Hooks service."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI

from livertx import __version__


@dataclass(frozen=True)
class Settings:
    """Server settings (environment variables LIVERTX_*; see README)."""

    pack_path: str | None = None
    max_body_bytes: int = 256 * 1024
    public_base_url: str | None = None  # for links in CDS cards; default: the request's
    cds_trusted_issuers: dict[str, str] = field(default_factory=dict)  # iss -> JWKS URL or PEM

    @classmethod
    def from_env(cls) -> Settings:
        import json
        import os

        issuers = os.environ.get("LIVERTX_CDS_TRUSTED_ISSUERS")
        return cls(pack_path=os.environ.get("LIVERTX_PACK"),
                   max_body_bytes=int(os.environ.get("LIVERTX_MAX_BODY_BYTES", str(256 * 1024))),
                   public_base_url=os.environ.get("LIVERTX_PUBLIC_URL"),
                   cds_trusted_issuers=json.loads(issuers) if issuers else {})


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app. Routers live in their own modules; this only assembles them."""
    from livertx.api.docs import router as docs_router
    from livertx.api.routes import router as api_router
    from livertx.cds.routes import install as install_cds
    from livertx.cds.routes import router as cds_router
    from livertx.knowledge import load_pack
    from livertx.web.pages import router as pages_router
    from livertx.web.security import install_security

    settings = settings or Settings.from_env()
    app = FastAPI(title="livertx", version=__version__,
                  description="Liver cancer treatment options from the American Cancer Society "
                              "guide (2016-2017), explained. Educational, not medical advice.",
                  docs_url=None, redoc_url=None)  # served offline by livertx.api.docs
    app.state.settings = settings
    app.state.pack = load_pack(settings.pack_path)
    install_security(app, settings)
    app.include_router(pages_router)
    app.include_router(api_router)
    app.include_router(docs_router)
    app.include_router(cds_router)
    install_cds(app, settings)
    return app
