"""One patient and a million cannot disagree: every engine, the same answers (fits, rules,
`missing` and candidates included).

100,000 generated patients (values on the thresholds the tables use, 15% of facts
unknown, plus rows that must be rejected) go through the Polars, DuckDB and Spark cohort
engines; every output column must be identical. The Polars engine is also compared with
`livertx.engine.frames` (the reference the single-patient path uses), and a sample of
300 rows with `livertx.engine.assess` called one patient at a time.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from livertx.cohort.plan import CANDIDATES, ERROR, build_plan
from livertx.cohort.run import run_cohort
from livertx.engine import assess, evaluate
from livertx.frame import with_defaults
from livertx.generate import generate_patients
from livertx.knowledge import load_pack
from livertx.scores import DERIVED_COLUMNS
from livertx.vocabulary import FIELD_BY_NAME

N = 100_000
SAMPLE = 300
BAD_EVERY = 997  # about 100 rows that must be rejected
PACK = load_pack()
PLAN = build_plan(PACK)


def _cohort() -> pl.DataFrame:
    frame = generate_patients(N, seed=20170101, unknown_rate=0.15)
    index = np.arange(N)
    bad = pl.Series(index % BAD_EVERY == 0)
    kind = pl.Series(index // BAD_EVERY % 3)
    return frame.with_columns(
        patient_id=pl.Series(index),
        tumor_count=pl.when(bad & (kind == 0)).then(0).otherwise(pl.col("tumor_count")),
        ascites=pl.when(bad & (kind == 1)).then(pl.lit("huge")).otherwise(pl.col("ascites")),
        vascular_invasion=pl.when(bad & (kind == 2)).then(False)
        .otherwise(pl.col("vascular_invasion")),
        major_vascular_invasion=pl.when(bad & (kind == 2)).then(True)
        .otherwise(pl.col("major_vascular_invasion")),
    ).select("patient_id", *frame.columns)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, spark) -> dict[str, pl.DataFrame]:
    folder = tmp_path_factory.mktemp("differential")
    source = folder / "cohort.parquet"
    _cohort().write_parquet(source)
    out: dict[str, pl.DataFrame] = {"input": pl.read_parquet(source)}
    for engine in ("polars", "duckdb", "spark"):
        path = folder / f"{engine}.parquet"
        result = run_cohort(source, path, engine=engine, pack=PACK, spark=spark)
        assert result.rows == N
        out[engine] = _plain(pl.read_parquet(path))
    return out


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Enums as text: engines differ in storage type, not in values."""
    return frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))


def _differences(a: pl.DataFrame, b: pl.DataFrame, columns: list[str]) -> dict[str, int]:
    out = {}
    for column in columns:
        x, y = a[column], b[column]
        if x.dtype != y.dtype:
            y = y.cast(x.dtype)
        same = x.eq_missing(y) if not isinstance(x.dtype, pl.List) else pl.Series(
            [p == q for p, q in zip(x.to_list(), y.to_list())])
        if not same.all():
            out[column] = int((~same).sum())
    return out


def test_the_cohort_exercises_every_category_fit_and_rejection(runs) -> None:
    frame = runs["polars"]
    assert set(frame["category"].drop_nulls()) == set(PLAN.categories)
    assert frame["category"].null_count() - frame[ERROR].is_not_null().sum() > 1000  # open rows
    assert 90 <= frame[ERROR].is_not_null().sum() <= 110
    for table in PLAN.compiled.options:
        assert "unknown" in set(frame[table.column].drop_nulls()), table.column
    assert frame["largest_tumor_cm"].is_in([2.0, 3.0, 5.0]).sum() > 10_000  # edge sizes


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_engine_output_is_identical_to_polars(runs, engine: str) -> None:
    polars_out, other = runs["polars"], runs[engine]
    assert other.columns == polars_out.columns
    assert other["patient_id"].to_list() == polars_out["patient_id"].to_list()
    columns = [c for c in polars_out.columns if c not in runs["input"].columns]
    assert _differences(polars_out, other, columns) == {}


def test_polars_engine_equals_the_reference_evaluate(runs) -> None:
    source = runs["input"]
    valid = runs["polars"].filter(pl.col(ERROR).is_null())
    reference = evaluate(with_defaults(source.lazy()), PACK).collect()
    reference = reference.filter(runs["polars"][ERROR].is_null())
    closed = valid["category"].is_not_null()
    columns = [*DERIVED_COLUMNS, *PLAN.decision_columns, "missing"]
    assert _differences(reference.filter(closed), valid.filter(closed), columns) == {}
    # While the category is open, `evaluate` (which knows no candidates) leaves a fit
    # unknown; the engine may then give the fit every candidate agrees on, and only then.
    opened, ref = valid.filter(~closed), reference.filter(~closed)
    assert _differences(ref, opened, [*DERIVED_COLUMNS, "category", "category_rule"]) == {}
    resolved = 0
    for table in PLAN.compiled.options:
        changed = ~ref[table.column].eq_missing(opened[table.column])
        assert (ref[table.column].filter(changed) == "unknown").all(), table.column
        resolved += int(changed.sum())
    assert resolved > 1000  # agreement over the candidates does happen


def test_sample_equals_assess_one_patient_at_a_time(runs) -> None:
    frame = runs["polars"].filter(pl.col(ERROR).is_null()).sample(SAMPLE, seed=7)
    open_rows = 0
    for row in frame.iter_rows(named=True):
        patient = {k: v for k, v in row.items() if k in FIELD_BY_NAME and v is not None}
        single = assess(patient, PACK)
        derived = single["derived"]
        assert row["category"] == single["category"]["id"]
        assert row[CANDIDATES] == ([c["id"] for c in single["category"]["candidates"]]
                                   if single["category"]["id"] is None else None)
        open_rows += row["category"] is None
        assert {f"fit_{o['id']}": o["fit"] for o in single["options"]} == {
            t.column: row[t.column] for t in PLAN.compiled.options}
        assert {f"rule_{o['id']}": o["rule"] for o in single["options"]} == {
            t.rule_column: row[t.rule_column] for t in PLAN.compiled.options}
        assert single["missing"] == row["missing"]  # defined once (livertx.engine.missing)
        assert (row["cp_score"], row["cp_class"], row["milan"]) == (
            derived["child_pugh"]["score"], derived["child_pugh"]["class"], derived["milan"])
        assert (row["t_category"], row["n_category"], row["m_category"], row["stage_group"]) == (
            derived["tnm"]["t"], derived["tnm"]["n"], derived["tnm"]["m"], derived["tnm"]["stage"])
    assert open_rows > 30  # the sample includes open categories with their candidates
