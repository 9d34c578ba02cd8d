"""The differential test of the engine, for the bclc-2022 pack: the same generated cohort
through the Polars, DuckDB and Spark engines must give identical output columns (fits,
rules, `missing` and candidates included), and a sample must equal `assess` one patient at
a time."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from test_differential import _cohort, _differences, _plain

from livertx.cohort.plan import CANDIDATES, ERROR, build_plan
from livertx.cohort.run import run_cohort
from livertx.engine import assess
from livertx.knowledge.pack import load_guideline
from livertx.vocabulary import FIELD_BY_NAME

PACK = load_guideline("bclc-2022")
PLAN = build_plan(PACK)
SAMPLE = 120


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> dict[str, pl.DataFrame]:
    folder = tmp_path_factory.mktemp("bclc-differential")
    source = folder / "cohort.parquet"
    _cohort().head(30_000).write_parquet(source)
    out: dict[str, pl.DataFrame] = {"input": pl.read_parquet(source)}
    for engine in ("polars", "duckdb", "spark"):
        path = folder / f"{engine}.parquet"
        run_cohort(source, path, engine=engine, pack=PACK, spark=spark)
        out[engine] = _plain(pl.read_parquet(path))
    return out


def test_the_cohort_reaches_every_stage_and_open_stages(runs: dict[str, pl.DataFrame]) -> None:
    frame = runs["polars"]
    assert set(frame["category"].drop_nulls()) == set(PLAN.categories)
    assert frame[CANDIDATES].drop_nulls().len() > 1000


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_every_engine_gives_the_same_columns(runs: dict[str, pl.DataFrame], engine: str) -> None:
    polars_out, other = runs["polars"], runs[engine]
    assert other.columns == polars_out.columns
    columns = [c for c in polars_out.columns if c not in runs["input"].columns]
    assert _differences(polars_out, other, columns) == {}


def test_sample_equals_assess_one_patient_at_a_time(runs: dict[str, pl.DataFrame]) -> None:
    frame = runs["polars"].filter(pl.col(ERROR).is_null()).sample(SAMPLE, seed=11)
    for row in frame.iter_rows(named=True):
        patient = {k: v for k, v in row.items() if k in FIELD_BY_NAME and v is not None}
        single = assess(patient, PACK)
        assert row["category"] == single["category"]["id"]
        assert row[CANDIDATES] == ([c["id"] for c in single["category"]["candidates"]]
                                   if single["category"]["id"] is None else None)
        assert {f"fit_{o['id']}": o["fit"] for o in single["options"]} == {
            t.column: row[t.column] for t in PLAN.compiled.options}
        assert single["missing"] == row["missing"]
        assert row["meld_na"] == single["derived"]["meld_na"]
