"""The DuckDB engine: the cohort query (`livertx.cohort.sql`) over Parquet/CSV files.

DuckDB computes the score library and the decision tables (compiled to SQL, each table
as its decision code); its rows stream in batches through the Polars engine's last steps
(`polars_run.assess_and_write`: the outcomes read by their codes, the candidates of new
open keys, the fits the candidates agree on, `missing`, the output columns, the writer
thread), so memory stays bounded, the input is read once, and both engines share that
code. This query is not `livertx sql`'s (`export.py`, which computes the candidates and
`missing` in SQL too); both are compared with the Polars engine by the tests. A mapping
or `--units si` is applied first by Polars (streamed into a temporary Parquet file
beside the output).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from livertx.cohort import io, sql
from livertx.cohort.errors import CohortError
from livertx.cohort.plan import CANDIDATES, CohortPlan
from livertx.cohort.polars_engine import decoded_outcomes
from livertx.cohort.polars_run import assess_and_write
from livertx.knowledge.pack import Pack
from livertx.vocabulary import FIELD_BY_NAME

DUCKDB_BATCH_ROWS = 131_072  # rows per Arrow batch from DuckDB: small batches bound memory
DUCKDB_SLICE_ROWS = 250_000  # rows per slice through the Polars steps (batches put together):
# each slice costs those steps a fixed time (the candidate search, its query plans); half
# the Polars engine's slice, as the Arrow batches held meanwhile cost memory too (peak over
# 2,000,000 rows: about 2 GiB in slices of 500,000, 1.15 GiB of 250,000, 0.87 GiB of
# 125,000; over 5,000,000 in slices of 250,000, 1.6 GiB)
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
    decoded = decoded_outcomes(plan, plan.tables)

    def assess(batch: pl.DataFrame) -> pl.DataFrame:  # the outcomes, read by their codes
        return batch.lazy().with_columns(decoded).collect()

    try:
        # Projections only: DuckDB streams the rows in the input's order (no join, no sort,
        # so memory stays bounded), one pass; the candidates of each batch's open keys not
        # seen before are searched as the batch comes, as in the Polars engine.
        relation = con.sql(sql.cohort_query(plan, duckdb_source(path, fmt, columns), columns))
        assert relation is not None  # a SELECT always gives a relation
        result.timings.update(assess_and_write(
            _batches(relation), assess, temporary, out_format, plan, pack, columns, step,
            read="sql"))
    except duckdb.Error as exc:
        raise CohortError(f"input {path}: {_first_line(exc)}") from None
    finally:
        con.close()


def _batches(relation: Any) -> Iterator[pl.DataFrame]:
    """The query's rows as Polars frames of about `DUCKDB_SLICE_ROWS` rows (DuckDB gives an Arrow
    batch per row group of a Parquet input, often much smaller: each frame costs the
    Polars steps a fixed time); one empty frame (with the columns) when there are no
    rows, so the output still gets its columns."""
    import pyarrow as pa

    reader = relation.to_arrow_reader(DUCKDB_BATCH_ROWS)
    waiting: list[pa.RecordBatch] = []
    rows, empty = 0, True
    for batch in itertools.chain(reader, [None]):
        if batch is not None and batch.num_rows:
            waiting.append(batch)
            rows += batch.num_rows
        if waiting and (rows >= DUCKDB_SLICE_ROWS or batch is None):
            frame = pl.from_arrow(pa.Table.from_batches(waiting))
            assert isinstance(frame, pl.DataFrame)
            waiting, rows, empty = [], 0, False
            yield frame
    if empty:
        frame = pl.from_arrow(reader.schema.empty_table())
        assert isinstance(frame, pl.DataFrame)
        yield frame


__all__ = ["CANDIDATES", "duckdb_source", "run_sql"]
