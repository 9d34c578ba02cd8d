"""The column schema of a table of patients, and the one-row table of one patient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import polars as pl

from livertx.patient import Patient
from livertx.vocabulary import FIELDS, FieldSpec

_DTYPES: dict[str, pl.DataType] = {"bool": pl.Boolean(), "int": pl.Int32(), "float": pl.Float64(),
                                   "enum": pl.String()}

# Small tables (one patient, a few candidates) run faster on Polars' in-memory engine and
# without query optimisation: for a handful of rows, planning costs more than it saves.
SMALL_ENGINE: Final = "in-memory"


def collect_small(frame: pl.LazyFrame) -> pl.DataFrame:
    """Collect a query over a few rows (one patient, its candidates)."""
    return frame.collect(engine=SMALL_ENGINE, optimizations=pl.QueryOptFlags.none())

COLUMN_SCHEMA: dict[str, pl.DataType] = {spec.name: _DTYPES[spec.type] for spec in FIELDS}


def patients_frame(patients: Iterable[Patient]) -> pl.DataFrame:
    """A table of patients in the vocabulary's column schema."""
    return pl.DataFrame([p.facts() for p in patients], schema=COLUMN_SCHEMA, orient="row")


def with_defaults(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add missing columns (facts as null, qualifiers with their default) and cast to the schema."""
    present = set(frame.collect_schema().names())
    return frame.with_columns(
        [_filled(spec, present) for spec in FIELDS])


def _filled(spec: FieldSpec, present: set[str]) -> pl.Expr:
    dtype = COLUMN_SCHEMA[spec.name]
    column = pl.col(spec.name).cast(dtype) if spec.name in present else pl.lit(None, dtype)
    if spec.kind == "qualifier":
        column = column.fill_null(spec.default)
    return column.alias(spec.name)
