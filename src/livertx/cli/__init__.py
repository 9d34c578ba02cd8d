"""The `livertx` command: thin; it parses, calls the library and prints."""

from __future__ import annotations

import typer

from livertx.cli import assess as _assess
from livertx.cli import cohort as _cohort
from livertx.cli import serve as _serve
from livertx.cli import sql as _sql

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Liver cancer treatment options from a trusted patient guide, explained. "
                       "Educational, not medical advice.")
_assess.register(app)
_serve.register(app)
_cohort.register(app)
_sql.register(app)


def main() -> None:
    app()
