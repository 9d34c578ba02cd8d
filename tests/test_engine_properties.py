"""Properties of the engine over generated patients (hypothesis).

Each example is a batch of patients evaluated as one table with `livertx.engine.frames`,
the way a cohort is, so that many patients are checked per example at little cost.

- Safety: no surgery or transplant as a main option with lymph-node or distant spread;
  no sorafenib as a main option with Child-Pugh C; no transplant as a main option outside Milan.
- Every option is listed exactly once by `assess`.
- Monotonic knowledge: hiding facts may turn a known answer into unknown, never into a
  different known answer (so "depends on X" is trustworthy). Qualifiers are not facts and
  are never hidden. The one allowed change is a contradiction the engine warns about
  (a Child-Pugh class the lab values rule out, "no cirrhosis" beside a class that is not A,
  a recurrence site that implies a recurrence).
- Exact candidates: when the category is open, its candidates are exactly the categories
  some completion of the unknown facts reaches, and the true category is among them.
"""

from __future__ import annotations

import itertools
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livertx.engine import assess_many, evaluate
from livertx.frame import COLUMN_SCHEMA
from livertx.knowledge import load_pack
from livertx.patient import implied_sorafenib_status, parse_patient
from livertx.vocabulary import FACTS, FIELD_BY_NAME, QUALIFIERS

PACK = load_pack()
OPTION_IDS = [o.id for o in PACK.options]
OUTPUTS = ["category", *(f"fit_{o}" for o in OPTION_IDS)]
SETTINGS = settings(deadline=None, max_examples=40, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Values chosen on and beside the thresholds the scores and tables use.
VALUES: dict[str, list[Any]] = {
    "tumor_count": [1, 2, 3, 4, 7],
    "largest_tumor_cm": [1.0, 2.0, 2.5, 3.0, 3.1, 4.0, 5.0, 5.1, 8.0],
    "bilirubin": [1.0, 1.99, 2.0, 3.0, 3.01, 5.0],
    "albumin": [4.0, 3.51, 3.5, 2.8, 2.79],
    "inr": [1.1, 1.69, 1.7, 2.3, 2.31],
    "ecog": [0, 1, 2, 3, 4],
    "total_tumor_cm": [1.0, 3.0, 6.0, 8.0, 8.1, 12.0],
    "afp": [5.0, 399.0, 400.0, 999.0, 1000.0],
    "creatinine": [0.8, 1.0, 2.0, 4.0, 4.1],
    "sodium": [120.0, 125.0, 130.0, 137.0, 140.0],
}
for _name in FACTS:
    _spec = FIELD_BY_NAME[_name]
    if _spec.type == "bool":
        VALUES[_name] = [True, False]
    elif _spec.type == "enum":
        VALUES[_name] = list(_spec.values)


# Typical situations; generated patients often start from one and change a few fields, so
# that rare combinations (a recurrence in the liver with spread elsewhere) come up often.
_SMALL = {"tumor_count": 1, "largest_tumor_cm": 2.5, "vascular_invasion": False,
          "lymph_node_spread": False, "distant_spread": False, "cirrhosis": True,
          "child_pugh_class": "A", "fit_for_surgery": True, "sorafenib_status": "never"}
ARCHETYPES: list[dict[str, Any]] = [
    _SMALL,
    {**_SMALL, "tumor_count": 2, "child_pugh_class": "B"},
    {**_SMALL, "fit_for_surgery": False},
    {**_SMALL, "tumor_count": 4, "largest_tumor_cm": 4.0},
    {**_SMALL, "distant_spread": True, "sorafenib_status": "stopped_working"},
    {**_SMALL, "recurrent": True, "recurrence_site": "liver"},
    {**_SMALL, "recurrent": True, "recurrence_site": "distant", "sorafenib_status": "not_tolerated"},
]


@st.composite
def patients(draw: st.DrawFn, *, unknown: float = 0.25) -> dict[str, Any]:
    """One consistent patient: facts known or unknown, qualifiers set or left at default."""
    row: dict[str, Any] = {}
    for name in FACTS:
        known = draw(st.floats(0, 1)) >= unknown
        row[name] = draw(st.sampled_from(VALUES[name])) if known else None
    for name in QUALIFIERS:
        default = FIELD_BY_NAME[name].default
        row[name] = draw(st.booleans()) if draw(st.integers(0, 3)) == 0 else default
    if draw(st.booleans()):  # an archetype with a few fields changed
        base = draw(st.sampled_from(ARCHETYPES))
        changed = draw(st.sets(st.sampled_from(list(row)), max_size=3))
        row = {**row, **{k: v for k, v in base.items()}, **{k: row[k] for k in changed}}
        for name in QUALIFIERS:
            if name not in changed and name not in base:
                row[name] = FIELD_BY_NAME[name].default
    if row["major_vascular_invasion"] and row["vascular_invasion"] is False:
        row["vascular_invasion"] = True
    if row["spread_throughout_liver"] and row["tumor_count"] is not None and row["tumor_count"] <= 3:
        row["tumor_count"] = 7
    if row["recurrence_site"] is not None:  # a site means it came back (false is rejected)
        row["recurrent"] = True
    return consistent_prior(row)


def consistent_prior(row: dict[str, Any]) -> dict[str, Any]:
    """Drop what the vocabulary rejects: a total smaller than the largest tumor, and a
    sorafenib status that disagrees with the most recent medicine."""
    if (row["total_tumor_cm"] is not None and row["largest_tumor_cm"] is not None
            and row["total_tumor_cm"] < row["largest_tumor_cm"]):
        row["total_tumor_cm"] = None
    if row["prior_systemic"] == "none":
        row["prior_systemic_outcome"] = None
    implied = implied_sorafenib_status(row["prior_systemic"], row["prior_systemic_outcome"])
    if implied == "tried" and row["sorafenib_status"] == "never":
        row["sorafenib_status"] = None
    elif implied not in (None, "tried") and row["sorafenib_status"] is not None:
        row["sorafenib_status"] = implied
    return row


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=COLUMN_SCHEMA, orient="row")


def _evaluated(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(evaluate(_frame(rows).lazy(), PACK).collect().iter_rows(named=True))


def _known(value: Any) -> bool:
    return value is not None and value != "unknown"


@SETTINGS
@given(st.lists(patients(), min_size=1, max_size=60))
def test_safety_limits_hold_for_every_patient(batch: list[dict[str, Any]]) -> None:
    for row in _evaluated(batch):
        spread = row["lymph_node_spread"] is True or row["distant_spread"] is True
        for option in ("partial_hepatectomy", "liver_transplant"):
            assert not (spread and row[f"fit_{option}"] == "primary"), (
                f"{option} is primary by {row[f'rule_{option}']} with spread beyond the liver: {row}")
        assert not (row["fit_sorafenib"] == "primary" and row["cp_class"] == "C"), (
            f"sorafenib primary by {row['rule_sorafenib']} with Child-Pugh C: {row}")
        if row["fit_liver_transplant"] == "primary":
            assert row["milan"] is True, (
                f"transplant primary by {row['rule_liver_transplant']} outside Milan: {row}")


@SETTINGS
@given(st.lists(patients(), min_size=1, max_size=40))
def test_assess_lists_every_option_exactly_once(batch: list[dict[str, Any]]) -> None:
    results = assess_many([parse_patient({k: v for k, v in p.items() if v is not None})
                           for p in batch], PACK)
    for patient, result in zip(batch, results):
        ids = [o["id"] for o in result["options"]]
        assert sorted(ids) == sorted(OPTION_IDS), ids
        if patient["wants_treatment"] is False:
            assert ids[0] == "palliative_care"
        for option in result["options"]:
            known = option["fit"] != "unknown"
            assert bool(option["reasons"]) is known
            assert bool(option["missing"]) or known or result["category"]["id"] is None


@st.composite
def hidden_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A patient and the same patient with some of its known facts hidden."""
    full = draw(patients(unknown=0.1))
    known = [f for f in FACTS if full[f] is not None]
    hide = draw(st.sets(st.sampled_from(known))) if known else set()
    return full, {k: (None if k in hide else v) for k, v in full.items()}


@SETTINGS
@given(st.lists(hidden_pairs(), min_size=1, max_size=60))
def test_hiding_facts_never_changes_a_known_answer(pairs: list[tuple[dict, dict]]) -> None:
    rows = _evaluated([p for pair in pairs for p in pair])
    for full, less in zip(rows[0::2], rows[1::2]):
        for column in OUTPUTS:
            if _known(less[column]) and less[column] != full[column]:
                # The allowed changes are contradictions the engine warns about: a given class
                # the labs rule out; "no cirrhosis" beside a class or labs that are not A; a
                # recurrence site that implies a recurrence.
                warned = (full["cp_conflict"] is True
                          or (full["cirrhosis"] is False and full["liver_healthy"] is False)
                          or (full["recurrence_site"] is not None and less["recurrence_site"] is None
                              and full["recurrent"] and not less["recurrent"]))
                assert warned, (
                    f"{column}: {less[column]!r} (rule {less.get('rule_' + column[4:])}) with fewer "
                    f"facts but {full[column]!r} (rule {full.get('rule_' + column[4:])}) with more;"
                    f" facts hidden: {[f for f in FACTS if full[f] is not None and less[f] is None]}")
        for fact in less["missing"]:
            assert less[fact] is None, f"{fact} is listed as missing but is known"


# --- exact candidates ---------------------------------------------------------------------
CATEGORY_FACTS = ["tumor_count", "largest_tumor_cm", "vascular_invasion", "lymph_node_spread",
                  "distant_spread", "cirrhosis", "fit_for_surgery"]
LABS = ["bilirubin", "albumin", "inr", "ascites", "encephalopathy"]
# For completing unknown facts: each side of every threshold of the category table,
# Milan (1 / 2-3 / more tumours; <= 3, <= 5, > 5 cm) and Child-Pugh (1, 2, 3 points).
COMPLETE: dict[str, list[Any]] = {
    "tumor_count": [1, 2, 3, 4], "largest_tumor_cm": [2.0, 3.0, 4.0, 5.0, 6.0],
    "bilirubin": [1.0, 2.5, 4.0], "albumin": [4.0, 3.0, 2.5], "inr": [1.2, 2.0, 2.5],
    "ascites": ["none", "slight", "severe"], "encephalopathy": ["none", "grade_1_2", "grade_3_4"],
    "child_pugh_class": ["A", "B", "C"],
}


@st.composite
def open_cases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fully known patient and the same patient with 1-4 facts the category uses hidden.

    The liver's class is known either as a given class (labs not measured) or from all five
    labs; a completion of unknown labs beside a given class must agree with it, so the
    class-only form loses no reachable category.
    """
    full = draw(patients(unknown=0.0))
    full["recurrent"] = False  # recurrence decides alone; keep the open part interesting
    by_labs = draw(st.booleans())
    for lab in LABS:
        full[lab] = full[lab] if by_labs else None
    if by_labs:
        full["child_pugh_class"] = None
    pool = CATEGORY_FACTS + (LABS if by_labs else ["child_pugh_class"])
    hide = draw(st.sets(st.sampled_from(pool), min_size=1, max_size=4))
    return full, {k: (None if k in hide else v) for k, v in full.items()}


def _completions(less: dict[str, Any]) -> list[dict[str, Any]]:
    unknown = [f for f in [*CATEGORY_FACTS, *LABS, "child_pugh_class"] if less[f] is None]
    labs_missing = [f for f in LABS if less[f] is None]
    if len(labs_missing) == len(LABS):  # class given, or class hidden: try the class
        unknown = [f for f in unknown if f not in LABS]
    elif less["child_pugh_class"] is None:  # class from labs: complete the labs only
        unknown = [f for f in unknown if f != "child_pugh_class"]
    out = []
    for values in itertools.product(*(COMPLETE.get(f, [True, False]) for f in unknown)):
        row = {**less, **dict(zip(unknown, values))}
        if row["spread_throughout_liver"] and row["tumor_count"] <= 3:
            continue
        if row["major_vascular_invasion"] and not row["vascular_invasion"]:
            continue
        out.append(row)
    return out


@settings(deadline=None, max_examples=30, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(open_cases(), min_size=4, max_size=12))
def test_open_category_candidates_are_exact(cases: list[tuple[dict, dict]]) -> None:
    truths = _evaluated([full for full, _ in cases])
    opened = _evaluated([less for _, less in cases])
    open_cases_ = [(t, c[1]) for t, o, c in zip(truths, opened, cases) if o["category"] is None]
    for truth, less in zip(truths, opened):
        if less["category"] is not None:
            assert less["category"] == truth["category"]
    if not open_cases_:
        return
    results = assess_many([parse_patient({k: v for k, v in less.items() if v is not None})
                           for _, less in open_cases_], PACK)
    completions = [_completions(less) for _, less in open_cases_]
    reached_rows = _evaluated([row for rows in completions for row in rows])
    start = 0
    for (truth, less), rows, result in zip(open_cases_, completions, results):
        reached = {r["category"] for r in reached_rows[start:start + len(rows)]}
        start += len(rows)
        candidates = {c["id"] for c in result["category"]["candidates"]}
        assert result["category"]["id"] is None
        assert truth["category"] in candidates, (truth["category"], candidates, less)
        assert None not in reached
        assert candidates == reached, (
            f"candidates {sorted(candidates)} but completions reach {sorted(reached)}; "
            f"unknown: {[f for f in FACTS if less[f] is None]}")


def test_a_kept_missing_answer_is_that_of_every_row_with_its_key() -> None:
    """`missing_by_table` keeps its answers by what it reads (each table's outcome and
    blocking row, which facts are unknown), not by the known values: each generated
    patient, and the same patient with one fact both know taken from another one, must get
    what working it out afresh gives, also when a kept answer is taken."""
    from livertx.engine import missing
    from livertx.engine.rows import evaluate_row
    from livertx.errors import InvalidInput
    from livertx.generate import generate_patients
    from livertx.knowledge.pack import load_guideline

    frame = generate_patients(150, seed=9, unknown_rate=0.3)
    known = [{k: v for k, v in r.items() if v is not None} for r in frame.iter_rows(named=True)]
    for pack in (load_pack(), load_guideline("bclc-2022")):
        reads = missing._reads(pack)
        reads.answers.clear()
        kept = 0
        for facts, donor in zip(known, known[1:] + known[:1]):
            for patient in (facts, *({**facts, k: donor[k]} for k in facts
                                     if k in donor and donor[k] != facts[k])):
                try:
                    row = evaluate_row(parse_patient(patient).facts(), pack)
                except InvalidInput:
                    continue
                key = (reads.outputs(row), tuple(v is None for v in reads.unknown(row)))
                kept += key in reads.answers
                assert (missing.missing_by_table(row, pack)
                        == missing._missing_by_table(row, pack)), patient
        assert kept >= 200, (pack.id, kept)
