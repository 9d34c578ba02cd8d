"""`livertx glossary [TERM]`: the pack's medical words in plain words."""

from __future__ import annotations

import difflib
import json

import typer

from livertx.cli.common import OutputFormat, console, fail


def glossary_command(
    term: str | None = typer.Argument(None, help="A word to explain (any case; also short "
                                      "forms such as TACE). Leave out to list every word."),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text or json"),
) -> None:
    """Medical words used by livertx, each explained in plain words."""
    from livertx.knowledge import load_pack

    pack = load_pack()
    terms = pack.glossary
    if term is not None:
        found = pack.glossary_term(term)
        if found is None:
            words = [w for t in terms for w in (t.term, *t.also)]
            close = difflib.get_close_matches(term, words, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            fail(f"{term!r} is not in the glossary{hint} (`livertx glossary` lists every word)")
        terms = [found]
    if format is OutputFormat.json:
        typer.echo(json.dumps([t.model_dump(exclude_none=True) for t in terms], indent=2,
                              ensure_ascii=False))
        return
    from rich.padding import Padding

    out = console()
    for entry in sorted(terms, key=lambda t: t.term.lower()):
        also = f" [dim]({', '.join(entry.also)})[/]" if entry.also else ""
        out.print(f"[bold]{entry.term}[/]{also}", highlight=False)
        out.print(Padding(f"{entry.explanation} [dim](Source: "
                          f"{pack.cite(entry.source)['title']})[/]", (0, 0, 0, 2)),
                  highlight=False)


def register(app: typer.Typer) -> None:
    app.command("glossary")(glossary_command)
