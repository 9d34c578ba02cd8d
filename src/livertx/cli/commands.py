"""The Typer app of the `livertx` command (`livertx.cli.main` runs it)."""

from __future__ import annotations

import typer

from livertx import __version__
from livertx.cli import assess as _assess
from livertx.cli import cohort as _cohort
from livertx.cli import compare as _compare
from livertx.cli import glossary as _glossary
from livertx.cli import serve as _serve
from livertx.cli import sql as _sql
from livertx.cli.common import new_typer

app = new_typer(add_completion=False, pretty_exceptions_enable=False,
                help="Liver cancer treatment options from a trusted patient guide, explained. "
                     "Educational, not medical advice.")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"livertx {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", is_eager=True,
                                          callback=_print_version,
                                          help="Print the version and exit.")) -> None:
    """Liver cancer treatment options from a trusted patient guide, explained. Educational,
    not medical advice."""


_assess.register(app)
_glossary.register(app)
_serve.register(app)
_cohort.register(app)
_sql.register(app)
_compare.register(app)

