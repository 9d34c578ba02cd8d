"""What every command shares: reading JSON input and failing with a clear message."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from livertx.errors import InvalidInput, LivertxError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_INVALID = 2


@functools.cache
def console(stderr: bool = False) -> Console:
    """Rich's console, made on first use: a command that prints JSON never imports Rich."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=stderr)


def fail(message: str) -> NoReturn:
    console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(EXIT_INVALID)


def fail_invalid(exc: InvalidInput) -> NoReturn:
    for error in exc.errors:
        console(stderr=True).print(f"[bold red]error:[/] [bold]{error.field}[/]: "
                                   f"{error.message}", highlight=False)
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


GUIDELINE_HELP = "The guideline (knowledge pack): acs-2017 (the default) or bclc-2022."


def pick_pack(guideline: str, path: Path | None = None) -> Any:
    """The pack a command uses: a folder given with --pack, else the embedded guideline."""
    from livertx.knowledge.pack import load_guideline, load_pack

    return guarded(lambda: load_pack(path) if path is not None else load_guideline(guideline))


def guarded(action: Any) -> Any:
    """Run an action, turning livertx errors into a message and exit code 2."""
    try:
        return action()
    except InvalidInput as exc:
        fail_invalid(exc)
    except LivertxError as exc:
        fail(str(exc))
