"""Child-Pugh points, score and class: thresholds, unknowns, given class, MedCalc-Bench rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import derive_one

COMPLETE_A = {"bilirubin": 1.0, "albumin": 4.0, "inr": 1.0, "ascites": "none",
              "encephalopathy": "none"}  # 5 points


def with_item(**change: Any) -> dict[str, Any]:
    return {**COMPLETE_A, **change}


# --- every threshold -----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "points"), [
    (0, 1), (1.99, 1), (2, 2), (2.5, 2), (3, 2), (3.01, 3), (60, 3),
    ("34.1 umol/L", 1), ("34.2 umol/L", 2), ("51.3 umol/L", 2), ("51.4 umol/L", 3),
])
def test_bilirubin_points(value: Any, points: int) -> None:
    row = derive_one(**with_item(bilirubin=value))
    assert row["cp_points_bilirubin"] == points
    assert row["cp_score"] == 4 + points


@pytest.mark.parametrize(("value", "points"), [
    (7, 1), (3.51, 1), (3.5, 2), (3.0, 2), (2.8, 2), (2.79, 3), (0.5, 3),
    ("35.1 g/L", 1), ("35 g/L", 2), ("28 g/L", 2), ("27.9 g/L", 3),
])
def test_albumin_points(value: Any, points: int) -> None:
    row = derive_one(**with_item(albumin=value))
    assert row["cp_points_albumin"] == points
    assert row["cp_score"] == 4 + points


def test_albumin_exactly_2_8_is_two_points() -> None:
    # MedCalc-Bench Verified rows 201, 203, 205, 206, 214 and 218 all score 2.8 g/dL as 2.
    assert derive_one(albumin=2.8)["cp_points_albumin"] == 2
    assert derive_one(albumin="28 g/L")["cp_points_albumin"] == 2


@pytest.mark.parametrize(("value", "points"), [
    (0.5, 1), (1.69, 1), (1.7, 2), (2.0, 2), (2.3, 2), (2.31, 3), (15, 3),
])
def test_inr_points(value: float, points: int) -> None:
    row = derive_one(**with_item(inr=value))
    assert row["cp_points_inr"] == points
    assert row["cp_score"] == 4 + points


@pytest.mark.parametrize(("value", "points"), [
    ("none", 1), ("absent", 1), ("slight", 2), ("mild", 2), ("moderate", 3), ("severe", 3),
])
def test_ascites_points(value: str, points: int) -> None:
    row = derive_one(**with_item(ascites=value))
    assert row["cp_points_ascites"] == points
    assert row["cp_score"] == 4 + points


@pytest.mark.parametrize(("value", "points"), [
    ("none", 1), (0, 1), (1, 2), (2, 2), ("grade_1_2", 2), (3, 3), (4, 3), ("grade_3_4", 3),
])
def test_encephalopathy_points(value: Any, points: int) -> None:
    row = derive_one(**with_item(encephalopathy=value))
    assert row["cp_points_encephalopathy"] == points
    assert row["cp_score"] == 4 + points


def test_each_item_is_scored_on_its_own() -> None:
    row = derive_one(bilirubin=2.5)
    assert row["cp_points_bilirubin"] == 2
    for item in ("albumin", "inr", "ascites", "encephalopathy"):
        assert row[f"cp_points_{item}"] is None


# --- class cut-offs ------------------------------------------------------------------------

# Complete item sets for a given score (bilirubin, albumin, INR, ascites, encephalopathy).
BY_SCORE = {
    5: (1.0, 4.0, 1.0, "none", "none"),
    6: (2.0, 4.0, 1.0, "none", "none"),
    7: (2.0, 3.0, 1.0, "none", "none"),
    8: (2.0, 3.0, 2.0, "none", "none"),
    9: (2.0, 3.0, 2.0, "slight", "none"),
    10: (2.0, 3.0, 2.0, "slight", "grade_1_2"),
    11: (4.0, 3.0, 2.0, "slight", "grade_1_2"),
    12: (4.0, 2.0, 2.0, "slight", "grade_1_2"),
    13: (4.0, 2.0, 3.0, "slight", "grade_1_2"),
    14: (4.0, 2.0, 3.0, "moderate", "grade_1_2"),
    15: (4.0, 2.0, 3.0, "severe", "grade_3_4"),
}
CLASS_OF = {5: "A", 6: "A", 7: "B", 8: "B", 9: "B", 10: "C", 11: "C", 12: "C", 13: "C",
            14: "C", 15: "C"}


def items(score: int) -> dict[str, Any]:
    return dict(zip(("bilirubin", "albumin", "inr", "ascites", "encephalopathy"),
                    BY_SCORE[score], strict=True))


@pytest.mark.parametrize("score", sorted(BY_SCORE))
def test_score_and_class(score: int) -> None:
    row = derive_one(**items(score))
    assert row["cp_score"] == score
    assert row["cp_class"] == CLASS_OF[score]
    assert row["cp_class_from"] == "labs"
    assert row["cp_conflict"] is False


def test_class_cut_offs_are_6_7_and_9_10() -> None:
    assert [derive_one(**items(s))["cp_class"] for s in (6, 7, 9, 10)] == ["A", "B", "B", "C"]


# --- unknown propagation --------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["bilirubin", "albumin", "inr", "ascites", "encephalopathy"])
def test_one_missing_item_leaves_the_score_unknown(missing: str) -> None:
    facts = items(7)
    del facts[missing]
    row = derive_one(**facts)
    assert row["cp_points_" + missing] is None
    assert row["cp_score"] is None


def test_nothing_known_gives_nothing() -> None:
    row = derive_one()
    assert row["cp_score"] is None
    assert row["cp_class"] is None
    assert row["cp_class_from"] is None
    assert row["cp_conflict"] is False


def test_three_three_point_items_fix_class_c() -> None:
    # 9 points known, the two unknown items add at least 2 more: 11 or more is class C.
    row = derive_one(bilirubin=4.0, albumin=2.0, inr=3.0)
    assert row["cp_score"] is None
    assert row["cp_class"] == "C"
    assert row["cp_class_from"] == "labs"


def test_undecided_partial_items_leave_the_class_unknown() -> None:
    # Four 1-point items: the fifth adds 1 to 3, so 5 to 7 points: A or B, not decided.
    assert derive_one(bilirubin=1.0, albumin=4.0, inr=1.0, ascites="none")["cp_class"] is None
    # Three 1-point items and two unknowns: 5 to 9 points.
    assert derive_one(bilirubin=1.0, albumin=4.0, inr=1.0)["cp_class"] is None
    # Four items at 8 points: 9 to 11, B or C.
    assert derive_one(bilirubin=2.5, albumin=3.0, inr=2.0, ascites="slight")["cp_class"] is None


def test_partial_items_fixing_class_b() -> None:
    # 2+2+1+1 = 6 known; the fifth item makes 7, 8 or 9: class B whatever it is.
    row = derive_one(bilirubin=2.5, albumin=3.0, inr=1.0, ascites="none")
    assert (row["cp_score"], row["cp_class"], row["cp_class_from"]) == (None, "B", "labs")


def test_partial_items_fixing_class_c() -> None:
    # 3+3+2+1 = 9 known; the fifth item makes 10 to 12: class C.
    row = derive_one(bilirubin=4.0, albumin=2.0, inr=2.0, ascites="none")
    assert (row["cp_score"], row["cp_class"], row["cp_class_from"]) == (None, "C", "labs")


def test_given_class_is_used_when_items_are_incomplete() -> None:
    row = derive_one(bilirubin=1.0, child_pugh_class="B")
    assert row["cp_score"] is None
    assert row["cp_class"] == "B"
    assert row["cp_class_from"] == "given"
    assert row["cp_conflict"] is False


def test_given_class_alone() -> None:
    row = derive_one(child_pugh_class="a")
    assert (row["cp_class"], row["cp_class_from"], row["cp_score"]) == ("A", "given", None)


def test_items_that_agree_with_the_given_class() -> None:
    row = derive_one(**items(8), child_pugh_class="B")
    assert (row["cp_class"], row["cp_class_from"], row["cp_conflict"]) == ("B", "labs", False)


def test_items_win_over_a_disagreeing_given_class_and_flag_it() -> None:
    row = derive_one(**items(11), child_pugh_class="A")
    assert row["cp_score"] == 11
    assert row["cp_class"] == "C"
    assert row["cp_class_from"] == "labs"
    assert row["cp_conflict"] is True


def test_partial_items_that_decide_the_class_also_win_and_flag() -> None:
    row = derive_one(bilirubin=4.0, albumin=2.0, inr=3.0, child_pugh_class="A")
    assert (row["cp_class"], row["cp_class_from"], row["cp_conflict"]) == ("C", "labs", True)


def test_a_given_class_the_items_rule_out_is_not_used() -> None:
    # Issue 9, defect 2: bilirubin 4 mg/dL is already 3 points, so the score is at least 7
    # and class A is impossible; the given "A" is flagged and not used (B or C stays open).
    row = derive_one(bilirubin=4.0, child_pugh_class="A")
    assert (row["cp_class"], row["cp_class_from"], row["cp_conflict"]) == (None, None, True)
    assert row["liver_healthy"] is False


def test_a_given_class_within_what_the_items_allow_is_used() -> None:
    row = derive_one(bilirubin=2.5, child_pugh_class="B")  # 2 points: score 6 to 14
    assert (row["cp_class"], row["cp_class_from"], row["cp_conflict"]) == ("B", "given", False)


# --- MedCalc-Bench ---------------------------------------------------------------------------

MEDCALC_CHILD_PUGH = Path(__file__).parent / "data" / "medcalc_bench" / "child_pugh.jsonl"

# v1.0 rows whose note is ambiguous: the benchmark's entities and Ye et al.'s physician-led
# label disagree on how to read the note (tests/data/README.md). livertx
# scores the entities, so these rows assert the entity-based score the README states.
V1_AMBIGUOUS: dict[int, tuple[int, str]] = {
    200: (9, ("entities say encephalopathy grade 1-2 (9 B); the note ('oriented only to self', "
              "asterixis, lethargy) could be grade 3, giving Ye et al.'s 10")),
    202: (11, ("entities give 11 C (grade 3-4, slight ascites); Ye et al. give 10, one "
               "component read one grade lower; the note supports the entities")),
    219: (9, ("entities say encephalopathy grade 3-4 (9 B); the note reads more like grade 2, "
              "giving Ye et al.'s 8 B; the class is B either way")),
}

# v1.0 rows where Ye et al. abstain (N/A: the note never mentions ascites). The README's
# verdict is that the original GT is right here under the benchmark's 'absent = none' rule.
V1_GT_RIGHT_WHEN_YE_ABSTAINS = {211, 215}


def load_rows() -> list[dict[str, Any]]:
    with MEDCALC_CHILD_PUGH.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


ROWS = load_rows()


def medcalc_to_vocabulary(entities: dict[str, Any]) -> dict[str, Any]:
    """Map MedCalc-Bench Child-Pugh `relevant_entities` to livertx vocabulary facts.

    Where the benchmark leaves ascites or encephalopathy unmentioned it means "none": that is
    the benchmark's convention (MedCalc-Bench scores a missing key as 1 point). livertx itself
    keeps an absent sign unknown, so this function fills "none" in explicitly; it is a
    property of the test data, not of livertx.

    Lab values arrive as [value, unit] pairs and are passed as "value unit" strings, so the
    conversion under test is livertx's own (e.g. bilirubin in µmol/L).
    """
    known = {"Bilirubin", "Albumin", "international normalized ratio", "Ascites",
             "Encephalopathy"}
    assert set(entities) <= known, f"unmapped entities: {set(entities) - known}"
    facts: dict[str, Any] = {}
    for key, field in (("Bilirubin", "bilirubin"), ("Albumin", "albumin")):
        value, unit = entities[key]
        facts[field] = f"{value} {unit}"
    facts["inr"] = entities["international normalized ratio"]
    facts["ascites"] = entities.get("Ascites", "none")
    encephalopathy = entities.get("Encephalopathy", "none")
    facts["encephalopathy"] = "none" if encephalopathy == "No Encephalopathy" else encephalopathy
    return facts


def expected_score(row: dict[str, Any]) -> int:
    """The reference score per the README verdicts (never the raw v1.0 GT unless it is right)."""
    row_id = row["row_id"]
    if "verified" in row["source"]:
        return int(row["ground_truth_answer"])
    assert row["source"] == "medcalc-bench-v1.0-test"
    if row_id in V1_AMBIGUOUS:
        return V1_AMBIGUOUS[row_id][0]
    corrected = row["ye2025_corrected_answer"]
    if row_id in V1_GT_RIGHT_WHEN_YE_ABSTAINS:
        assert corrected == "N/A"
        return int(row["ground_truth_answer"])
    return int(corrected)


def score_class(score: int) -> str:
    return "A" if score <= 6 else "B" if score <= 9 else "C"


def test_medcalc_file_has_every_documented_row() -> None:
    sources = [r["source"] for r in ROWS]
    assert len(ROWS) == 41
    assert sources.count("medcalc-bench-v1.0-test") == 20
    assert sources.count("medcalc-bench-verified-test") == 20
    assert sources.count("medcalc-bench-verified-one-shot") == 1
    v1 = {r["row_id"] for r in ROWS if r["source"] == "medcalc-bench-v1.0-test"}
    assert v1 == set(range(200, 220))
    assert set(V1_AMBIGUOUS) | V1_GT_RIGHT_WHEN_YE_ABSTAINS <= v1


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['source']}-{r['row_id']}" for r in ROWS])
def test_medcalc_bench_row(row: dict[str, Any]) -> None:
    derived = derive_one(**medcalc_to_vocabulary(row["relevant_entities"]))
    expected = expected_score(row)
    assert derived["cp_score"] == expected, (
        f"row {row['row_id']}: livertx {derived['cp_score']}, expected {expected} "
        f"(raw GT {row['ground_truth_answer']}, Ye 2025 {row.get('ye2025_corrected_answer')}); "
        f"{V1_AMBIGUOUS.get(row['row_id'], ('', ''))[1] if 'v1.0' in row['source'] else ''}")
    assert derived["cp_class"] == score_class(expected)
    assert derived["cp_class_from"] == "labs"


def test_medcalc_v1_ambiguous_rows_class() -> None:
    by_id = {r["row_id"]: r for r in ROWS if r["source"] == "medcalc-bench-v1.0-test"}
    classes = {row_id: derive_one(**medcalc_to_vocabulary(by_id[row_id]["relevant_entities"]))
               ["cp_class"] for row_id in V1_AMBIGUOUS}
    assert classes == {200: "B", 202: "C", 219: "B"}


def test_medcalc_v1_known_generator_defects_are_scored_correctly() -> None:
    # Row 203: bilirubin exactly 3.0 (2 points, not 3) and "Grade 0" encephalopathy (1 point);
    # row 214: bilirubin exactly 2.0 (2 points, not 0).
    by_id = {r["row_id"]: r for r in ROWS if r["source"] == "medcalc-bench-v1.0-test"}
    row203 = derive_one(**medcalc_to_vocabulary(by_id[203]["relevant_entities"]))
    assert (row203["cp_points_bilirubin"], row203["cp_points_encephalopathy"]) == (2, 1)
    row214 = derive_one(**medcalc_to_vocabulary(by_id[214]["relevant_entities"]))
    assert row214["cp_points_bilirubin"] == 2


def test_medcalc_micromolar_bilirubin_rows() -> None:
    # v1.0 row 200: 40.2 umol/L = 2.35 mg/dL (2 points); one-shot row 12: 2.6 umol/L (1 point).
    micromolar = [r for r in ROWS if r["relevant_entities"]["Bilirubin"][1] == "µmol/L"]
    points = {r["row_id"]: derive_one(**medcalc_to_vocabulary(r["relevant_entities"]))
              ["cp_points_bilirubin"] for r in micromolar}
    assert points == {200: 2, 12: 1}


def test_unmentioned_ascites_stays_unknown_outside_the_benchmark_mapping() -> None:
    # The same v1.0 row 211 without the benchmark's 'absent = none' fill-in: livertx keeps
    # the score unknown instead of assuming no ascites.
    row = next(r for r in ROWS if r["row_id"] == 211 and "v1.0" in r["source"])
    facts = medcalc_to_vocabulary(row["relevant_entities"])
    del facts["ascites"]
    assert derive_one(**facts)["cp_score"] is None
