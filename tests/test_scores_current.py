"""The derived values current guidance adds: MELD-Na (checked against MedCalc-Bench
Verified), ALBI, up-to-seven and UCSF; the new vocabulary fields, their units and their
contradictions; `livertx calc meld-na` and `livertx calc albi`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import derive_one
from typer.testing import CliRunner

from livertx.cli import app
from livertx.errors import InvalidInput
from livertx.patient import parse_patient
from livertx.scores.library import derive_row

DATA = Path(__file__).parent / "data" / "medcalc_bench" / "meld_na.jsonl"
CVVHD = "Continuous veno-venous hemodialysis for ≥24 hours in the past week"
TWICE = "Dialysis at least twice in the past week"


def _rows() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["source"] != "medcalc-bench-v1.0-test"]


def _facts(entities: dict[str, Any]) -> dict[str, Any]:
    for name, unit in (("creatinine", "mg/dL"), ("Sodium", "mEq/L"), ("Bilirubin", "mg/dL")):
        assert entities[name][1] == unit
    return {"creatinine": entities["creatinine"][0], "bilirubin": entities["Bilirubin"][0],
            "inr": entities["international normalized ratio"], "sodium": entities["Sodium"][0],
            "dialysis": bool(entities.get(TWICE)) or bool(entities.get(CVVHD))}


@pytest.mark.parametrize("row", _rows(), ids=lambda r: f"{r['source'][14:]}-{r['row_id']}")
def test_meld_na_equals_medcalc_bench_verified(row: dict[str, Any]) -> None:
    facts = _facts(row["relevant_entities"])
    expected = float(row["ground_truth_answer"])
    assert derive_one(**facts)["meld_na"] == expected  # Polars backend
    assert derive_row(parse_patient(facts).facts())["meld_na"] == expected  # Python backend


def test_the_verified_rows_cover_dialysis_sodium_bounds_and_the_cap() -> None:
    rows = _rows()
    assert len(rows) == 21
    facts = [_facts(r["relevant_entities"]) for r in rows]
    assert any(f["dialysis"] for f in facts) and any(not f["dialysis"] for f in facts)
    assert any(f["sodium"] > 137 for f in facts) and any(f["sodium"] < 130 for f in facts)
    assert any(float(r["ground_truth_answer"]) == 40 for r in rows)


def test_meld_na_bounds() -> None:
    base = {"creatinine": 1.0, "bilirubin": 1.0, "inr": 1.0, "sodium": 137}
    assert derive_one(**base)["meld_na"] == 6  # 0.643 x 10, every input at its floor of 1.0
    low = derive_one(**{**base, "creatinine": 0.5, "bilirubin": 0.3, "inr": 0.9})
    assert low["meld_na"] == 6  # values below 1.0 count as 1.0
    assert (derive_one(**{**base, "creatinine": 9.0})["meld_na"]
            == derive_one(**{**base, "creatinine": 4.0})["meld_na"]
            == derive_one(**{**base, "creatinine": 1.2, "dialysis": True})["meld_na"])
    sick = {"creatinine": 2.0, "bilirubin": 3.0, "inr": 1.8}
    assert (derive_one(**sick, sodium=110)["meld_na"] == derive_one(**sick, sodium=125)["meld_na"])
    assert (derive_one(**sick, sodium=150)["meld_na"] == derive_one(**sick, sodium=137)["meld_na"])


def test_meld_na_needs_sodium_only_above_11_and_never_guesses() -> None:
    assert derive_one(creatinine=1.0, bilirubin=1.0, inr=1.0)["meld_na"] == 6
    assert derive_one(creatinine=2.0, bilirubin=3.0, inr=1.8)["meld_na"] is None
    assert derive_one(bilirubin=3.0, inr=1.8, sodium=130)["meld_na"] is None  # no creatinine
    # with dialysis, creatinine is 4.0 whatever it was
    assert derive_one(bilirubin=3.0, inr=1.8, sodium=130, dialysis=True)["meld_na"] is not None


def test_albi_grades_and_units() -> None:
    # bilirubin 10 umol/L, albumin 45 g/L: 0.66 x 1 - 0.085 x 45 = -3.165, grade 1
    row = derive_one(bilirubin="10 umol/L", albumin="45 g/L")
    assert row["albi_score"] == pytest.approx(-3.165) and row["albi_grade"] == 1
    assert derive_one(bilirubin="20 umol/L", albumin="35 g/L")["albi_grade"] == 2
    assert derive_one(bilirubin="60 umol/L", albumin="25 g/L")["albi_grade"] == 3


@pytest.mark.parametrize(("facts", "up_to_seven", "ucsf"), [
    ({"tumor_count": 1, "largest_tumor_cm": 6.0}, True, True),
    ({"tumor_count": 1, "largest_tumor_cm": 6.5}, False, True),
    ({"tumor_count": 1, "largest_tumor_cm": 6.51}, False, False),
    ({"tumor_count": 3, "largest_tumor_cm": 4.0}, True, None),  # the total decides UCSF
    ({"tumors": [{"size_cm": 4.0}, {"size_cm": 2.0}, {"size_cm": 2.0}]}, True, True),
    ({"tumors": [{"size_cm": 4.0}, {"size_cm": 3.0}, {"size_cm": 2.0}]}, True, False),
    ({"tumor_count": 2, "largest_tumor_cm": 4.5, "total_tumor_cm": 8.0}, True, True),
    ({"tumor_count": 2, "largest_tumor_cm": 4.6}, True, False),
    ({"tumor_count": 4, "largest_tumor_cm": 3.0}, True, False),
    ({"tumor_count": 4, "largest_tumor_cm": 3.01}, False, False),
    ({"tumor_count": 2, "largest_tumor_cm": 2.0, "vascular_invasion": True}, False, False),
])
def test_up_to_seven_and_ucsf(facts: dict[str, Any], up_to_seven: bool, ucsf: bool | None) -> None:
    known = {"vascular_invasion": False, "lymph_node_spread": False, "distant_spread": False}
    row = derive_one(**{**known, **facts})
    assert (row["up_to_seven"], row["ucsf"]) == (up_to_seven, ucsf)


def test_new_fields_take_their_units() -> None:
    patient = parse_patient({"creatinine": "176.8 umol/L", "sodium": "130 mEq/L",
                             "afp": "450 µg/L"})
    assert (patient.creatinine, patient.sodium, patient.afp) == (2.0, 130.0, 450.0)


@pytest.mark.parametrize(("data", "field"), [
    ({"creatinine": 30}, "creatinine"),
    ({"sodium": 90}, "sodium"),
    ({"afp": -1}, "afp"),
    ({"creatinine": "2 mmol/dL"}, "creatinine"),
    ({"prior_systemic": "aspirin"}, "prior_systemic"),
    ({"prior_systemic": "sorafenib", "prior_systemic_outcome": "progressed",
      "sorafenib_status": "ongoing"}, "sorafenib_status"),
    ({"prior_systemic": "none", "sorafenib_status": "not_tolerated"}, "sorafenib_status"),
    ({"prior_systemic": "none", "prior_systemic_outcome": "progressed"}, "prior_systemic_outcome"),
    ({"largest_tumor_cm": 5, "total_tumor_cm": 4}, "total_tumor_cm"),
    ({"tumors": [{"size_cm": 2}], "total_tumor_cm": 3}, "total_tumor_cm"),
])
def test_bad_new_fields_are_rejected_by_name(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_patient(data)
    assert field in [e.field for e in caught.value.errors]


def test_prior_sorafenib_sets_the_sorafenib_status_the_2017_pack_reads() -> None:
    row = derive_one(prior_systemic="sorafenib", prior_systemic_outcome="progressed")
    assert row["sorafenib_status"] == "stopped_working"
    assert derive_one(prior_systemic="none")["sorafenib_status"] == "never"
    assert derive_one(prior_systemic="lenvatinib")["sorafenib_status"] is None


def test_cohort_rejects_the_same_contradictions(tmp_path: Path) -> None:
    from livertx.cohort.run import run_cohort

    source = tmp_path / "in.csv"
    pl.DataFrame({"patient_id": [1, 2, 3],
                  "largest_tumor_cm": [5.0, 5.0, 2.0], "total_tumor_cm": [4.0, 6.0, None],
                  "prior_systemic": ["lenvatinib", "sorafenib", "none"],
                  "prior_systemic_outcome": [None, "progressed", "progressed"],
                  "sorafenib_status": [None, "ongoing", None]}).write_csv(source)
    for engine in ("polars", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        run_cohort(source, out, engine=engine)
        errors = pl.read_csv(out)["error"].to_list()
        assert errors[0].startswith("total_tumor_cm:")
        assert errors[1].startswith("sorafenib_status:")
        assert errors[2].startswith("prior_systemic_outcome:")


runner = CliRunner()


def test_calc_meld_na_and_albi() -> None:
    result = runner.invoke(app, ["calc", "meld-na", "--creatinine", "1.6", "--bilirubin", "2.3",
                                 "--inr", "1.4", "--sodium", "135", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["meld_na"] == 19  # MedCalc-Bench Verified row 346
    result = runner.invoke(app, ["calc", "meld-na", "--creatinine", "1.2", "--bilirubin", "1",
                                 "--inr", "1", "--sodium", "140", "--dialysis"])
    assert result.exit_code == 0 and "MELD-Na" in result.output
    result = runner.invoke(app, ["calc", "albi", "--bilirubin", "10umol/L", "--albumin", "45g/L",
                                 "-f", "json"])
    assert json.loads(result.output)["grade"] == 1
    bad = runner.invoke(app, ["calc", "meld-na", "--creatinine", "100", "--bilirubin", "1",
                              "--inr", "1", "--sodium", "140"])
    assert bad.exit_code == 2 and "creatinine" in bad.output and "25" in bad.output
