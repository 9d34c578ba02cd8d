"""`livertx sql`: print the guideline as one SQL query for a warehouse."""

from __future__ import annotations

import typer

from livertx.cli.common import GUIDELINE_HELP, fail, guarded


def sql_command(
    dialect: str = typer.Option("duckdb", "--dialect", help="duckdb, postgres or spark"),
    table: str = typer.Option("patients", "--table", help="The table of patients (vocabulary "
                              "column names) the query reads."),
    keep: list[str] = typer.Option([], "--keep", help="Another column of the table to pass "
                                   "through first, such as a patient id (repeatable)."),
    guideline: str = typer.Option("acs-2017", "--guideline", help=GUIDELINE_HELP),
) -> None:
    """Print one SELECT over TABLE that returns the cohort's output columns (derived values,
    category, candidates, every option's fit and rule, missing, error), computed in SQL."""
    from livertx.cohort.export import DIALECTS, export_sql
    from livertx.knowledge.pack import load_guideline

    if dialect not in DIALECTS:
        fail(f"--dialect {dialect!r} is not offered; choose one of {', '.join(DIALECTS)}")
    pack = guarded(lambda: load_guideline(guideline))
    typer.echo(export_sql(pack, dialect, table, tuple(keep)) + ";")


def register(app: typer.Typer) -> None:
    app.command(name="sql")(sql_command)
