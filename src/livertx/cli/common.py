"""What every command shares: reading JSON input and failing with a clear message.

Typer-free (Typer is imported only by `new_typer`): `livertx.cli.fast` runs `assess`
through these helpers without the Typer app.
"""

from __future__ import annotations

import functools
import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from livertx.errors import InvalidInput, LivertxError

if TYPE_CHECKING:
    import typer
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
    import typer

    return typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                       context_settings=CONTEXT_SETTINGS, **kwargs)


@functools.cache
def console(stderr: bool = False) -> Console:
    """Rich's console, made on first use: a command that prints JSON never imports Rich."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=stderr)


def echo(text: str) -> None:
    """One text and a newline on standard output (what `typer.echo` does for plain text)."""
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def _exit_invalid() -> NoReturn:
    # SystemExit rather than typer.Exit: the same exit code through Typer (which lets it
    # pass) and without it (`livertx.cli.fast`).
    raise SystemExit(EXIT_INVALID)


MAX_INPUT_BYTES = 16 * 1024 * 1024  # far above any patient or bundle; stops /dev/zero


def fail(message: str) -> NoReturn:
    """One line on standard error and exit 2. The message may hold user or file text, so it
    is escaped: never read as Rich markup."""
    from rich.markup import escape

    console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    _exit_invalid()


def fail_invalid(exc: InvalidInput, where: str = "") -> NoReturn:
    from rich.markup import escape

    for error in exc.errors:
        console(stderr=True).print(f"[bold red]error:[/] {escape(where)}[bold]{escape(error.field)}"
                                   f"[/]: {escape(error.message)}", highlight=False)
    _exit_invalid()


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_json(source: str) -> Any:
    """A JSON document from a path or `-` (standard input), at most MAX_INPUT_BYTES of UTF-8;
    any problem is one line and exit 2."""
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with Path(source).open("rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror or exc}")
    if len(data) > MAX_INPUT_BYTES:
        fail(f"{source} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB; not a patient file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{source} is not UTF-8 text (byte {exc.start})")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        fail(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    except RecursionError:
        fail(f"{source} is nested too deeply to be a patient file")
    except ValueError as exc:  # NaN/Infinity, or a number of thousands of digits
        reason = "a number has thousands of digits" if "digits" in str(exc) else str(exc)
        fail(f"{source} is not valid JSON: {reason}")


GUIDELINE_HELP = "The guideline (knowledge pack): acs-2017 (the default) or bclc-2022."


def pick_pack(guideline: str, path: Path | None = None) -> Any:
    """The pack a command uses: a folder given with --pack, else the embedded guideline."""
    from livertx.knowledge.pack import load_guideline, load_pack

    return guarded(lambda: load_pack(path) if path is not None else load_guideline(guideline))


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
