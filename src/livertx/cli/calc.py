"""`livertx calc meld-na` and `livertx calc albi`: thin wrappers of the score library."""

from __future__ import annotations

from typing import Any

import typer

from livertx.cli.assess import _number_or_text as number_or_text
from livertx.cli.assess_run import print_json
from livertx.cli.common import OutputFormat as Format
from livertx.cli.common import console, guarded


def meld_na_command(
    creatinine: str = typer.Option(..., help="mg/dL, or with a unit: 90umol/L"),
    bilirubin: str = typer.Option(..., help="mg/dL, or with a unit: 40umol/L"),
    inr: float = typer.Option(..., help="INR"),
    sodium: str = typer.Option(..., help="mmol/L (= mEq/L)"),
    dialysis: bool = typer.Option(False, "--dialysis", help="Dialysis at least twice, or CVVHD "
                                  "for 24 hours, in the past week"),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json"),
) -> None:
    """MELD-Na (UNOS/OPTN 2016), with the bounded values the formula used."""
    from livertx.scores.calculator import meld_na

    result = guarded(lambda: meld_na(creatinine=number_or_text(creatinine),
                                     bilirubin=number_or_text(bilirubin), inr=inr,
                                     sodium=number_or_text(sodium), dialysis=dialysis))
    _show(result, format, "MELD-Na", result["used"],
          f"MELD {result['meld']}, MELD-Na [bold]{result['meld_na']}[/]")


def albi_command(
    bilirubin: str = typer.Option(..., help="mg/dL, or with a unit: 40umol/L"),
    albumin: str = typer.Option(..., help="g/dL, or with a unit: 30g/L"),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json"),
) -> None:
    """ALBI (albumin-bilirubin) score and grade."""
    from livertx.scores.calculator import albi

    result = guarded(lambda: albi(bilirubin=number_or_text(bilirubin),
                                  albumin=number_or_text(albumin)))
    _show(result, format, "ALBI", result["inputs"],
          f"ALBI score [bold]{result['score']:.2f}[/], grade [bold]{result['grade']}[/]")


def _show(result: dict[str, Any], format: Format, title: str, values: dict[str, Any],
          summary: str) -> None:
    if format is Format.json:
        print_json(result)
        return
    from rich.table import Table

    table = Table(title=title)
    table.add_column("input")
    table.add_column("value")
    for name, value in values.items():
        table.add_row(name, f"{value:g}" if isinstance(value, float) else str(value))
    console().print(table)
    console().print(summary)
    console().print(f"[dim]{result['formula']}[/]")


def register(calc: typer.Typer) -> None:
    calc.command("meld-na")(meld_na_command)
    calc.command("albi")(albi_command)
