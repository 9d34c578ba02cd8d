"""`livertx assess`, `calc`, `options`, `explain`, `pack check`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from livertx.cli.common import GUIDELINE_HELP, console, fail, guarded, pick_pack, read_json


class Format(str, Enum):
    """The renderers of `livertx.render.registry` (a test checks the two lists agree)."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    cds = "cds"


def _print_markdown(text: str) -> None:
    from rich.markdown import Markdown  # imported on use: it is slow to import

    console().print(Markdown(text))


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def assess_command(
    source: str = typer.Argument(..., metavar="FILE|-", help="Patient JSON (vocabulary keys), "
                                 "or a FHIR R4 Bundle with --fhir; '-' reads standard input."),
    format: Format = typer.Option(Format.text, "--format", "-f",
                                  help="text, json, markdown, html (a page to print) or cds "
                                  "(CDS Hooks cards)"),
    fhir: bool = typer.Option(False, "--fhir", help="The input is a FHIR R4 Bundle."),
    pack_path: Path | None = typer.Option(None, "--pack", help="A knowledge pack folder."),
    guideline: str = typer.Option("acs-2017", "--guideline", help=GUIDELINE_HELP),
) -> None:
    """Assess one patient: category, every option's fit, reasons, what is missing."""
    from livertx.engine.assess import assess

    data = read_json(source)
    pack = pick_pack(guideline, pack_path)
    provenance = None
    if fhir:
        from livertx.fhir import bundle_to_patient

        mapped = guarded(lambda: bundle_to_patient(data))
        data, provenance = mapped.patient, mapped.report()
    result = guarded(lambda: assess(data, pack))
    if provenance is not None:
        result["fhir"] = provenance
    from livertx.render.registry import render

    if format is Format.text:  # to the terminal through Rich itself (its width, colours)
        _print_markdown(render("markdown", result, pack))
    else:
        typer.echo(render(format.value, result, pack))


class Ascites(str, Enum):
    none = "none"
    slight = "slight"
    mild = "mild"
    moderate = "moderate"
    severe = "severe"


def child_pugh_command(
    bilirubin: str = typer.Option(..., help="mg/dL, or with a unit: 40umol/L"),
    albumin: str = typer.Option(..., help="g/dL, or with a unit: 30g/L"),
    inr: float = typer.Option(..., help="INR"),
    ascites: str = typer.Option(..., help="none, slight (mild), moderate or severe"),
    encephalopathy: str = typer.Option(..., help="none, grade_1_2, grade_3_4, or 0-4"),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json"),
) -> None:
    """The Child-Pugh calculator alone, with each item's points."""
    from livertx.scores.calculator import child_pugh

    result = guarded(lambda: child_pugh(bilirubin=_number_or_text(bilirubin),
                                        albumin=_number_or_text(albumin), inr=inr,
                                        ascites=ascites, encephalopathy=encephalopathy))
    if format is Format.json:
        _print_json(result)
        return
    from rich.table import Table

    table = Table(title="Child-Pugh")
    for column in ("item", "value", "points"):
        table.add_column(column)
    for item, detail in result["items"].items():
        table.add_row(item, detail["value"], str(detail["points"]))
    console().print(table)
    console().print(f"Score [bold]{result['score']}[/], class [bold]{result['class']}[/]")
    console().print(f"[dim]{result['thresholds']}[/]")


def _number_or_text(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value


def options_command(
    guideline: str = typer.Option("acs-2017", "--guideline", help=GUIDELINE_HELP),
) -> None:
    """List the treatment options of the knowledge pack."""
    pack = pick_pack(guideline)
    from rich.table import Table

    table = Table(title=f"Options in pack {pack.id} (reviewed {pack.info.reviewed})")
    table.add_column("id", no_wrap=True)  # typed into `livertx explain`: never cut
    for column in ("name", "group", "techniques"):
        table.add_column(column)
    for option in pack.options:
        table.add_row(option.id, option.name, option.group,
                      ", ".join(t.id for t in option.techniques))
    console().print(table)


def explain_command(option: str = typer.Argument(..., help="An option id (see `livertx options`)"),
                    format: Format = typer.Option(Format.text, "--format", "-f"),
                    guideline: str = typer.Option("acs-2017", "--guideline",
                                                  help=GUIDELINE_HELP)) -> None:
    """One option in full: what it involves, side effects, who gives it, when it fits."""
    from livertx.render import option_markdown

    pack = pick_pack(guideline)
    ids = [o.id for o in pack.options]
    if option not in ids:
        fail(f"unknown option {option!r}; options are: {', '.join(ids)}")
    text = option_markdown(option, pack)
    if format is Format.json:
        _print_json(pack.option(option).model_dump())
    elif format is Format.markdown:
        typer.echo(text)
    else:
        _print_markdown(text)


def pack_check_command(path: Path | None = typer.Argument(None, help="A pack folder "
                                                               "(default: the embedded pack)")) -> None:
    """Validate a knowledge pack: schema, sources, conditions, reachability."""
    from livertx.knowledge import load_pack
    from livertx.knowledge.validate import check_pack

    pack = guarded(lambda: load_pack(path))
    problems = check_pack(pack)
    if problems:
        fail("the pack has problems:\n" + "\n".join(f"  {p}" for p in problems))
    rules = sum(len(t.rules) for t in pack.tables)
    console().print(f"pack {pack.id} {pack.info.version}: ok ({len(pack.sections)} sections, "
              f"{len(pack.options)} options, {len(pack.tables)} tables, {rules} rules)")


def register(app: typer.Typer) -> None:
    app.command("assess")(assess_command)
    app.command("options")(options_command)
    app.command("explain")(explain_command)
    calc = typer.Typer(help="Clinical calculators on their own.", no_args_is_help=True)
    calc.command("child-pugh")(child_pugh_command)
    from livertx.cli import calc as _calc

    _calc.register(calc)
    app.add_typer(calc, name="calc")
    pack = typer.Typer(help="Knowledge packs.", no_args_is_help=True)
    pack.command("check")(pack_check_command)
    app.add_typer(pack, name="pack")
