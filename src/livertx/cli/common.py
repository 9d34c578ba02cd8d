"""What every command shares: reading JSON input and failing with a clear message."""

from __future__ import annotations

import functools
import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from livertx.errors import InvalidInput, LivertxError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_INVALID = 2
# `-h` as well as `--help`; plain (click) help, where an on/off flag shows as a flag.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


class OutputFormat(str, Enum):
    """For commands that print a table or a JSON document and nothing else."""

    text = "text"
    json = "json"


def new_typer(**kwargs: Any) -> typer.Typer:
    """A command group with the project's conventions (`-h`, flags without a type)."""
    return typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                       context_settings=CONTEXT_SETTINGS, **kwargs)


@functools.cache
def console(stderr: bool = False) -> Console:
    """Rich's console, made on first use: a command that prints JSON never imports Rich."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=stderr)


def fail(message: str) -> NoReturn:
    console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(EXIT_INVALID)


def fail_invalid(exc: InvalidInput, where: str = "") -> NoReturn:
    for error in exc.errors:
        console(stderr=True).print(f"[bold red]error:[/] {where}[bold]{error.field}[/]: "
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


def guarded(action: Any, where: str | None = None) -> Any:
    """Run an action, turning livertx errors into a message and exit code 2; `where` (a file
    name) starts each message when a command reads several inputs."""
    prefix = f"{where}: " if where else ""
    try:
        return action()
    except InvalidInput as exc:
        fail_invalid(exc, prefix)
    except LivertxError as exc:
        fail(f"{prefix}{exc}")
