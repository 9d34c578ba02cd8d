"""Clinical safety of the 2017 pack (issue 9): no harmful "main option", ever.

- Regression tests from the minimal patient of each defect the issue lists (the decision
  table cases under tests/cases/ carry the rest: one per new or moved row).
- The safety invariants (`livertx.invariants`) as a hypothesis property over the vocabulary,
  and as a seeded sweep of generated patients through the real cohort path (Parquet in,
  Parquet out). `benchmarks/safety_sweep.py` runs the same sweep at 1,000,000 patients.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_engine_properties import PACK, SETTINGS, _evaluated, patients

from livertx.cohort.run import run_cohort
from livertx.engine import assess, assess_many
from livertx.errors import InvalidInput
from livertx.generate import generate_patients
from livertx.invariants import INVARIANTS, violating_rows, violation_counts
from livertx.patient import parse_patient

SMALL_ONE = {"tumor_count": 1, "largest_tumor_cm": 3, "vascular_invasion": False,
             "lymph_node_spread": False, "distant_spread": False, "fit_for_surgery": True}


def fits(result: dict[str, Any]) -> dict[str, str]:
    return {o["id"]: o["fit"] for o in result["options"]}


def option(result: dict[str, Any], option_id: str) -> dict[str, Any]:
    return next(o for o in result["options"] if o["id"] == option_id)


# --- defect 1: a known Child-Pugh B or C is never a healthy liver --------------------------

@pytest.mark.parametrize("given_class", ["B", "C"])
def test_issue_patient_with_class_b_or_c_and_no_cirrhosis_is_not_resectable(given_class: str) -> None:
    result = assess({**SMALL_ONE, "cirrhosis": False, "child_pugh_class": given_class})
    assert result["category"]["id"] != "potentially_resectable"
    assert fits(result)["partial_hepatectomy"] == ("not_advised" if given_class == "C"
                                                   else "alternative")
    texts = " ".join(r["text"] for r in result["category"]["reasons"])
    assert "liver works well" not in texts
    assert any(w.startswith("cirrhosis:") for w in result["warnings"])


def test_class_c_from_the_labs_rules_out_surgery_without_cirrhosis() -> None:
    labs_c = {"bilirubin": 4.0, "albumin": 2.5, "inr": 2.5, "ascites": "none",
              "encephalopathy": "none"}  # 3+3+3+1+1 = 11: class C
    result = assess({**SMALL_ONE, "cirrhosis": False, **labs_c})
    assert result["derived"]["child_pugh"]["class"] == "C"
    assert fits(result)["partial_hepatectomy"] == "not_advised"


@pytest.mark.parametrize(("given_class", "fit"), [("C", "not_advised"), ("B", "alternative"),
                                                  ("A", "primary")])
def test_recurrence_in_the_liver_follows_the_class(given_class: str, fit: str) -> None:
    result = assess({**SMALL_ONE, "cirrhosis": False, "child_pugh_class": given_class,
                     "recurrent": True, "recurrence_site": "liver"})
    assert fits(result)["partial_hepatectomy"] == fit


# --- defect 2: a given class the labs rule out is not used, and a warning says so ------------

def test_class_a_with_bilirubin_4_is_not_used_and_warned() -> None:
    result = assess({**SMALL_ONE, "cirrhosis": True, "child_pugh_class": "A", "bilirubin": 4.0})
    assert result["derived"]["child_pugh"]["class"] is None
    assert fits(result)["partial_hepatectomy"] != "primary"
    warning = next(w for w in result["warnings"] if w.startswith("child_pugh_class:"))
    assert "(A) is not possible" in warning and "B or C" in warning


def test_adding_an_inr_does_not_flip_sorafenib() -> None:
    base = {**SMALL_ONE, "distant_spread": True, "child_pugh_class": "A", "bilirubin": 3.5,
            "ascites": "moderate", "sorafenib_status": "never"}
    without, with_inr = assess(base), assess({**base, "inr": 1.0})
    assert fits(without)["sorafenib"] != "primary"
    if fits(without)["sorafenib"] != "unknown":
        assert fits(with_inr)["sorafenib"] == fits(without)["sorafenib"]


# --- defect 3: adjacent-organ invasion is outside Milan --------------------------------------

@pytest.mark.parametrize("given_class", ["A", "B"])
def test_adjacent_organ_invasion_is_never_transplant_or_resection(given_class: str) -> None:
    result = assess({**SMALL_ONE, "cirrhosis": True, "child_pugh_class": given_class,
                     "adjacent_organ_invasion": True})
    assert result["derived"]["milan"] is False
    assert result["derived"]["tnm"]["stage"] == "IIIB"
    assert result["category"]["id"] == "unresectable"
    assert fits(result)["liver_transplant"] != "primary"


# --- defect 4: the drugs after sorafenib are for Child-Pugh A or B --------------------------

@pytest.mark.parametrize("status", ["stopped_working", "not_tolerated"])
def test_no_second_line_drug_is_a_main_option_with_class_c(status: str) -> None:
    result = assess({**SMALL_ONE, "distant_spread": True, "child_pugh_class": "C",
                     "sorafenib_status": status})
    assert fits(result)["regorafenib"] != "primary"
    assert fits(result)["nivolumab"] != "primary"


# --- defect 5: ablation and embolization limits ----------------------------------------------

def test_ablation_and_embolization_with_class_c_are_other_options_at_most() -> None:
    result = assess({**SMALL_ONE, "cirrhosis": True, "child_pugh_class": "C",
                     "fit_for_surgery": False})
    assert fits(result)["ablation"] == "alternative"
    assert fits(result)["embolization"] == "alternative"
    assert any("Child-Pugh" in n["text"] or "damaged" in n["text"]
               for n in option(result, "embolization")["notes"])


@pytest.mark.parametrize("extra", [{"tumor_count": 10, "largest_tumor_cm": 2.0},
                                   {"vascular_invasion": True, "major_vascular_invasion": True},
                                   {"hard_to_remove_location": True}])
def test_ablation_is_not_a_main_option_beyond_a_few_small_free_tumors(extra: dict) -> None:
    result = assess({**SMALL_ONE, "cirrhosis": True, "child_pugh_class": "A",
                     "fit_for_surgery": False, **extra})
    ablation = option(result, "ablation")
    assert ablation["fit"] != "primary", ablation["rule"]
    if extra.get("hard_to_remove_location"):
        assert ablation["fit"] == "alternative" and "large blood vessel" in ablation["reasons"][0]["text"]


# --- defect 6: inoperable-local words and limits ---------------------------------------------

def test_a_15_cm_tumor_is_not_called_small() -> None:
    result = assess({**SMALL_ONE, "largest_tumor_cm": 15, "cirrhosis": True,
                     "child_pugh_class": "A", "fit_for_surgery": False})
    assert result["category"]["id"] == "inoperable_local"
    assert "small" not in result["category"]["reasons"][0]["text"]


def test_a_tumor_in_a_hard_place_is_not_inoperable_local() -> None:
    result = assess({**SMALL_ONE, "cirrhosis": True, "child_pugh_class": "A",
                     "fit_for_surgery": False, "hard_to_remove_location": True})
    assert result["category"]["id"] == "unresectable"


# --- defect 7: the smaller ones --------------------------------------------------------------

def test_recurrence_site_implies_recurrent_with_a_warning() -> None:
    result = assess({**SMALL_ONE, "cirrhosis": True, "child_pugh_class": "A",
                     "recurrence_site": "liver"})
    assert result["category"]["id"] == "recurrent"
    assert any(w.startswith("recurrent: not given") for w in result["warnings"])
    assert result["patient"]["recurrent"] is True


def test_recurrent_false_with_a_site_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_patient({"recurrent": False, "recurrence_site": "distant"})
    assert caught.value.errors[0].field == "recurrent"


def test_a_removable_recurrence_has_reasons_that_agree() -> None:
    result = assess({**SMALL_ONE, "largest_tumor_cm": 2, "cirrhosis": True,
                     "child_pugh_class": "A", "recurrent": True, "recurrence_site": "liver"})
    assert fits(result)["partial_hepatectomy"] == "primary"
    for option_id in ("ablation", "embolization"):
        text = option(result, option_id)["reasons"][0]["text"]
        assert "cannot be removed" not in text, text


def test_clinical_trial_in_advanced_cites_the_advanced_section() -> None:
    result = assess({**SMALL_ONE, "distant_spread": True, "child_pugh_class": "A"})
    assert option(result, "clinical_trial")["reasons"][0]["source"] == "by-stage/advanced"


def test_no_cryoablation_note_under_a_not_advised_ablation() -> None:
    result = assess({**SMALL_ONE, "largest_tumor_cm": 4, "cirrhosis": True,
                     "child_pugh_class": "A", "fit_for_surgery": False,
                     "near_major_structures": True})
    ablation = option(result, "ablation")
    assert ablation["fit"] == "not_advised"
    assert not ablation["notes"]


def test_a_unitless_bilirubin_of_40_asks_whether_it_was_umol() -> None:
    result = assess({**SMALL_ONE, "bilirubin": 40})
    assert any("did you mean 40 µmol/L" in w for w in result["warnings"])
    assert not any("did you mean" in w for w in assess({"bilirubin": "40 umol/L"})["warnings"])


def test_more_than_100_open_patients_in_one_batch() -> None:
    batch = [parse_patient({"tumor_count": 1, "largest_tumor_cm": 2.0,
                            **({"bilirubin": 1.0} if i >= 100 else {})}) for i in range(150)]
    results = assess_many(batch)
    assert len(results) == 150
    assert all(r["category"]["id"] is None and r["category"]["candidates"] for r in results)


# --- defect 8: safety notes beyond the source ------------------------------------------------

@pytest.mark.parametrize(("extra", "note_id"), [
    ({"ecog": 3}, "SAFE.01"),
    ({"ecog": 4, "fit_for_surgery": True}, "SAFE.02"),
    ({"distant_spread": True, "ascites": "severe", "child_pugh_class": "B",
      "sorafenib_status": "never"}, "SAFE.03"),
    ({"vascular_invasion": True, "major_vascular_invasion": True}, "SAFE.04"),
])
def test_safety_notes_show_with_their_date_and_citation(extra: dict, note_id: str) -> None:
    result = assess({**SMALL_ONE, "cirrhosis": True, "child_pugh_class": "A", **extra})
    notes = {n["id"]: n for n in result["safety_notes"]}
    assert note_id in notes
    note = notes[note_id]
    assert note["date"] and note["citation"] and note["reference"] in PACK.references
    assert any(note["text"] in w and note["date"] in w for w in result["warnings"])


def test_no_safety_note_for_an_ordinary_early_case() -> None:
    result = assess({**SMALL_ONE, "cirrhosis": True, "child_pugh_class": "A", "ecog": 0})
    assert result["safety_notes"] == []


# --- a major vein is a fact: not ruled out, it is not presumed absent ----------------------

def test_ablation_is_not_a_main_option_while_a_major_vein_is_not_ruled_out() -> None:
    """Regression: with vascular invasion and no word on a major vein, ablation was a main
    option, because a major vein was presumed uninvolved (DESIGN.md makes it a fact)."""
    patient = {**SMALL_ONE, "largest_tumor_cm": 2, "vascular_invasion": True,
               "cirrhosis": True, "child_pugh_class": "A"}
    unknown = assess(patient)
    assert option(unknown, "ablation")["fit"] == "unknown"
    assert "major_vascular_invasion" in unknown["missing"]
    assert fits(assess({**patient, "major_vascular_invasion": True}))["ablation"] == "not_advised"
    assert fits(assess({**patient, "major_vascular_invasion": False}))["ablation"] == "primary"


# --- the invariants -----------------------------------------------------------------------------

@st.composite
def risky_patients(draw: st.DrawFn) -> dict[str, Any]:
    """Patients from the vocabulary strategy, with the risky qualifiers set more often."""
    row = draw(patients(unknown=0.15))
    for name in ("adjacent_organ_invasion", "major_vascular_invasion",
                 "hard_to_remove_location", "spread_throughout_liver"):
        if draw(st.integers(0, 4)) == 0:
            row[name] = True
    if row["major_vascular_invasion"]:
        row["vascular_invasion"] = True
    if row["spread_throughout_liver"] and (row["tumor_count"] or 0) <= 3:
        row["tumor_count"] = 7 if row["tumor_count"] is not None else None
    return row


@SETTINGS
@given(st.lists(risky_patients(), min_size=1, max_size=80))
def test_safety_invariants_hold_for_generated_patients(batch: list[dict[str, Any]]) -> None:
    frame = pl.DataFrame(_evaluated(batch))
    counts = violation_counts(frame)
    broken = {k: v for k, v in counts.items() if v}
    assert not broken, {i.id: violating_rows(frame, i).to_dicts() for i in INVARIANTS
                        if i.id in broken}


SWEEP_PATIENTS = 200_000
SWEEP_SEED = 9


def test_safety_sweep_through_the_cohort_path(tmp_path: Path) -> None:
    """Seeded patients -> Parquet -> `livertx cohort` (Polars) -> Parquet -> invariants."""
    source, output = tmp_path / "patients.parquet", tmp_path / "assessed.parquet"
    generate_patients(SWEEP_PATIENTS, seed=SWEEP_SEED, unknown_rate=0.15).write_parquet(source)
    result = run_cohort(source, output)
    assert result.rows == SWEEP_PATIENTS and result.rejected == 0
    assessed = pl.read_parquet(output)
    counts = violation_counts(assessed)
    primaries = {o.id: int((assessed[f"fit_{o.id}"] == "primary").sum()) for o in PACK.options}
    print(f"\nsafety sweep: {SWEEP_PATIENTS:,} patients (seed {SWEEP_SEED}), "
          f"{result.open:,} with the category open; violations {counts}; "
          f"main options {primaries}")
    assert counts == {i.id: 0 for i in INVARIANTS}
    # The sweep reaches the situations the invariants are about (it is not vacuous).
    assert (assessed["cp_class"] == "C").sum() > 1000
    assert assessed["adjacent_organ_invasion"].sum() > 1000
    assert (assessed["fit_ablation"] == "primary").sum() > 1000


def test_a_fit_every_candidate_agrees_on_is_said_once() -> None:
    """Issue 9, defect 7: with the category open between inoperable-local and unresectable
    (vessel growth unknown), sorafenib is an other option in both, so it is not "depends"."""
    result = assess({"tumor_count": 1, "largest_tumor_cm": 3, "lymph_node_spread": False,
                     "distant_spread": False, "cirrhosis": True, "child_pugh_class": "A",
                     "fit_for_surgery": False, "sorafenib_status": "never"})
    assert result["category"]["id"] is None
    assert {c["id"] for c in result["category"]["candidates"]} == {"inoperable_local",
                                                                   "unresectable"}
    sorafenib = option(result, "sorafenib")
    assert sorafenib["fit"] == "alternative" and sorafenib["same_in_every_candidate"]
    assert sorafenib["reasons"] and not sorafenib["missing"]
    assert {c["fit"] for c in sorafenib["if_category"]} == {"alternative"}
    # Not fit for surgery in either situation: both operations are not advised, said once.
    assert option(result, "partial_hepatectomy")["fit"] == "not_advised"
    assert fits(result)["liver_transplant"] == "not_advised"


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_cohort_reads_a_recurrence_site_as_a_recurrence(tmp_path: Path, engine: str) -> None:
    """As for one patient: a site implies `recurrent`; `recurrent` false beside a site is a
    contradiction (the row gets an error naming the field); left empty, it is implied."""
    source = tmp_path / "cohort.csv"
    source.write_text("id,tumor_count,recurrent,recurrence_site\n"
                      "1,1,false,liver\n2,1,,liver\n3,1,false,\n", encoding="utf-8")
    output = tmp_path / f"out-{engine}.parquet"
    run_cohort(source, output, engine=engine)
    rows = pl.read_parquet(output).sort("id").to_dicts()
    assert rows[0]["error"].startswith("recurrent: is false but recurrence_site is given")
    assert rows[1]["error"] is None and rows[1]["category"] == "recurrent"
    assert rows[2]["error"] is None and rows[2]["category"] != "recurrent"
