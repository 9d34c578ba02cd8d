"""Properties of the derived values over generated patients (batched into one frame each)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livertx.frame import patients_frame
from livertx.patient import parse_patient
from livertx.scores import DERIVED_COLUMNS, derive

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ASCITES = ("none", "slight", "moderate", "severe")  # worsening order
ENCEPHALOPATHY = ("none", "grade_1_2", "grade_3_4")


def derive_many(patients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse every patient and derive them together in one frame; rows in input order."""
    frame = patients_frame([parse_patient(p) for p in patients])
    return derive(frame.lazy()).collect().to_dicts()


def hundredths(low: int, high: int) -> st.SearchStrategy[float]:
    """Values with at most 2 decimals, from low/100 to high/100."""
    return st.integers(low, high).map(lambda n: n / 100)


bilirubins = hundredths(0, 6000)     # 0-60 mg/dL
albumins = hundredths(50, 700)       # 0.5-7 g/dL
inrs = hundredths(50, 1500)          # 0.5-15
# Dense near the cut-offs so every band edge is exercised, not only the wide middle.
bilirubins_near_cuts = st.one_of(bilirubins, st.sampled_from([1.99, 2.0, 2.01, 2.99, 3.0, 3.01]))
albumins_near_cuts = st.one_of(albumins, st.sampled_from([2.79, 2.8, 2.81, 3.49, 3.5, 3.51]))
inrs_near_cuts = st.one_of(inrs, st.sampled_from([1.69, 1.7, 1.71, 2.29, 2.3, 2.31]))


@st.composite
def labs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "bilirubin": draw(bilirubins_near_cuts),
        "albumin": draw(albumins_near_cuts),
        "inr": draw(inrs_near_cuts),
        "ascites": draw(st.sampled_from(ASCITES)),
        "encephalopathy": draw(st.sampled_from(ENCEPHALOPATHY)),
    }


def reference_score(p: dict[str, Any]) -> int:
    """Child-Pugh by hand, straight from the DESIGN.md table (an independent oracle)."""
    bilirubin = 1 if p["bilirubin"] < 2 else 2 if p["bilirubin"] <= 3 else 3
    albumin = 1 if p["albumin"] > 3.5 else 2 if p["albumin"] >= 2.8 else 3
    inr = 1 if p["inr"] < 1.7 else 2 if p["inr"] <= 2.3 else 3
    ascites = {"none": 1, "slight": 2, "moderate": 3, "severe": 3}[p["ascites"]]
    encephalopathy = {"none": 1, "grade_1_2": 2, "grade_3_4": 3}[p["encephalopathy"]]
    return bilirubin + albumin + inr + ascites + encephalopathy


def reference_class(score: int) -> str:
    return "A" if score <= 6 else "B" if score <= 9 else "C"


# --- score range and class ---------------------------------------------------------------


@SETTINGS
@given(st.lists(labs(), min_size=1, max_size=40))
def test_score_is_5_to_15_and_class_follows(patients: list[dict[str, Any]]) -> None:
    for facts, row in zip(patients, derive_many(patients), strict=True):
        score = row["cp_score"]
        assert 5 <= score <= 15
        assert score == reference_score(facts)
        assert score == sum(row[f"cp_points_{i}"] for i in
                            ("bilirubin", "albumin", "inr", "ascites", "encephalopathy"))
        assert row["cp_class"] == reference_class(score)
        assert row["cp_class_from"] == "labs"


# --- monotonicity ---------------------------------------------------------------------------


@st.composite
def worsened(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A patient and the same patient with one item equal or worse."""
    base = draw(labs())
    item = draw(st.sampled_from(("bilirubin", "albumin", "inr", "ascites", "encephalopathy")))
    worse = dict(base)
    if item == "bilirubin":
        worse[item] = max(base[item], draw(bilirubins_near_cuts))
    elif item == "inr":
        worse[item] = max(base[item], draw(inrs_near_cuts))
    elif item == "albumin":
        worse[item] = min(base[item], draw(albumins_near_cuts))
    else:
        order = ASCITES if item == "ascites" else ENCEPHALOPATHY
        worse[item] = draw(st.sampled_from(order[order.index(base[item]):]))
    return base, worse


@SETTINGS
@given(st.lists(worsened(), min_size=1, max_size=40))
def test_worsening_one_item_never_lowers_the_score(pairs: list[tuple[dict, dict]]) -> None:
    rows = derive_many([p for pair in pairs for p in pair])
    for (base, worse), before, after in zip(pairs, rows[0::2], rows[1::2], strict=True):
        assert after["cp_score"] >= before["cp_score"], (base, worse)
        assert "ABC".index(after["cp_class"]) >= "ABC".index(before["cp_class"])
        for item in ("bilirubin", "albumin", "inr", "ascites", "encephalopathy"):
            assert after[f"cp_points_{item}"] >= before[f"cp_points_{item}"]


# --- unit equivalence -------------------------------------------------------------------------


@SETTINGS
@given(st.lists(bilirubins_near_cuts, min_size=1, max_size=60))
def test_bilirubin_mg_dl_and_umol_l_give_the_same_points(values: list[float]) -> None:
    patients = [p for x in values for p in ({"bilirubin": x}, {"bilirubin": f"{x * 17.1} umol/L"})]
    rows = derive_many(patients)
    for x, mg, umol in zip(values, rows[0::2], rows[1::2], strict=True):
        assert umol["bilirubin"] == x
        assert umol["cp_points_bilirubin"] == mg["cp_points_bilirubin"]


@SETTINGS
@given(st.lists(albumins_near_cuts, min_size=1, max_size=60))
def test_albumin_g_dl_and_g_l_give_the_same_points(values: list[float]) -> None:
    patients = [p for x in values for p in ({"albumin": x}, {"albumin": f"{x * 10} g/L"})]
    rows = derive_many(patients)
    for x, g_dl, g_l in zip(values, rows[0::2], rows[1::2], strict=True):
        assert g_l["albumin"] == x
        assert g_l["cp_points_albumin"] == g_dl["cp_points_albumin"]


# --- soundness of unknowns ---------------------------------------------------------------------

HIDEABLE = ("bilirubin", "albumin", "inr", "ascites", "encephalopathy", "child_pugh_class",
            "tumor_count", "largest_tumor_cm", "vascular_invasion", "lymph_node_spread",
            "distant_spread", "creatinine", "sodium", "total_tumor_cm")
# cp_class_from says where the class came from, which legitimately moves from 'labs' to
# 'given' when labs are hidden; every other derived column is a clinical value.
CHECKED = tuple(c for c in DERIVED_COLUMNS if c != "cp_class_from")


@st.composite
def full_patient(draw: st.DrawFn) -> dict[str, Any]:
    """Every fact the scores use is known; qualifiers vary; no contradictions."""
    p = draw(labs())
    spread = draw(st.booleans())
    major = draw(st.booleans())
    p.update(
        tumor_count=draw(st.integers(4, 50) if spread else st.integers(1, 6)),
        largest_tumor_cm=draw(st.one_of(hundredths(1, 3000),
                                        st.sampled_from([2.0, 2.01, 3.0, 3.1, 5.0, 5.01]))),
        vascular_invasion=major or draw(st.booleans()),
        lymph_node_spread=draw(st.booleans()),
        distant_spread=draw(st.booleans()),
        major_vascular_invasion=major,
        adjacent_organ_invasion=draw(st.booleans()),
        spread_throughout_liver=spread,
        creatinine=draw(st.sampled_from([0.5, 1.0, 1.6, 4.0, 4.1])),
        sodium=draw(st.sampled_from([120.0, 125.0, 131.0, 137.0, 140.0])),
        dialysis=draw(st.booleans()),
    )
    p["total_tumor_cm"] = p["largest_tumor_cm"] * draw(st.sampled_from([1.0, 1.5, 2.0, 3.0]))
    # A given class, when present, is the one the care team would compute from these labs.
    if draw(st.booleans()):
        p["child_pugh_class"] = reference_class(reference_score(p))
    return p


@st.composite
def full_and_hidden(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    full = draw(full_patient())
    hidden_keys = draw(st.sets(st.sampled_from(HIDEABLE)))
    return full, {k: v for k, v in full.items() if k not in hidden_keys}


@SETTINGS
@given(st.lists(full_and_hidden(), min_size=1, max_size=40))
def test_hiding_inputs_never_changes_a_value_that_is_still_known(
        pairs: list[tuple[dict, dict]]) -> None:
    rows = derive_many([p for pair in pairs for p in pair])
    for (full, hidden), complete, partial in zip(pairs, rows[0::2], rows[1::2], strict=True):
        for column in CHECKED:
            # ALBI takes the logarithm of bilirubin: none for a bilirubin of 0.
            assert complete[column] is not None or (
                column.startswith("albi") and full["bilirubin"] == 0), (column, full)
            assert partial[column] is None or partial[column] == complete[column], (
                column, hidden, partial[column], complete[column])


@SETTINGS
@given(st.lists(full_and_hidden(), min_size=1, max_size=40))
def test_hiding_nothing_score_related_keeps_everything_known(
        pairs: list[tuple[dict, dict]]) -> None:
    # The converse check, so the soundness test cannot pass by returning null everywhere:
    # a derived value stays known while every input it needs is still given.
    rows = derive_many([hidden for _, hidden in pairs])
    for (_, hidden), row in zip(pairs, rows, strict=True):
        if all(k in hidden for k in ("bilirubin", "albumin", "inr", "ascites", "encephalopathy")):
            assert row["cp_score"] is not None and row["cp_class"] is not None
        if "child_pugh_class" in hidden:
            assert row["cp_class"] == hidden["child_pugh_class"]
        if "lymph_node_spread" in hidden:
            assert row["n_category"] is not None
        if "distant_spread" in hidden:
            assert row["m_category"] is not None
        if all(k in hidden for k in ("tumor_count", "largest_tumor_cm", "vascular_invasion")):
            assert row["t_category"] is not None
        if all(k in hidden for k in ("tumor_count", "largest_tumor_cm", "vascular_invasion",
                                     "lymph_node_spread", "distant_spread")):
            assert row["milan"] is not None and row["stage_group"] is not None
