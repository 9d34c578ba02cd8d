"""One cohort run: check the input, assess every row with the chosen engine, write the
output atomically, and count what happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from livertx.cohort import io
from livertx.cohort.candidates import candidates_for_keys
from livertx.cohort.errors import CohortError
from livertx.cohort.mapping import load_mapping
from livertx.cohort.plan import ERROR, build_plan, reserved_columns
from livertx.knowledge.pack import Pack, load_pack

ENGINES: tuple[str, ...] = ("polars", "duckdb", "spark")
Step = Callable[[str], None]


@dataclass
class CohortResult:
    output: Path
    engine: str
    rows: int = 0
    rejected: int = 0
    open: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def assessed(self) -> int:
        return self.rows - self.rejected


def run_cohort(input_path: str | Path, output_path: str | Path, *, engine: str = "polars",
               mapping: str | Path | None = None, units: str | None = None,
               pack: Pack | None = None, step: Step | None = None,
               spark: object | None = None) -> CohortResult:
    """Assess every row of `input_path` and write `output_path` (Parquet or CSV).

    Raises `CohortError` before writing anything when the input, mapping or options are
    unusable. `step(name)` is called as each phase starts (for a progress display).
    """
    started = time.perf_counter()
    step = step or (lambda _name: None)
    if engine not in ENGINES:
        raise CohortError(f"--engine {engine!r} is not known; choose one of {', '.join(ENGINES)}")
    if units not in (None, "si", "conventional"):
        raise CohortError(f"--units {units!r} is not known; use si (bilirubin umol/L, albumin "
                          "g/L) or leave it out (mg/dL and g/dL)")
    pack = pack or load_pack()
    plan = build_plan(pack)
    out_path = Path(output_path)
    out_format = io.file_format(out_path, "output")
    io.check_output(out_path, Path(input_path), *([Path(mapping)] if mapping else []))
    step("checking the input")
    source = io.open_source(input_path, mapping=load_mapping(mapping) if mapping else None,
                            units_si=units == "si", reserved=reserved_columns(pack))
    io.check_mapped_values(source)
    result = CohortResult(out_path, engine)
    with io.atomic_output(out_path) as temporary:
        try:
            if engine == "polars":
                from livertx.cohort.polars_run import run_polars

                run_polars(source, temporary, out_format, plan, pack, step, result)
            else:
                from livertx.cohort.sql_run import run_sql

                run_sql(engine, source, temporary, out_format, plan, pack, step, result, spark)
        except CohortError as exc:
            raise io.with_line(source, exc) from None
        step("counting")
        _count(temporary, out_format, result)
    result.seconds = time.perf_counter() - started
    return result


def _count(path: Path, fmt: str, result: CohortResult) -> None:
    frame = pl.scan_parquet(path) if fmt == "parquet" else pl.scan_csv(
        path, schema_overrides={ERROR: pl.String, "category": pl.String})
    counts = frame.select(
        rows=pl.len(), rejected=pl.col(ERROR).is_not_null().sum(),
        open=(pl.col("category").is_null() & pl.col(ERROR).is_null()).sum()).collect()
    result.rows, result.rejected, result.open = (int(counts[c][0]) for c in
                                                 ("rows", "rejected", "open"))


__all__ = ["ENGINES", "CohortResult", "candidates_for_keys", "run_cohort"]
