"""The Spark engine: the Polars engine inside Spark (`mapInArrow`), partition by partition.

Install with `pip install 'livertx[spark]'` (Java 17). The session is the active one if
there is one, else a new one: its master is `LIVERTX_SPARK_MASTER` (or Spark's own
`MASTER`), `local[*]` when neither is set; any other setting comes from the usual
SparkSession configuration (spark-defaults.conf, `PYSPARK_SUBMIT_ARGS`, spark-submit).
On a cluster, the executors' Python needs livertx installed (`PYSPARK_PYTHON`).

Why not the SQL text through `spark.sql`: Spark's optimiser inlines the chain of
projections, copying each normalised column's CASE into every condition that reads it;
the generated Java outgrows its limits and Spark falls back to interpreting the plan
(about 100x slower in our measurements). Each executor runs the same Polars
expressions as the default engine instead; the SQL twin keeps running on DuckDB.

Two passes like the other engines (open rows' keys, then every row with its key's
candidates). Spark writes the result's partitions; the driver then streams them, in input
order, into one Parquet or CSV file (memory on the driver stays bounded).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import polars as pl

from livertx.cohort import io
from livertx.cohort.candidates import candidates_for_keys
from livertx.cohort.errors import CohortError
from livertx.cohort.plan import KEY, CohortPlan, build_plan
from livertx.cohort.polars_engine import (
    assess_category,
    assess_options,
    assess_rows,
    normalise,
    open_keys,
)
from livertx.knowledge.pack import Pack, load_pack
from livertx.vocabulary import FIELD_BY_NAME

BATCH_ROWS = 131_072


def get_session() -> Any:
    """The active SparkSession, or a new one configured as the module docstring says."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise CohortError("the spark engine needs pyspark: pip install 'livertx[spark]'") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = os.environ.get("LIVERTX_SPARK_MASTER") or os.environ.get("MASTER") or "local[*]"
    # Executors run livertx's Polars engine: on one machine, this very interpreter has it.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (SparkSession.builder.master(master).appName("livertx-cohort")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.ui.enabled", "false")
            .getOrCreate())


def _pack_on_executor(pack_path: str | None) -> Pack:
    return load_pack(pack_path)


def _to_arrow(frame: pl.DataFrame, schema: Any) -> Any:
    """A Polars frame as Arrow in Spark's types (plain strings, no dictionaries)."""
    frame = frame.with_columns(pl.col(pl.Enum).cast(pl.String))
    return frame.to_arrow().cast(schema)


def _input_frame(spark: Any, path: Path, fmt: str, columns: list[str]) -> Any:
    from pyspark.sql.types import (
        BooleanType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    if fmt == "parquet":
        return spark.read.parquet(str(path))
    kinds = {"int": LongType(), "float": DoubleType(), "bool": BooleanType(),
             "enum": StringType()}
    schema = StructType([StructField(c, kinds[FIELD_BY_NAME[c].type] if c in FIELD_BY_NAME
                                     else StringType(), True) for c in columns])
    return (spark.read.option("header", True).option("mode", "FAILFAST")
            .schema(schema).csv(str(path)))


def run_spark(path: Path, fmt: str, columns: list[str], temporary: Path, out_format: str,
              plan: CohortPlan, pack: Pack, step: Callable[[str], None], result: Any,
              spark: Any = None) -> None:
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    spark = spark or get_session()
    # Each Arrow batch is one Polars query: larger batches spread its fixed cost.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
    pack_path = None if pack is load_pack() else str(pack.path)
    step("finding the open rows")
    t0 = time.perf_counter()
    key_schema = pa.schema([(KEY, pa.int64())])

    def keys_of(batches: Iterator[Any]) -> Iterator[Any]:
        local_plan = build_plan(_pack_on_executor(pack_path))
        for batch in batches:
            table = cast(pl.DataFrame, pl.from_arrow(pa.Table.from_batches([batch])))
            frame = normalise(table.lazy(), columns)
            keys = open_keys(frame, local_plan).collect()
            yield from keys.to_arrow().cast(key_schema).to_batches()

    try:
        source = _input_frame(spark, path, fmt, columns)
        # Few keys per partition: gathered and made distinct on the driver (no shuffle).
        found = cast(pl.DataFrame,
                     pl.from_arrow(source.mapInArrow(keys_of, f"{KEY} long").toArrow()))
        keys = found[KEY].unique()
    except Exception as exc:  # noqa: BLE001 - pyspark raises many unrelated classes for a bad file
        raise CohortError(f"input {path}: {_first_line(exc)}") from None
    step("listing the candidates of open rows")
    t1 = time.perf_counter()
    candidates = candidates_for_keys(keys, plan, pack)
    step("assessing and writing")
    t2 = time.perf_counter()
    empty = pl.from_arrow(pa.Table.from_batches([], schema=source.schema and _arrow_schema(source)))
    assert isinstance(empty, pl.DataFrame)
    out_frame = _assessed(empty, plan, candidates, columns).with_columns(
        pl.col(pl.Enum).cast(pl.String))
    out_schema = out_frame.to_arrow().schema
    out_schema = pa.schema([f.with_type(_plain(f.type)) for f in out_schema])

    def assessed(batches: Iterator[Any]) -> Iterator[Any]:
        local_plan = build_plan(_pack_on_executor(pack_path))
        for batch in batches:
            frame = pl.from_arrow(pa.Table.from_batches([batch]))
            assert isinstance(frame, pl.DataFrame)
            yield from _to_arrow(_assessed(frame, local_plan, candidates, columns),
                                 out_schema).to_batches()

    parts = Path(tempfile.mkdtemp(prefix=".livertx-spark-", dir=temporary.parent))
    try:
        try:
            # Spark writes its partitions (in parallel, on any cluster); the driver then
            # streams them, in order, into the one output file.
            (source.mapInArrow(assessed, from_arrow_schema(out_schema))
             .write.mode("overwrite").parquet(str(parts / "out")))
        except Exception as exc:  # noqa: BLE001 - as above: pyspark's many exception classes
            raise CohortError(f"input {path}: {_first_line(exc)}") from None
        merged = pl.scan_parquet(parts / "out" / "*.parquet")
        if out_format == "parquet":
            merged.sink_parquet(temporary, compression="lz4", statistics=False)
        else:
            io.for_csv(merged).sink_csv(temporary)
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    result.timings.update(keys=t1 - t0, candidates=t2 - t1, assess_write=time.perf_counter() - t2)


def _assessed(frame: pl.DataFrame, plan: CohortPlan, candidates: pl.DataFrame,
              columns: list[str]) -> pl.DataFrame:
    prepared = normalise(frame.lazy(), columns)
    return assess_rows(assess_options(assess_category(prepared, plan), plan).collect(), plan,
                       candidates, columns)


def _arrow_schema(frame: Any) -> Any:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(frame.schema)


def _plain(arrow_type: Any) -> Any:
    """Spark's Arrow types: no large or view strings, lists of plain strings."""
    import pyarrow as pa

    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return pa.string()
    if pa.types.is_large_list(arrow_type) or pa.types.is_list(arrow_type) \
            or pa.types.is_list_view(arrow_type):
        return pa.list_(_plain(arrow_type.value_type))
    return arrow_type


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


__all__ = ["get_session", "run_spark"]
