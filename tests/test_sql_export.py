"""`livertx sql`: the guideline as one query, run on the engines it is offered for.

The exported query (scores, tables, candidates, agreed fits, `missing`, all in SQL) runs
on DuckDB in-process, on a real PostgreSQL server (Debian's `postgresql`, started in a
temporary directory by the fixture and stopped after) and on Spark SQL (local session);
every output column must equal the Polars cohort engine's on the same generated patients.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from livertx.cli import app
from livertx.cohort.export import DIALECTS, export_sql
from livertx.cohort.run import run_cohort
from livertx.generate import generate_patients
from livertx.knowledge import load_pack
from livertx.vocabulary import FIELDS

PACK = load_pack()
KEEP = ("patient_id",)


def _patients(n: int, seed: int) -> pl.DataFrame:
    frame = generate_patients(n, seed=seed, unknown_rate=0.15)
    return frame.with_row_index("patient_id").with_columns(pl.col("patient_id").cast(pl.Int64))


def _reference(patients: pl.DataFrame, folder: Path) -> pl.DataFrame:
    """The Polars cohort engine's output on the same patients."""
    patients.write_parquet(folder / "patients.parquet")
    run_cohort(folder / "patients.parquet", folder / "reference.parquet", pack=PACK)
    return (pl.read_parquet(folder / "reference.parquet")
            .with_columns(pl.col(pl.Enum).cast(pl.String)).sort("patient_id"))


def _differences(expected: pl.DataFrame, got: pl.DataFrame) -> dict[str, int]:
    assert got.columns == expected.columns
    out = {}
    for column in expected.columns:
        x, y = expected[column], got[column]
        if isinstance(x.dtype, pl.List):
            same = pl.Series([p == q for p, q in zip(x.to_list(), y.to_list())])
        else:
            same = x.eq_missing(y.cast(x.dtype))
        if not same.all():
            out[column] = int((~same).sum())
    return out


def test_the_query_on_duckdb_equals_the_polars_engine(tmp_path: Path) -> None:
    patients = _patients(20_000, seed=4)
    expected = _reference(patients, tmp_path)
    query = export_sql(PACK, "duckdb", "patients", KEEP)
    got = pl.from_arrow(duckdb.sql(query).to_arrow_table())
    assert isinstance(got, pl.DataFrame)
    assert got["category_candidates"].drop_nulls().len() > 1000  # open rows, resolved in SQL
    assert _differences(expected, got.sort("patient_id")) == {}


# --- PostgreSQL ---------------------------------------------------------------------------

def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server not found: run `make test` (it installs Debian's "
                           "postgresql) or apt-get install postgresql")
    return found[-1].parent


@pytest.fixture(scope="module")
def postgres() -> Iterator[list[str]]:
    """A PostgreSQL server on a Unix socket in a temporary directory; yields the psql
    command that reaches it. As root, the server runs as the `postgres` user (the folder is
    made directly under the system's temporary directory, which that user can reach)."""
    folder = Path(tempfile.mkdtemp(prefix="livertx-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    binary = _postgres_bin()
    data, port = folder / "data", "55433"
    subprocess.run([*as_user, str(binary / "initdb"), "-D", str(data), "-A", "trust",
                    "-U", "postgres"], check=True, capture_output=True)
    subprocess.run([*as_user, str(binary / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(folder / "log"), "-o", f"-k {folder} -p {port} -c listen_addresses=''",
                    "start"], check=True, capture_output=True)
    try:
        yield ["psql", "-h", str(folder), "-p", port, "-U", "postgres", "-v", "ON_ERROR_STOP=1",
               "-q"]
    finally:
        subprocess.run([*as_user, str(binary / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "stop"], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


_PG_TYPES = {"bool": "BOOLEAN", "int": "INTEGER", "float": "DOUBLE PRECISION", "enum": "TEXT"}


def _from_postgres(column: pl.Series, like: pl.Series) -> pl.Series:
    """psql's CSV text back to the reference's types (t/f, {a,b} arrays)."""
    if like.dtype == pl.Boolean:
        return column.replace_strict({"t": True, "f": False}, default=None,
                                     return_dtype=pl.Boolean)
    if isinstance(like.dtype, pl.List):
        return pl.Series([None if v is None else ([] if v == "{}" else v[1:-1].split(","))
                          for v in column], dtype=pl.List(pl.String))
    return column.cast(like.dtype)


def test_the_query_on_postgres_equals_the_polars_engine(tmp_path: Path,
                                                        postgres: list[str]) -> None:
    patients = _patients(3_000, seed=5)
    expected = _reference(patients, tmp_path)
    patients.write_csv(tmp_path / "patients.csv")
    columns = ", ".join(["patient_id BIGINT"] + [f"{s.name} {_PG_TYPES[s.type]}" for s in FIELDS])
    subprocess.run([*postgres, "-c", f"CREATE TABLE patients ({columns})"], check=True)
    subprocess.run([*postgres, "-c", (f"\\copy patients FROM '{tmp_path / 'patients.csv'}' "
                    "WITH (FORMAT csv, HEADER true)")], check=True)
    query = export_sql(PACK, "postgres", "patients", KEEP)
    done = subprocess.run(postgres, input=f"COPY ({query}) TO STDOUT WITH (FORMAT csv, "
                          "HEADER true);", capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    text = pl.read_csv(io.StringIO(done.stdout), infer_schema=False)
    got = text.with_columns(_from_postgres(text[c], expected[c]).alias(c)
                            for c in expected.columns)
    assert _differences(expected, got.sort("patient_id")) == {}


def test_the_query_on_spark_sql_equals_the_polars_engine(tmp_path: Path, spark: Any) -> None:
    """Spark SQL plans the long query slowly (about half a minute), so fewer patients."""
    patients = _patients(1_000, seed=6)
    expected = _reference(patients, tmp_path)
    spark.read.parquet(str(tmp_path / "patients.parquet")).createOrReplaceTempView("patients")
    got = pl.from_arrow(spark.sql(export_sql(PACK, "spark", "patients", KEEP)).toArrow())
    assert isinstance(got, pl.DataFrame)
    assert _differences(expected, got.sort("patient_id")) == {}


def test_the_cli_prints_the_query_and_refuses_untested_dialects() -> None:
    runner = CliRunner()
    printed = runner.invoke(app, ["sql", "--dialect", "postgres", "--keep", "patient_id"])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout.startswith("WITH ") and "FROM patients" in printed.stdout
    refused = runner.invoke(app, ["sql", "--dialect", "oracle"])
    assert refused.exit_code == 2
    assert "not offered; choose one of " + ", ".join(DIALECTS) in refused.output
