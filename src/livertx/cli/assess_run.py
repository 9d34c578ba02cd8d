"""The body of `livertx assess`, free of Typer: the Typer command and the fast path
(`livertx.cli.fast`) both call `run_assess`, so they cannot print different things."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livertx.cli.common import console, echo, fail, guarded, pick_pack, read_json

if TYPE_CHECKING:
    from livertx.knowledge.pack import Pack


class Format(str, Enum):
    """The renderers of `livertx.render.registry` (a test checks the two lists agree)."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    cds = "cds"


def print_markdown(text: str) -> None:
    from rich.markdown import Markdown  # imported on use: it is slow to import

    console().print(Markdown(text))


def print_json(data: Any) -> None:
    echo(json.dumps(data, indent=2, ensure_ascii=False))


def run_assess(sources: list[str], format: Format, fhir: bool, pack_path: Path | None,
               guideline: str) -> None:
    """Assess each file and print one report each (nothing is printed if a file fails)."""
    if sources.count("-") > 1:
        fail("'-' (standard input) can be given only once")
    if format is Format.html and len(sources) > 1:
        fail("--format html makes one page: give one file (or use markdown for several)")
    pack = pick_pack(guideline, pack_path)
    where = len(sources) > 1
    # Every file is read and assessed before anything is printed: a bad file stops the
    # command with its name, and no partial output is left behind.
    results = [_assess_file(source, fhir, pack, source if where else None) for source in sources]
    from livertx.render.registry import render

    if format is Format.text:  # to the terminal through Rich itself (its width, colours)
        for index, (source, result) in enumerate(zip(sources, results, strict=True)):
            if where:
                console().rule(f"[bold]{source}[/] ({index + 1} of {len(sources)})")
            print_markdown(render("markdown", result, pack))
    elif format in (Format.json, Format.cds) and where:
        documents = [json.loads(render(format.value, result, pack)) for result in results]
        print_json(documents)
    elif format is Format.markdown and where:
        echo("\n\n---\n\n".join(f"File: `{source}`\n\n{render('markdown', result, pack)}"
                                for source, result in zip(sources, results, strict=True)))
    else:
        echo(render(format.value, results[0], pack))


def _assess_file(source: str, fhir: bool, pack: Pack, where: str | None) -> dict[str, Any]:
    """One input file read, mapped (FHIR) and assessed; errors name the file when several."""
    from livertx.engine.assess import assess

    data = read_json(source)
    provenance = None
    if fhir:
        from livertx.fhir import bundle_to_patient

        mapped = guarded(lambda: bundle_to_patient(data), where)
        data, provenance = mapped.valid_patient(), mapped.report()
    result: dict[str, Any] = guarded(lambda: assess(data, pack), where)
    if provenance is not None:
        result["fhir"] = provenance
    return result
