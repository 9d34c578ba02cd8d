"""`livertx compare PATIENT`: the 2017 guide and current guidance side by side."""

from __future__ import annotations

import typer

from livertx.cli.assess import DocFormat as Format
from livertx.cli.assess_run import print_json, print_markdown
from livertx.cli.common import guarded, read_json


def compare_command(
    source: str = typer.Argument(..., metavar="FILE|-", help="Patient JSON (vocabulary keys); "
                                 "'-' reads standard input."),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text, json or markdown"),
) -> None:
    """Both guidelines for one patient: stage and category, every option's fit in each
    (matched through `same_as`), where they agree and differ, with reasons and sources."""
    from livertx.compare import compare, compare_markdown

    data = read_json(source)
    result = guarded(lambda: compare(data))
    if format is Format.json:
        print_json(result)
    elif format is Format.markdown:
        typer.echo(compare_markdown(result))
    else:
        print_markdown(compare_markdown(result))


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_command)
