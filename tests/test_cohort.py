"""`livertx cohort` on real Parquet and CSV files: what an analyst sees in the output.

Each test writes real files in tmp_path and runs the real command (Typer in-process) or
`run_cohort`: columns and their order, the clinical values of known patients (the same as
`assess`), rejected rows with their `error`, bad files stopping before any output, atomic
replacement, `--map`, `--units si`, exit codes, and a self-contained HTML summary.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from livertx.cli import app
from livertx.cohort.errors import CohortError
from livertx.cohort.plan import build_plan
from livertx.cohort.run import run_cohort
from livertx.engine import assess
from livertx.knowledge import load_pack

PACK = load_pack()
PLAN = build_plan(PACK)
runner = CliRunner()

EARLY = {"tumor_count": 1, "largest_tumor_cm": 2.5, "vascular_invasion": False,
         "lymph_node_spread": False, "distant_spread": False, "cirrhosis": True,
         "bilirubin": 0.9, "albumin": 3.9, "inr": 1.1, "ascites": "none",
         "encephalopathy": "none", "fit_for_surgery": True}
ADVANCED_C = {**EARLY, "distant_spread": True, "bilirubin": 4.0, "albumin": 2.5, "inr": 2.5,
              "ascites": "moderate", "encephalopathy": "grade_1_2"}
UNKNOWN_FITNESS = {**EARLY, "fit_for_surgery": None}


def _frame(rows: list[dict]) -> pl.DataFrame:
    ids = {"patient_id": [f"p{i}" for i in range(len(rows))]}
    columns = sorted({k for r in rows for k in r})
    data = {c: [r.get(c) for r in rows] for c in columns}
    return pl.DataFrame({**ids, **data}, strict=False)


def _read(path: Path) -> pl.DataFrame:
    frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path)
    return frame.with_columns(pl.col(pl.Enum).cast(pl.String))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _cli(*args: str):
    result = runner.invoke(app, ["cohort", *args])
    assert "Traceback" not in _flat(result.output)
    return result


def test_parquet_output_keeps_input_then_derived_decisions_missing_error(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    _frame([EARLY, ADVANCED_C, UNKNOWN_FITNESS]).write_parquet(source)
    out = tmp_path / "out.parquet"
    result = run_cohort(source, out)
    frame = _read(out)
    input_columns = pl.read_parquet_schema(source).names()
    assert frame.columns == [*input_columns, *PLAN.output_columns]
    assert frame["patient_id"].to_list() == ["p0", "p1", "p2"]
    assert (result.rows, result.rejected, result.open) == (3, 0, 1)
    early, advanced, unknown = frame.iter_rows(named=True)
    # One small tumour, Child-Pugh A, fit: removable by surgery, resection the main option.
    assert early["category"] == "potentially_resectable"
    assert (early["cp_class"], early["t_category"], early["stage_group"]) == ("A", "T1b", "IB")
    assert early["fit_partial_hepatectomy"] == "primary"
    # Spread to other organs with a liver in class C: advanced, and no sorafenib.
    assert advanced["category"] == "advanced"
    assert (advanced["cp_class"], advanced["stage_group"]) == ("C", "IVB")
    assert advanced["fit_sorafenib"] == "not_advised"
    assert advanced["category_candidates"] is None
    # Fitness unknown: the category stays open, with the reachable categories beside it.
    assert unknown["category"] is None
    assert unknown["category_candidates"] == ["potentially_resectable", "inoperable_local"]
    assert "fit_for_surgery" in unknown["missing"]


def test_every_fit_matches_assess_for_the_same_patient(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    patients = [EARLY, ADVANCED_C, UNKNOWN_FITNESS]
    _frame(patients).write_parquet(source)
    frame = _read(run_cohort(source, tmp_path / "out.parquet").output)
    for patient, row in zip(patients, frame.iter_rows(named=True)):
        single = assess({k: v for k, v in patient.items() if v is not None}, PACK)
        assert row["category"] == single["category"]["id"]
        for option in single["options"]:
            assert row[f"fit_{option['id']}"] == option["fit"], option["id"]


def test_csv_in_and_out_with_lists_as_text(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    _frame([EARLY, UNKNOWN_FITNESS]).write_csv(source)
    out = tmp_path / "out.csv"
    result = _cli(str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out)
    assert frame["category"].to_list() == ["potentially_resectable", None]
    assert frame["category_candidates"][1] == "potentially_resectable|inoperable_local"
    assert "fit_for_surgery" in frame["missing"][1].split("|")


def test_bad_rows_get_an_error_naming_field_and_range_and_are_not_assessed(
        tmp_path: Path) -> None:
    rows = [EARLY,
            {**EARLY, "tumor_count": 0},
            {**EARLY, "ascites": "huge"},
            {**EARLY, "bilirubin": 500.0},
            {**EARLY, "major_vascular_invasion": True, "vascular_invasion": False},
            {**EARLY, "tumor_count": 2, "spread_throughout_liver": True},
            {**EARLY, "ascites": "Mild"}]
    source = tmp_path / "in.parquet"
    _frame(rows).write_parquet(source)
    out = tmp_path / "out.parquet"
    result = _cli(str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "5 rejected" in _flat(result.output)
    frame = _read(out)
    errors = frame["error"].to_list()
    assert errors[0] is None and errors[6] is None  # "Mild" is the accepted alias of slight
    assert errors[1] == "tumor_count: out of range; expected a number at least 1 and at most 50"
    assert errors[2].startswith("ascites: 'huge' is not accepted; expected one of none, slight")
    assert "bilirubin: out of range" in errors[3] and "at most 60 mg/dL" in errors[3]
    assert errors[4].startswith("vascular_invasion: is false but major_vascular_invasion is true")
    assert errors[5].startswith("spread_throughout_liver: is true but tumor_count is 2")
    assert frame["category"].to_list()[1:6] == [None] * 5
    assert frame["fit_partial_hepatectomy"].to_list()[1:6] == [None] * 5
    assert frame["cp_points_ascites"][6] == 2
    assert frame["ascites"][2] == "huge"  # the input's own value is kept as given


def test_bad_file_stops_before_any_output_and_keeps_the_old_output(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous results")
    wrong_type = tmp_path / "wrong.parquet"
    pl.DataFrame({"tumor_count": ["one", "two"]}).write_parquet(wrong_type)
    result = _cli(str(wrong_type), "-o", str(out))
    assert result.exit_code == 2
    assert "column tumor_count holds String; expected whole numbers" in _flat(result.output)
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not a parquet file at all")
    result = _cli(str(garbage), "-o", str(out))
    assert result.exit_code == 2 and "cannot be read as PARQUET" in _flat(result.output)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("tumor_count,largest_tumor_cm\n1,2.0\n" + "2,3.0\n" * 20_000 + "x,1\n")
    result = _cli(str(bad_csv), "-o", str(out))
    assert result.exit_code == 2 and "error:" in _flat(result.output)
    assert out.read_bytes() == b"previous results"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["out.parquet", "wrong.parquet", "garbage.parquet", "bad.csv"])  # no partial files


def test_output_is_replaced_atomically_on_success(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    _frame([EARLY]).write_parquet(source)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"old")
    run_cohort(source, out)
    assert _read(out)["category"].to_list() == ["potentially_resectable"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_map_renames_and_recodes_another_layout(tmp_path: Path) -> None:
    source = tmp_path / "registry.csv"
    source.write_text("id,n_nod,size,pvt,mets,nodes,cirr,fit,bili_umol,alb_gl,inr,asc,enc\n"
                      "a,1,2.5,0,0,0,Y,1,15.39,39,1.1,1,1\n"
                      "b,2,NA,0,1,0,Y,1,15.39,39,1.1,3,2\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("""
missing: [NA]
columns:
  tumor_count: n_nod
  largest_tumor_cm: size
  vascular_invasion: {from: pvt, values: {"1": true, "0": false}}
  distant_spread: {from: mets, values: {"1": true, "0": false}}
  lymph_node_spread: {position: 5, values: {"1": true, "0": false}}
  cirrhosis: {from: cirr, values: {Y: true, N: false}}
  fit_for_surgery: {from: fit, values: {"1": true, "0": false}}
  bilirubin: {from: bili_umol, unit: umol/L}
  albumin: {from: alb_gl, unit: g/L}
  inr: inr
  ascites: {from: asc, values: {"1": none, "2": slight, "3": moderate}}
  encephalopathy: {from: enc, values: {"1": none, "2": grade_1_2, "3": grade_3_4}}
""")
    out = tmp_path / "out.parquet"
    result = _cli(str(source), "-o", str(out), "--map", str(mapping))
    assert result.exit_code == 0, result.output
    frame = _read(out)
    assert frame.columns[:13] == ["id", "n_nod", "size", "pvt", "mets", "nodes", "cirr", "fit",
                                  "bili_umol", "alb_gl", "inr", "asc", "enc"]
    first, second = frame.iter_rows(named=True)
    assert (first["bilirubin"], first["albumin"]) == (0.9, 3.9)  # 15.39 umol/L, 39 g/L
    assert first["category"] == "potentially_resectable"
    assert second["category"] == "advanced" and second["largest_tumor_cm"] is None
    assert second["cp_points_ascites"] == 3
    before = out.read_bytes()
    mapping.write_text("columns:\n  cirrhosis: {from: cirr, values: {N: false}}\n")
    result = _cli(str(source), "-o", str(out), "--map", str(mapping))
    assert result.exit_code == 2
    assert "columns.cirrhosis does not say what to do with value(s) 'Y'" in _flat(result.output)
    assert out.read_bytes() == before
    mapping.write_text("columns:\n  tumour_count: n_nod\n")
    result = _cli(str(source), "-o", str(out), "--map", str(mapping))
    assert result.exit_code == 2
    assert "tumour_count is not a vocabulary field" in _flat(result.output)


def test_units_si_converts_bilirubin_and_albumin_as_the_single_patient_path(
        tmp_path: Path) -> None:
    source = tmp_path / "si.csv"
    source.write_text("bilirubin,albumin,inr,ascites,encephalopathy\n"
                      "34.2,35,1.0,none,none\n51.3,27.9,1.0,none,none\n20,40,1.0,none,none\n")
    out = tmp_path / "out.csv"
    result = _cli(str(source), "-o", str(out), "--units", "si")
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out)
    single = [assess({"bilirubin": f"{b} umol/L", "albumin": f"{a} g/L", "inr": 1.0,
                      "ascites": "none", "encephalopathy": "none"}, PACK)
              for b, a in ((34.2, 35), (51.3, 27.9), (20, 40))]
    assert frame["bilirubin"].to_list() == [2.0, 3.0, 1.1696]  # mg/dL, 4 decimals
    assert frame["albumin"].to_list() == [3.5, 2.79, 4.0]  # g/dL
    assert frame["cp_points_bilirubin"].to_list() == [
        s["derived"]["child_pugh"]["points"]["bilirubin"] for s in single]
    assert frame["cp_points_albumin"].to_list() == [2, 3, 1]
    assert frame["cp_score"].to_list() == [s["derived"]["child_pugh"]["score"] for s in single]


@pytest.mark.parametrize(("args", "message"), [
    (["--engine", "oracle"], "--engine 'oracle' is not known"),
    (["--units", "imperial"], "--units 'imperial' is not known"),
    (["--summary", "report.pdf"], "ending in .html"),
])
def test_bad_options_exit_2_with_a_message(tmp_path: Path, args: list[str], message: str) -> None:
    source = tmp_path / "in.parquet"
    _frame([EARLY]).write_parquet(source)
    result = _cli(str(source), "-o", str(tmp_path / "out.parquet"), *args)
    assert result.exit_code == 2
    assert message in _flat(result.output)
    assert not (tmp_path / "out.parquet").exists()


def test_missing_input_unknown_type_and_reserved_column_exit_2(tmp_path: Path) -> None:
    out = str(tmp_path / "out.parquet")
    assert "no such file" in _cli(str(tmp_path / "none.parquet"), "-o", out).output
    (tmp_path / "in.json").write_text("{}")
    result = _cli(str(tmp_path / "in.json"), "-o", out)
    assert result.exit_code == 2 and "use .parquet or .csv" in _flat(result.output)
    reserved = tmp_path / "reserved.parquet"
    pl.DataFrame({"tumor_count": [1], "category": ["x"]}).write_parquet(reserved)
    result = _cli(str(reserved), "-o", out)
    assert result.exit_code == 2
    assert "category are written by the cohort run" in _flat(result.output)


def test_duckdb_engine_gives_the_polars_output(tmp_path: Path) -> None:
    rows = [EARLY, ADVANCED_C, UNKNOWN_FITNESS, {**EARLY, "tumor_count": 0}]
    source = tmp_path / "in.csv"
    _frame(rows).write_csv(source)
    polars_out, duck_out = tmp_path / "p.parquet", tmp_path / "d.parquet"
    run_cohort(source, polars_out)
    result = run_cohort(source, duck_out, engine="duckdb")
    assert result.rejected == 1
    a, b = _read(polars_out), _read(duck_out)
    for column in PLAN.output_columns:
        assert a[column].cast(pl.String if a[column].dtype != b[column].dtype
                              and not isinstance(a[column].dtype, pl.List) else a[column].dtype
                              ).to_list() == b[column].cast(
            pl.String if a[column].dtype != b[column].dtype
            and not isinstance(a[column].dtype, pl.List) else b[column].dtype).to_list(), column


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_parquet_file_without_rows_gives_an_output_with_the_columns(
        tmp_path: Path, engine: str) -> None:
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    _frame([EARLY]).head(0).write_parquet(source)
    result = _cli(str(source), "-o", str(out), "--engine", engine)
    assert result.exit_code == 0, result.output
    assert "0 rows" in _flat(result.output)
    written = _read(out)
    assert written.height == 0
    assert written.columns[-len(PLAN.output_columns):] == PLAN.output_columns


def test_summary_is_self_contained_and_shows_the_counts_and_notices(tmp_path: Path) -> None:
    rows = [EARLY, EARLY, ADVANCED_C, UNKNOWN_FITNESS, {**EARLY, "inr": 99.0}]
    source = tmp_path / "in.parquet"
    _frame(rows).write_parquet(source)
    report = tmp_path / "report.html"
    result = _cli(str(source), "-o", str(tmp_path / "out.parquet"), "--summary", str(report))
    assert result.exit_code == 0, result.output
    page = report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=[\"']?https?:", page)
    assert "<link" not in page
    assert "Plotly" in page  # the library itself is inlined
    assert re.search(r'id="rows">5<', page) and re.search(r'id="rejected">1<', page)
    assert re.search(r'id="assessed">4<', page) and re.search(r'id="open">1<', page)
    assert "<td>potentially_resectable</td><td>2</td>" in page
    assert "<td>advanced</td><td>1</td>" in page
    assert PACK.info.review_dates in page
    assert "not medical advice" in page.lower()
    assert "atezolizumab" in page  # the newer-treatments notice
    assert "Healthy enough for a major operation" in page  # most common missing input


def test_refuses_an_output_folder_that_does_not_exist(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    _frame([EARLY]).write_parquet(source)
    with pytest.raises(CohortError, match="does not exist"):
        run_cohort(source, tmp_path / "nowhere" / "out.parquet")


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_csv_column_left_blank_is_unknown_not_a_bad_file(tmp_path: Path, engine: str) -> None:
    """A registry export with a column nobody filled (CSV readers call it text) is read as
    unknown values of that field, not refused; a header-only CSV gives an empty output."""
    source, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    source.write_text("tumor_count,largest_tumor_cm,albumin,bilirubin\n1,2.5,,1.0\n2,3.0,,\n")
    result = _cli(str(source), "-o", str(out), "--engine", engine)
    assert result.exit_code == 0, result.output
    written = _read(out)
    assert written["albumin"].dtype == pl.Float64
    assert written["albumin"].null_count() == 2
    assert written["cp_points_albumin"].null_count() == 2
    expected = [assess({"tumor_count": 1, "largest_tumor_cm": 2.5, "bilirubin": 1.0}),
                assess({"tumor_count": 2, "largest_tumor_cm": 3.0})]
    assert written["missing"].to_list() == [e["missing"] for e in expected]
    assert written["category"].to_list() == [e["category"]["id"] for e in expected]
    assert written["bilirubin"].to_list() == [1.0, None]

    header_only = tmp_path / "header.csv"
    header_only.write_text("tumor_count,largest_tumor_cm,albumin\n")
    result = _cli(str(header_only), "-o", str(out), "--engine", engine)
    assert result.exit_code == 0, result.output
    assert _read(out).height == 0
    assert _read(out).columns[-len(PLAN.output_columns):] == PLAN.output_columns


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_csv_cells_holding_only_spaces_are_unknown_and_padded_values_are_read(
        tmp_path: Path, engine: str) -> None:
    """Spreadsheets leave cells holding a space and pad values (` 2.5 `, ` True`): such a
    column is still numbers or true/false, not text that refuses the whole file. A blank cell
    stays unknown (and is named in `missing`); a word in a number column is still refused
    with its line."""
    source, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    source.write_text("largest_tumor_cm,tumor_count,albumin,distant_spread\n"
                      " 2.5 ,1, 3.5 , True\n ,2, ,\n")
    result = _cli(str(source), "-o", str(out), "--engine", engine)
    assert result.exit_code == 0, result.output
    written = _read(out)
    assert written["largest_tumor_cm"].to_list() == [2.5, None]
    assert written["albumin"].to_list() == [3.5, None]
    assert written["distant_spread"].to_list() == [True, None]
    expected = [assess({"largest_tumor_cm": 2.5, "tumor_count": 1, "albumin": 3.5,
                        "distant_spread": True}),
                assess({"tumor_count": 2})]
    assert written["missing"].to_list() == [e["missing"] for e in expected]
    assert "largest_tumor_cm" in written["missing"][1]
    assert written["category"].to_list() == [e["category"]["id"] for e in expected]

    source.write_text("largest_tumor_cm,tumor_count\n 2.5 ,1\n3,two\n")
    result = _cli(str(source), "-o", str(out), "--engine", engine)
    assert result.exit_code == 2
    assert "tumor_count" in result.output and "line 3" in result.output


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_spellings_are_read_alike_whether_or_not_a_slice_is_all_in_the_vocabulary(
        tmp_path: Path, engine: str) -> None:
    """Both engines keep a value spelled as the vocabulary spells it without looking it up,
    and look up the rest: an alias, a capital or padding reads as its value, a word the
    vocabulary does not know is refused on its row, and a column that holds only exact
    spellings is read the same as one that does not."""
    rows = [{**EARLY, "ascites": value} for value in
            ("none", "Mild", " moderate ", "SEVERE", "huge", "slight")]
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    _frame(rows).write_parquet(source)
    assert _cli(str(source), "-o", str(out), "--engine", engine).exit_code == 0
    frame = _read(out)
    assert frame["cp_points_ascites"].to_list() == [1, 2, 3, 3, None, 2]
    errors = frame["error"].to_list()
    assert errors[4] is not None and errors[4].startswith("ascites: 'huge' is not accepted")
    assert [e for i, e in enumerate(errors) if i != 4] == [None] * 5

    exact = [{**EARLY, "ascites": value} for value in ("none", "slight", "moderate")]
    _frame(exact).write_parquet(source)
    assert _cli(str(source), "-o", str(out), "--engine", engine).exit_code == 0
    assert _read(out)["cp_points_ascites"].to_list() == [1, 2, 3]


@pytest.mark.parametrize("guideline", ["acs-2017", "bclc-2022"])
def test_the_output_does_not_depend_on_how_the_input_is_sliced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, guideline: str) -> None:
    """The Polars engine assesses the next slice in a thread while it finishes this one and
    writes the one before, and finds each open key's candidates once across slices: cut
    into many slices (uneven, the last one short) the output is the same, row for row, as
    in one slice."""
    from livertx.cohort import polars_run
    from livertx.generate import generate_patients
    from livertx.knowledge.pack import load_guideline

    pack = load_guideline(guideline)
    source = tmp_path / "in.parquet"
    generate_patients(2_301, seed=31, unknown_rate=0.2).write_parquet(source)
    whole, sliced = tmp_path / "whole.parquet", tmp_path / "sliced.parquet"
    run_cohort(source, whole, pack=pack)
    monkeypatch.setattr(polars_run, "SLICE_ROWS", 700)
    monkeypatch.setattr(polars_run, "MIN_SLICE_ROWS", 1)
    result = run_cohort(source, sliced, pack=pack)
    assert result.rows == 2_301
    one, many = pl.read_parquet(whole), pl.read_parquet(sliced)
    assert one["category"].null_count() > 100  # open rows, whose candidates are searched
    assert many.equals(one)
