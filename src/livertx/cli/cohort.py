"""`livertx cohort`: the same decisions over a Parquet or CSV table of patients."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from types import TracebackType
from typing import Any

import typer

from livertx.cli.common import GUIDELINE_HELP, console, fail, guarded, pick_pack


def register(app: typer.Typer) -> None:
    app.command(name="cohort")(cohort)


def cohort(
    input_path: Path = typer.Argument(..., metavar="INPUT",
                                      help="Parquet or CSV file, one patient per row."),
    output: Path = typer.Option(..., "-o", "--output",
                                help="Parquet or CSV file to write (replaced atomically)."),
    engine: str = typer.Option("polars", "--engine", help="polars, duckdb or spark."),
    mapping: Path | None = typer.Option(None, "--map",
                                        help="YAML file mapping another layout's columns "
                                             "into the vocabulary."),
    units: str | None = typer.Option(None, "--units",
                                     help="si: bilirubin in umol/L, albumin in g/L, creatinine in umol/L."),
    summary: Path | None = typer.Option(None, "--summary",
                                        help="Also write an HTML summary with charts."),
    guideline: str = typer.Option("acs-2017", "--guideline", help=GUIDELINE_HELP),
) -> None:
    """Assess every patient of a cohort file with the same tables as `assess`.

    Educational, not medical advice. Bad rows get an `error` and are not assessed; a bad
    file stops before anything is written.
    """
    from livertx.cohort.io import check_output
    from livertx.cohort.run import run_cohort
    from livertx.cohort.stopping import run_stoppable

    if summary is not None:
        if summary.suffix.lower() not in (".html", ".htm"):
            fail(f"--summary {summary}: give a file name ending in .html")
        guarded(lambda: check_output(summary, input_path, output))
    pack = pick_pack(guideline)

    def run(step: Any) -> Any:
        result = guarded(lambda: run_cohort(input_path, output, engine=engine, mapping=mapping,
                                            units=units, pack=pack, step=step))
        if summary is not None:
            step("writing the summary")
            from livertx.cohort.summary import write_summary

            guarded(lambda: write_summary(output, summary, pack, source=str(input_path),
                                          engine=engine))
        return result

    with _progress() as step:
        result = run_stoppable(lambda: run(step))
    message = (f"{result.rows} rows: {result.assessed} assessed ({result.open} with the category "
               f"left open), {result.rejected} rejected; {result.seconds:.2f} s with {engine} "
               f"-> {output}")
    console(stderr=True).print(message, highlight=False, markup=False)  # file names as typed
    if result.rejected:
        console(stderr=True).print(f"{result.rejected} rejected rows: their `error` column "
                                   "names the field and the accepted range.", highlight=False)


def _progress() -> Any:
    """A phase display on a terminal; nothing when standard error is piped."""
    if not sys.stderr.isatty():
        return nullcontext(lambda _name: None)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    class _Phases:
        def __enter__(self) -> Any:
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                     TimeElapsedColumn(), console=console(stderr=True),
                                     transient=True)
            self.progress.__enter__()
            self.task: Any = None
            return self.step

        def step(self, name: str) -> None:
            if self.task is not None:
                self.progress.update(self.task, completed=1, total=1)
            self.task = self.progress.add_task(name, total=None)

        def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                     tb: TracebackType | None) -> None:
            self.progress.__exit__(exc_type, exc, tb)

    return _Phases()
