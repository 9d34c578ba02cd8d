"""The hit policy "first" with unknown rows (`livertx.engine.hit_policy`).

A row whose condition is unknown blocks the table only when it could change the answer:
if a later row with the same outcome holds, and every row between them with another
outcome is false, the outcome is the same whichever way the unknown row goes, and the
later row (whose reason is certainly true) decides. Before this rule, a failing liver with
ECOG not given showed "stage not yet clear" with stage D its only candidate, and an option
whose fit was settled was sometimes explained by a reason that held for only one of the
candidate categories.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import livertx
from livertx.engine.hit_policy import UNKNOWN_FIT, condition_column, rule_column
from livertx.engine.rows import evaluate_row
from livertx.errors import InvalidInput
from livertx.generate import generate_patients
from livertx.knowledge.pack import load_guideline
from livertx.patient import parse_patient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
WELL = {"bilirubin": 0.8, "albumin": 4.0, "inr": 1.0, "ascites": "none",
        "encephalopathy": "none"}


def assess(patient: dict[str, Any], guideline: str) -> dict[str, Any]:
    return livertx.assess(patient, guideline=guideline).model_dump(by_alias=True)


def option(result: dict[str, Any], option_id: str) -> dict[str, Any]:
    return next(o for o in result["options"] if o["id"] == option_id)


def test_a_failing_liver_without_a_transplant_route_is_stage_d_whether_or_not_ecog_is_known(
) -> None:
    # Child-Pugh B with ascites, two tumours beyond up-to-seven, ECOG not given: BCL.01
    # (ECOG 3-4) is unknown, but BCL.02 (end-stage liver, no transplant route) holds and
    # also gives stage D. Before: category null, "not yet clear", candidates [bclc_d].
    patient = json.loads((EXAMPLES / "advanced.json").read_text(encoding="utf-8"))
    assert "ecog" not in patient
    result = assess(patient, "bclc-2022")
    assert result["category"]["id"] == "bclc_d"
    assert result["category"]["rule"] == "BCL.02"
    assert "liver" in result["category"]["reasons"][0]["text"]
    assert "ecog" not in result["category"]["missing"]


def test_an_unknown_row_with_another_outcome_still_blocks() -> None:
    # Preserved liver, one 2.5 cm tumour, ECOG not given: ECOG 3-4 would be stage D, ECOG 0
    # stage A, so the stage stays open and ECOG is what it waits for.
    patient = {"tumor_count": 1, "largest_tumor_cm": 2.5, "vascular_invasion": False,
               "lymph_node_spread": False, "distant_spread": False, "cirrhosis": True,
               **WELL}
    result = assess(patient, "bclc-2022")
    assert result["category"]["id"] is None
    assert "ecog" in result["category"]["missing"]
    assert {"bclc_a", "bclc_c", "bclc_d"} <= {c["id"] for c in result["category"]["candidates"]}


def test_a_medicine_already_tried_is_ruled_out_whatever_the_child_pugh_class() -> None:
    # acs-2017 sorafenib: SOR.02 (class C) is unknown without the INR, but SOR.03
    # (sorafenib already tried) holds and gives the same "not advised".
    patient = {"tumor_count": 1, "largest_tumor_cm": 6, "vascular_invasion": False,
               "lymph_node_spread": False, "distant_spread": True, "cirrhosis": True,
               "bilirubin": 1.0, "albumin": 3.6, "ascites": "none", "encephalopathy": "none",
               "sorafenib_status": "stopped_working"}
    result = assess(patient, "acs-2017")
    sorafenib = option(result, "sorafenib")
    assert sorafenib["fit"] == "not_advised"
    assert sorafenib["rule"] == "SOR.03"
    assert sorafenib["missing"] == []
    # with sorafenib never tried, the class does decide: the fit waits for the INR
    never = option(assess({**patient, "sorafenib_status": "never"}, "acs-2017"), "sorafenib")
    assert never["fit"] == UNKNOWN_FIT and "inr" in never["missing"]


def test_a_settled_fit_is_explained_by_a_reason_that_holds_for_every_candidate() -> None:
    # acs-2017, category open between advanced and unresectable (lymph nodes unknown), with
    # Child-Pugh C: surgery is not advised either way. The reason shown must be the one
    # that is certainly true (class C), not "the cancer has spread" (true for one candidate).
    patient = {"tumor_count": 1, "largest_tumor_cm": 6, "vascular_invasion": False,
               "distant_spread": False, "cirrhosis": True, "bilirubin": 3.5,
               "albumin": 2.5, "inr": 2.5, "ascites": "moderate", "encephalopathy": "none"}
    result = assess(patient, "acs-2017")
    assert result["category"]["id"] is None
    surgery = option(result, "partial_hepatectomy")
    assert surgery["fit"] == "not_advised"
    assert surgery["rule"] == "PH.06"
    assert "class C" in surgery["reasons"][0]["text"]


@pytest.mark.parametrize("guideline", ["acs-2017", "bclc-2022"])
def test_every_decided_table_is_decided_by_a_row_that_holds(guideline: str) -> None:
    """Over generated patients: when a table's outcome is known, the row named as deciding
    holds, and each row before it is false or unknown with the same outcome; when it is
    unknown, the row named as blocking is unknown and no row before it holds."""
    pack = load_guideline(guideline)
    frame = generate_patients(1500, seed=11)
    checked = 0
    for record in frame.to_dicts():
        facts = {k: v for k, v in record.items() if v is not None}
        try:
            row = evaluate_row(parse_patient(facts).facts(), pack)
        except InvalidInput:
            continue
        for table in pack.tables:
            outcome, rule = row[table.column], row[rule_column(table)]
            decided = outcome is not None and outcome != UNKNOWN_FIT
            ids = [r.id for r in table.rules]
            if rule is None:
                assert not decided
                continue
            at = ids.index(rule)
            values = [row[condition_column(r)] for r in ids]
            if decided:
                assert values[at] is True
                assert outcome == table.rules[at].outcome
                for earlier, value in zip(table.rules[:at], values[:at], strict=True):
                    assert value is False or (value is None and earlier.outcome == outcome)
            else:
                assert values[at] is None
                assert True not in values[:at]
            checked += 1
    assert checked > 10_000



@pytest.mark.parametrize("guideline", ["acs-2017", "bclc-2022"])
def test_the_step_by_step_decision_code_equals_the_single_case(guideline: str) -> None:
    """The cohort engine computes each table's decision code from the last row back
    (`decision_code_steps`, each row read once); single patients and SQL use the one CASE
    (`decision_code_node`). Over every combination of true, false and unknown rows (up to 9
    rows) or 60,000 drawn ones, half of them with many unknown rows, the codes are equal."""
    import itertools
    import random

    import polars as pl

    from livertx.compiler.polars import compile_polars
    from livertx.engine.frames import compile_pack, with_decisions
    from livertx.engine.hit_policy import decision_code_node, decision_column

    compiled = compile_pack(load_guideline(guideline))
    draw = random.Random(20221)
    for table in compiled.tables:
        rules = table.table.rules
        if len(rules) <= 9:
            states = list(itertools.product((True, False, None), repeat=len(rules)))
        else:
            states = [tuple(draw.choice((True, False, None) if k % 2 else (True, None, None, False))
                            for _ in rules) for k in range(60_000)]
        frame = pl.DataFrame([pl.Series(condition_column(r.id), [s[i] for s in states],
                                        dtype=pl.Boolean) for i, r in enumerate(rules)])
        single = frame.select(compile_polars(decision_code_node(table.table))
                              .cast(pl.UInt16).alias("code"))["code"]
        stepped = with_decisions(frame.lazy(), (table,)).collect()[decision_column(table.column)]
        assert single.null_count() < len(states)  # some rows decide
        assert single.eq_missing(stepped).all(), table.column
