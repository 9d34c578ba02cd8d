"""The Polars engine's two streamed passes: open rows' keys first, then every row."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from livertx.cohort import io
from livertx.cohort.candidates import candidates_for_keys
from livertx.cohort.errors import CohortError
from livertx.cohort.plan import CohortPlan
from livertx.cohort.polars_engine import (
    assess_category,
    assess_options,
    finish,
    normalise,
    open_keys,
)
from livertx.knowledge.pack import Pack

PARQUET_COMPRESSION = "lz4"  # several times faster to write than zstd, read everywhere


def run_polars(source: io.Source, temporary: Path, out_format: str, plan: CohortPlan,
               pack: Pack, step: Callable[[str], None], result: Any) -> None:
    columns = list(source.columns)
    step("finding the open rows")
    t0 = time.perf_counter()
    prepared = normalise(io.scan(source), columns)
    try:
        keys = open_keys(prepared, plan).collect(engine="streaming").to_series()
    except pl.exceptions.PolarsError as exc:
        raise CohortError(f"input {source.path}: {_first_line(exc)}") from None
    step("listing the candidates of open rows")
    t1 = time.perf_counter()
    candidates = candidates_for_keys(keys, plan, pack)
    step("assessing and writing")
    t2 = time.perf_counter()
    output = finish(assess_options(assess_category(prepared, plan), plan), plan, candidates,
                    columns)
    try:
        if out_format == "parquet":
            output.sink_parquet(temporary, compression=PARQUET_COMPRESSION, statistics=False)
        else:
            io.for_csv(output).sink_csv(temporary)
    except pl.exceptions.PolarsError as exc:
        raise CohortError(f"input {source.path}: {_first_line(exc)}") from None
    result.timings.update(keys=t1 - t0, candidates=t2 - t1, assess_write=time.perf_counter() - t2)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
