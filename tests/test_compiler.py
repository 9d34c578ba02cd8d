"""The compiler (issue 10): one description, three backends that cannot disagree.

- SQL's three-valued logic, edge by edge, in the Python backend (the one-patient path).
- Every condition of the pack and every output of the score library gives the same value
  in Python, Polars and DuckDB on generated patients (values on every threshold, 15%
  unknown), and for any vocabulary patient hypothesis draws.
- ALBI, the score added as one file, on values worked by hand from Johnson et al. 2015.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import given
from test_engine_properties import SETTINGS, _frame, patients

from livertx.compiler import ExpressionError, parse
from livertx.compiler.partial import compile_partial_steps
from livertx.compiler.polars import compile_polars
from livertx.compiler.python import compile_python
from livertx.compiler.sql import compile_sql
from livertx.engine import evaluate
from livertx.engine.rows import condition_column, evaluate_row, row_plan, with_category
from livertx.generate import generate_patients
from livertx.knowledge import load_pack
from livertx.knowledge.pack import load_guideline
from livertx.patient import parse_patient
from livertx.scores import DERIVED_COLUMNS, derive, library

PACK = load_pack()


def py(text: str, **row: Any) -> Any:
    return compile_python(parse(text))(row)


@pytest.mark.parametrize(("text", "row", "expected"), [
    ("a AND b", {"a": None, "b": False}, False),
    ("a AND b", {"a": None, "b": True}, None),
    ("a OR b", {"a": None, "b": True}, True),
    ("a OR b", {"a": None, "b": False}, None),
    ("NOT a", {"a": None}, None),
    ("x > 3", {"x": None}, None),
    ("x IN ('a', 'b')", {"x": None}, None),
    ("x IN ('a', 'b')", {"x": "c"}, False),
    ("x IN ('a', NULL)", {"x": "c"}, None),
    ("x IS NULL", {"x": None}, True),
    ("x IS NOT NULL", {"x": None}, False),
    ("x BETWEEN 1 AND 2", {"x": 2}, True),
    ("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END", {"a": None, "b": True}, 2),
    ("CASE WHEN a THEN 1 END", {"a": None}, None),
    ("CASE x WHEN 'a' THEN 1 ELSE 0 END", {"x": None}, 0),
    ("COALESCE(a, b, 7)", {"a": None, "b": None}, 7),
    ("a + b", {"a": 1, "b": None}, None),
    ("a / b", {"a": 1, "b": 0}, None),
    ("GREATEST(a, b)", {"a": None, "b": 4}, 4),
    ("LEAST(a, b)", {"a": None, "b": None}, None),
    ("LOG10(a)", {"a": 0}, None),
    ("ROUND(a, 2)", {"a": 1.23456}, 1.23),
])
def test_three_valued_logic_in_the_python_backend(text: str, row: dict, expected: Any) -> None:
    assert py(text, **row) == expected
    assert straight_line(text, row) == expected


def straight_line(text: str, row: dict) -> Any:
    """The expression through the generated straight-line code that `evaluate_row` runs."""
    out = dict(row)
    compile_partial_steps([("_v", parse(text))], plain=True)(out)
    return out["_v"]


@pytest.mark.parametrize("text", ["x LIKE 'a%'", "SUBSTR(x, 1)", "x IN (SELECT 1)", "x +"])
def test_what_is_outside_the_subset_is_refused(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse(text)


def _expressions() -> dict[str, str]:
    """Every condition of the pack and every output of the score library, by a name."""
    found = {f"{t.id}:{r.id}": r.when for t in PACK.tables for r in t.rows}
    found.update({f"safety:{n.id}": n.when for n in PACK.safety_notes})
    return found


def _rows(n: int) -> pl.DataFrame:
    """Generated patients with every derived value and outcome (the conditions' inputs)."""
    frame = generate_patients(n, seed=11, unknown_rate=0.15)
    return evaluate(frame.lazy(), PACK).collect()


def test_python_polars_and_duckdb_agree_on_every_condition() -> None:
    frame = _rows(3000)
    patients_table = frame.to_arrow()  # noqa: F841 - read by DuckDB's replacement scan below
    rows = frame.to_dicts()
    for name, text in _expressions().items():
        node = parse(text)
        by_polars = frame.with_columns(compile_polars(node).alias("_v"))["_v"].to_list()
        by_duckdb = [r[0] for r in duckdb.sql(f"SELECT {compile_sql(node)} FROM patients_table").fetchall()]
        run = compile_python(node)
        by_python = [run(r) for r in rows]
        assert by_python == by_polars, name
        assert by_python == by_duckdb, name
        generated = compile_partial_steps([("_v", node)], plain=True)
        assert [(generated(out := dict(r)), out["_v"])[1] for r in rows] == by_python, name


@pytest.mark.parametrize("guideline", ["acs-2017", "bclc-2022"])
def test_one_generated_function_equals_the_closures_for_a_whole_row(guideline: str) -> None:
    """`evaluate_row` and `with_category` run one generated function per pack: every value
    (and its type) must be what the closures of the Python backend give, step by step."""
    pack = load_guideline(guideline)
    plan = row_plan(pack)
    categories = list(dict.fromkeys(r.outcome for r in pack.category_table.rules))
    frame = generate_patients(400, seed=5, unknown_rate=0.3)
    for facts in frame.iter_rows(named=True):
        given = parse_patient({k: v for k, v in facts.items() if v is not None}).facts()
        expected = library.derive_row(given)
        for table in (plan.category, *plan.options):
            table.decide(expected)
        for note_id, condition in plan.safety:
            expected[condition_column(note_id)] = condition(expected)
        row = evaluate_row(given, pack)
        assert [(k, v, type(v)) for k, v in row.items()] == [
            (k, v, type(v)) for k, v in expected.items()]
        for category in categories:
            again = {**expected, "category": category}
            for table in plan.options:
                table.redecide(again)
            assert with_category(row, category, pack) == again


def test_python_polars_and_duckdb_agree_on_every_score() -> None:
    frame = generate_patients(5000, seed=12, unknown_rate=0.15)
    polars_out = derive(frame.lazy()).collect()
    source = frame.to_arrow()  # noqa: F841 - read by DuckDB below
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    query = f"SELECT {columns} FROM source"
    for group in library.levels():  # one SELECT a level, as the cohort's SQL does
        names = {o.name for o in group}
        kept = ", ".join(f'"{c}"' for c in dict.fromkeys(
                             [*frame.columns, *(o.name for g in library.levels() for o in g)])
                         if c not in names and (c in frame.columns or _defined_before(c, group)))
        added = ", ".join(f"{compile_sql(o.node)} AS \"{o.name}\"" for o in group)
        query = f"SELECT {kept}, {added} FROM ({query})"
    duck = pl.from_arrow(duckdb.sql(query).to_arrow_table())
    assert isinstance(duck, pl.DataFrame)
    python_rows = [library.derive_row(r) for r in frame.to_dicts()]
    for column in DERIVED_COLUMNS:
        expected = polars_out[column].to_list()
        assert [r[column] for r in python_rows] == expected, column
        assert duck[column].to_list() == expected, column


def _defined_before(column: str, group: tuple[library.Output, ...]) -> bool:
    """A library output column exists in a level's input only if an earlier level made it."""
    outputs = [o.name for g in library.levels() for o in g]
    if column not in outputs:
        return True
    level = next(i for i, g in enumerate(library.levels()) if group == g)
    return any(column in {o.name for o in g} for g in library.levels()[:level])


@SETTINGS
@given(patients())
def test_the_python_backend_equals_the_polars_backend_for_any_patient(row: dict) -> None:
    patient = parse_patient({k: v for k, v in row.items() if v is not None})
    one = evaluate_row(patient.facts(), PACK)
    frame = evaluate(_frame([patient.facts()]).lazy(), PACK, keep_conditions=True,
                     with_missing=False).collect().row(0, named=True)
    for column in [*DERIVED_COLUMNS, "category", "category_rule",
                   *(c for t in PACK.option_tables.values()
                     for c in (t.column, f"rule_{t.option}"))]:
        assert one[column] == frame[column], column


@pytest.mark.parametrize(("bilirubin_umol", "albumin_g_l", "grade"), [
    (10.0, 45.0, 1),   # 0.66 x 1 - 0.085 x 45 = -3.165
    (17.1, 40.0, 2),   # 0.66 x log10(17.1) - 3.4 = -2.586
    (51.3, 25.0, 3),   # 0.66 x log10(51.3) - 2.125 = -0.996
])
def test_albi_from_the_published_formula(bilirubin_umol: float, albumin_g_l: float,
                                         grade: int) -> None:
    patient = parse_patient({"bilirubin": f"{bilirubin_umol} umol/L",
                             "albumin": f"{albumin_g_l} g/L"})
    row = library.derive_row(patient.facts())
    expected = 0.66 * math.log10(bilirubin_umol) - 0.085 * albumin_g_l
    assert row["albi_score"] == pytest.approx(expected, abs=2e-6)
    assert row["albi_grade"] == grade


def test_albi_is_one_file_that_nothing_else_names() -> None:
    """Adding a score is adding a file: no Python module names ALBI; its values reach the
    JSON (`derived.values`), the cohort columns and every backend from the library."""
    from pathlib import Path

    src = Path(library.__file__).resolve().parents[1]
    naming = [str(p.relative_to(src)) for p in src.rglob("*.py")
              if "albi" in p.read_text(encoding="utf-8").lower()]
    # Only the surfaces that show it by name (the output contract's `derived.albi`, the
    # text report, the CDS stage card and the `livertx calc albi` calculator) read its
    # columns; none computes it.
    assert sorted(naming) == ["cds/stage_card.py", "cli/calc.py", "engine/assess.py",
                              "render/markdown.py", "scores/calculator.py"]
    computing = [p for p in naming if "log10" in (src / p).read_text(encoding="utf-8").lower()]
    assert computing == []
    assert {"albi_score", "albi_grade"} <= set(DERIVED_COLUMNS)
