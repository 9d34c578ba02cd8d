"""What every command shares: reading JSON input and failing with a clear message."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from livertx.errors import InvalidInput, LivertxError

err = Console(stderr=True, soft_wrap=True)
EXIT_INVALID = 2


def fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(EXIT_INVALID)


def fail_invalid(exc: InvalidInput) -> NoReturn:
    for error in exc.errors:
        err.print(f"[bold red]error:[/] [bold]{error.field}[/]: {error.message}", highlight=False)
    raise typer.Exit(EXIT_INVALID)


def read_json(source: str) -> Any:
    """A JSON document from a path or `-` (standard input)."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror or exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")


def guarded(action: Any) -> Any:
    """Run an action, turning livertx errors into a message and exit code 2."""
    try:
        return action()
    except InvalidInput as exc:
        fail_invalid(exc)
    except LivertxError as exc:
        fail(str(exc))
