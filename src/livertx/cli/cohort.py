"""`livertx cohort`: the same decisions over a Parquet or CSV table of patients."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Registered by the cohort module once it exists."""
    del app
