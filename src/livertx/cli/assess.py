"""`livertx assess`, `calc`, `options`, `explain`, `pack check`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from livertx.cli.assess_run import Format, print_json, print_markdown, run_assess
from livertx.cli.common import (
    GUIDELINE_HELP,
    OutputFormat,
    console,
    echo,
    fail,
    guarded,
    new_typer,
    pick_pack,
)


class DocFormat(str, Enum):
    """What `livertx explain` can print."""

    text = "text"
    json = "json"
    markdown = "markdown"


def assess_command(
    sources: list[str] = typer.Argument(..., metavar="FILE", help="Patient JSON "
                                        "(vocabulary keys), or a FHIR R4 Bundle with --fhir; "
                                        "'-' reads standard input. Several files give one "
                                        "report each (a JSON array with --format json or cds)."),
    format: Format = typer.Option(Format.text, "--format", "-f",
                                  help="text, json, markdown, html (a page to print) or cds "
                                  "(CDS Hooks cards)"),
    fhir: bool = typer.Option(False, "--fhir", help="The input is a FHIR R4 Bundle."),
    pack_path: Path | None = typer.Option(None, "--pack", help="A knowledge pack folder."),
    guideline: str = typer.Option("acs-2017", "--guideline", help=GUIDELINE_HELP),
) -> None:
    """Assess patients: category, every option's fit, reasons, what is missing."""
    run_assess(sources, format, fhir, pack_path, guideline)


class Ascites(str, Enum):
    none = "none"
    slight = "slight"
    mild = "mild"
    moderate = "moderate"
    severe = "severe"


def child_pugh_command(
    bilirubin: str = typer.Option(..., help="mg/dL, or with a unit: 40umol/L"),
    albumin: str = typer.Option(..., help="g/dL, or with a unit: 30g/L"),
    inr: str = typer.Option(..., help="INR"),
    ascites: str = typer.Option(..., help="none, slight (mild), moderate or severe"),
    encephalopathy: str = typer.Option(..., help="none, grade_1_2, grade_3_4, or 0-4"),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f",
                                        help="text or json"),
) -> None:
    """The Child-Pugh calculator alone, with each item's points."""
    from livertx.scores.calculator import child_pugh

    result = guarded(lambda: child_pugh(bilirubin=_number_or_text(bilirubin),
                                        albumin=_number_or_text(albumin), inr=inr,
                                        ascites=ascites, encephalopathy=encephalopathy))
    if format is OutputFormat.json:
        print_json(result)
        return
    from rich.table import Table

    table = Table(title="Child-Pugh")
    for column in ("item", "value", "points"):
        table.add_column(column)
    from rich.text import Text

    for item, detail in result["items"].items():  # values as text, never as markup
        table.add_row(item, Text(str(detail["value"])), str(detail["points"]))
    console().print(table)
    console().print(f"Score [bold]{result['score']}[/], class [bold]{result['class']}[/]")
    console().print(f"[dim]{result['thresholds']}[/]")


def _number_or_text(value: str) -> float | str:
    """A plain decimal as a number, anything else as text (a value with its unit)."""
    from livertx.numbers import NotANumber, plain_number

    try:
        return plain_number(value)
    except NotANumber:
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


def explain_command(option: str = typer.Argument(..., metavar="OPTION",
                                                help="An option id (see `livertx options`), "
                                                     "its name, a brand name such as Nexavar, "
                                                     "or a technique id such as tace; any case."),
                    format: DocFormat = typer.Option(DocFormat.text, "--format", "-f",
                                                     help="text, json or markdown"),
                    guideline: str = typer.Option("acs-2017", "--guideline",
                                                  help=GUIDELINE_HELP)) -> None:
    """One option in full: what it involves, side effects, who gives it, when it fits."""
    import difflib

    from livertx.render import option_markdown

    pack = pick_pack(guideline)
    found = pack.find_option(option)
    if found is None:
        ids = [o.id for o in pack.options]
        close = difflib.get_close_matches(option.lower(), pack.option_words(), n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        fail(f"unknown option {option!r}; {hint}options are: {', '.join(ids)} (brand names and "
             "technique ids work too)")
    text = option_markdown(found.id, pack)
    if format is DocFormat.json:
        print_json(found.model_dump())
    elif format is DocFormat.markdown:
        echo(text)
    else:
        print_markdown(text)


def pack_check_command(path: Path | None = typer.Argument(None, help="A pack folder "
                                                               "(default: the embedded pack)")) -> None:
    """Validate a knowledge pack: schema, sources, conditions, reachability."""
    from livertx.knowledge import load_pack
    from livertx.knowledge.validate import check_pack

    pack = guarded(lambda: load_pack(path))
    problems = check_pack(pack)
    if problems:
        fail("the pack has problems:\n" + "\n".join(f"  {p}" for p in problems))
    from livertx.knowledge.readability import report

    rules = sum(len(t.rules) for t in pack.tables)
    console().print(f"pack {pack.id} {pack.info.version}: ok ({len(pack.sections)} sections, "
              f"{len(pack.options)} options, {len(pack.tables)} tables, {rules} rules)")
    console().print(report(pack).line(), highlight=False)


def register(app: typer.Typer) -> None:
    app.command("assess")(assess_command)
    app.command("options")(options_command)
    app.command("explain")(explain_command)
    calc = new_typer(help="Clinical calculators on their own.")
    calc.command("child-pugh")(child_pugh_command)
    from livertx.cli import calc as _calc

    _calc.register(calc)
    app.add_typer(calc, name="calc")
    pack = new_typer(help="Knowledge packs.")
    pack.command("check")(pack_check_command)
    app.add_typer(pack, name="pack")
