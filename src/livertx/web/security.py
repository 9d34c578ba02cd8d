"""Security headers, body size cap and cross-site form protection (owned by the web module)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def install_security(app: FastAPI, settings: Any) -> None:
    del app, settings
