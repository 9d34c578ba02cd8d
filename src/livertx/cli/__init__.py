"""The `livertx` command: thin; it parses, calls the library and prints.

The Typer app lives in `livertx.cli.commands`. `livertx assess` with plain arguments (files,
--format, --guideline, --fhir, --pack) takes `livertx.cli.fast` instead, which runs the
same command body without importing Typer: a cold start is mostly imports.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def main() -> None:
    # pydantic looks for plugins through every installed package's entry points on first
    # use (~15 ms of a cold start); the command uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from livertx.cli.fast import fast_assess

    if fast_assess(sys.argv[1:]):
        return
    from livertx.cli.commands import app

    app()


def __getattr__(name: str) -> Any:
    """`livertx.cli.commands` (the Typer app), imported on use."""
    if name == "app":
        from livertx.cli.commands import app

        return app
    raise AttributeError(name)


__all__ = ["app", "main"]
