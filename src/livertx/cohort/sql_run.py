"""The DuckDB engine: the cohort query (`livertx.cohort.sql`) over Parquet/CSV files.

DuckDB computes the score library and the decision tables (compiled to SQL); its rows
stream in slices through the Polars engine's last steps (the fits the candidates agree on,
`missing`, the output columns), so memory stays bounded and both engines share that code.

Both run in two passes like the Polars engine: the distinct candidate keys of open rows,
then every row joined with the candidates of its key. A mapping or `--units si` is
applied first by Polars (streamed into a temporary Parquet file beside the output).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import polars as pl

from livertx.cohort import io, sql
from livertx.cohort.candidates import candidates_for_keys
from livertx.cohort.errors import CohortError
from livertx.cohort.plan import CANDIDATES, KEY, CohortPlan
from livertx.cohort.polars_engine import ORIGINAL, agree_over_candidates, finish
from livertx.cohort.polars_run import _writer
from livertx.knowledge.pack import Pack
from livertx.vocabulary import FIELD_BY_NAME

DUCKDB_BATCH_ROWS = 131_072  # rows per Arrow batch from DuckDB: small batches bound memory
ROW = "livertx_input_row"  # the input's row number, to keep its order (never written)
_DUCK_CSV_TYPES = {"int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "enum": "VARCHAR"}


def run_sql(engine: str, source: io.Source, temporary: Path, out_format: str, plan: CohortPlan,
            pack: Pack, step: Callable[[str], None], result: Any, spark: Any = None) -> None:
    with _prepared(source, temporary.parent) as (path, fmt):
        columns = list(source.columns)
        if engine == "duckdb":
            _run_duckdb(path, fmt, columns, temporary, out_format, plan, pack, step, result)
        else:
            from livertx.cohort.spark import run_spark

            run_spark(path, fmt, columns, temporary, out_format, plan, pack, step, result, spark)


@contextlib.contextmanager
def _prepared(source: io.Source, folder: Path) -> Iterator[tuple[Path, str]]:
    """The input as the engine should read it: itself, or mapped into a temporary file."""
    if not source.needs_preparing:
        yield source.path, source.format
        return
    handle, name = tempfile.mkstemp(prefix=".livertx-mapped.", suffix=".parquet", dir=folder)
    os.close(handle)
    with io.partial_file(Path(name)):
        try:
            io.scan(source).sink_parquet(name)
        except pl.exceptions.PolarsError as exc:
            raise CohortError(f"input {source.path}: {_first_line(exc)}") from None
        yield Path(name), "parquet"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def duckdb_source(path: Path, fmt: str, columns: list[str]) -> str:
    """`read_parquet(...)` or `read_csv(...)` with the vocabulary columns typed."""
    if fmt == "parquet":
        return f"read_parquet({sql.literal(str(path))})"
    types = ", ".join(f"{sql.literal(c)}: {sql.literal(_DUCK_CSV_TYPES[FIELD_BY_NAME[c].type])}"
                      for c in columns if c in FIELD_BY_NAME)
    typed = f", types={{{types}}}" if types else ""
    return f"read_csv({sql.literal(str(path))}, header=true{typed})"


def _run_duckdb(path: Path, fmt: str, columns: list[str], temporary: Path, out_format: str,
                plan: CohortPlan, pack: Pack, step: Callable[[str], None], result: Any) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        source = duckdb_source(path, fmt, columns)
        step("finding the open rows")
        t0 = time.perf_counter()
        try:
            keys = cast(pl.DataFrame, pl.from_arrow(
                con.sql(sql.keys_query(plan, source, columns)).to_arrow_table()))
        except duckdb.Error as exc:
            raise CohortError(f"input {path}: {_first_line(exc)}") from None
        step("listing the candidates of open rows")
        t1 = time.perf_counter()
        candidates = candidates_for_keys(keys[KEY], plan, pack).to_arrow()
        con.register("livertx_candidates", candidates)
        step("assessing and writing")
        t2 = time.perf_counter()
        # The join with the candidates does not keep the input's order: number the rows as
        # read and sort on that number at the end (DuckDB sorts out of core).
        numbered = f"(SELECT *, row_number() OVER () AS {sql.quote(ROW)} FROM {source})"
        query = sql.cohort_query(plan, numbered, [*columns, ROW], "livertx_candidates")
        query = f"SELECT * FROM ({query}) ORDER BY {sql.quote(ORIGINAL + ROW)}"
        try:
            relation = con.sql(query)
            assert relation is not None  # a SELECT always gives a relation
            reader = relation.to_arrow_reader(DUCKDB_BATCH_ROWS)
            with _writer(temporary, out_format) as write:
                for batch in reader:
                    frame = pl.from_arrow(batch)
                    assert isinstance(frame, pl.DataFrame)
                    write(finish(agree_over_candidates(frame, plan).lazy(), plan,
                                 [*columns, ROW]).drop(ROW).collect())
        except duckdb.Error as exc:
            raise CohortError(f"input {path}: {_first_line(exc)}") from None
        result.timings.update(keys=t1 - t0, candidates=t2 - t1,
                              assess_write=time.perf_counter() - t2)
    finally:
        con.close()


__all__ = ["CANDIDATES", "duckdb_source", "run_sql"]
