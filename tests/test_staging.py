"""Milan criteria and AJCC 8th edition TNM for hepatocellular carcinoma."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import derive_one

CONTAINED = {"vascular_invasion": False, "lymph_node_spread": False, "distant_spread": False}


def milan(**facts: Any) -> bool | None:
    return derive_one(**facts)["milan"]


# --- Milan --------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "inside"), [(0.5, True), (5.0, True), (5.1, False),
                                              (12.0, False)])
def test_milan_single_tumor_up_to_5_cm(size: float, inside: bool) -> None:
    assert milan(tumor_count=1, largest_tumor_cm=size, **CONTAINED) is inside


@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize(("size", "inside"), [(1.0, True), (3.0, True), (3.1, False),
                                              (5.0, False)])
def test_milan_two_or_three_tumors_up_to_3_cm(count: int, size: float, inside: bool) -> None:
    assert milan(tumor_count=count, largest_tumor_cm=size, **CONTAINED) is inside


def test_milan_from_a_tumors_list() -> None:
    assert milan(tumors=[{"size_cm": 3}, {"size_cm": 2.5}, {"size_cm": 1}], **CONTAINED) is True
    assert milan(tumors=[{"size_cm": 3.1}, {"size_cm": 1}], **CONTAINED) is False


@pytest.mark.parametrize("count", [4, 10])
def test_milan_four_or_more_tumors_is_outside_even_if_small(count: int) -> None:
    assert milan(tumor_count=count, largest_tumor_cm=1.0, **CONTAINED) is False


def test_milan_vascular_invasion_is_outside() -> None:
    assert milan(tumor_count=1, largest_tumor_cm=2.0, vascular_invasion=True,
                 lymph_node_spread=False, distant_spread=False) is False


def test_milan_major_vein_implies_invasion_and_is_outside() -> None:
    assert milan(tumor_count=1, largest_tumor_cm=2.0, major_vascular_invasion=True,
                 lymph_node_spread=False, distant_spread=False) is False


@pytest.mark.parametrize("spread", ["lymph_node_spread", "distant_spread"])
def test_milan_spread_outside_the_liver_is_outside(spread: str) -> None:
    assert milan(tumor_count=1, largest_tumor_cm=2.0, **{**CONTAINED, spread: True}) is False


def test_milan_spread_throughout_liver_is_outside() -> None:
    assert milan(spread_throughout_liver=True, largest_tumor_cm=1.0, **CONTAINED) is False


@pytest.mark.parametrize("missing", ["tumor_count", "largest_tumor_cm", "vascular_invasion",
                                     "lymph_node_spread", "distant_spread"])
def test_milan_unknown_input_leaves_an_inside_patient_unknown(missing: str) -> None:
    facts: dict[str, Any] = {"tumor_count": 1, "largest_tumor_cm": 3.0, **CONTAINED}
    del facts[missing]
    assert milan(**facts) is None


def test_milan_nothing_known_is_unknown() -> None:
    assert milan() is None


@pytest.mark.parametrize("decider", [
    {"distant_spread": True},
    {"lymph_node_spread": True},
    {"vascular_invasion": True},
    {"major_vascular_invasion": True},
    {"spread_throughout_liver": True},
    {"tumor_count": 4},
    {"largest_tumor_cm": 5.1},  # beyond both size rules whatever the count
])
def test_milan_one_known_decider_is_enough(decider: dict[str, Any]) -> None:
    assert milan(**decider) is False


def test_milan_3_1_cm_with_unknown_count_is_unknown() -> None:
    # A single 3.1 cm tumor is inside, two are outside: the count decides.
    assert milan(largest_tumor_cm=3.1, **CONTAINED) is None


# --- AJCC T --------------------------------------------------------------------------------


def t(**facts: Any) -> str | None:
    return derive_one(**facts)["t_category"]


@pytest.mark.parametrize(("size", "invasion", "category"), [
    (0.5, False, "T1a"),
    (2.0, False, "T1a"),
    (2.0, True, "T1a"),   # solitary <= 2 cm is T1a with or without vascular invasion
    (2.01, False, "T1b"),
    (5.0, False, "T1b"),
    (15.0, False, "T1b"),
    (2.01, True, "T2"),
    (8.0, True, "T2"),
])
def test_t_solitary(size: float, invasion: bool, category: str) -> None:
    no_major_vein = {"major_vascular_invasion": False} if invasion else {}
    assert t(tumor_count=1, largest_tumor_cm=size, vascular_invasion=invasion,
             **no_major_vein) == category


@pytest.mark.parametrize("size", [1.0, 2.0, 4.0])
def test_t_invasion_with_the_major_vein_unknown_is_unknown(size: float) -> None:
    """Vascular invasion without saying whether a major vein is involved could be T4."""
    assert t(tumor_count=1, largest_tumor_cm=size, vascular_invasion=True) is None
    assert t(tumor_count=1, largest_tumor_cm=size, vascular_invasion=True,
             major_vascular_invasion=True) == "T4"


@pytest.mark.parametrize(("count", "size", "category"), [
    (2, 1.0, "T2"),
    (2, 5.0, "T2"),
    (3, 5.0, "T2"),
    (2, 5.01, "T3"),
    (6, 9.0, "T3"),
])
def test_t_multiple(count: int, size: float, category: str) -> None:
    assert t(tumor_count=count, largest_tumor_cm=size) is None  # a major vein not ruled out
    assert t(tumor_count=count, largest_tumor_cm=size, vascular_invasion=False) == category
    assert t(tumor_count=count, largest_tumor_cm=size, vascular_invasion=True,
             major_vascular_invasion=False) == category


def test_t_spread_throughout_liver_counts_as_multiple() -> None:
    assert t(spread_throughout_liver=True, largest_tumor_cm=4.0, vascular_invasion=False) == "T2"
    assert t(spread_throughout_liver=True, largest_tumor_cm=6.0, vascular_invasion=False) == "T3"


@pytest.mark.parametrize("qualifier", ["major_vascular_invasion", "adjacent_organ_invasion"])
@pytest.mark.parametrize("tumor", [{"tumor_count": 1, "largest_tumor_cm": 1.0},
                                   {"tumor_count": 3, "largest_tumor_cm": 9.0}, {}])
def test_t4_major_vein_or_adjacent_organ(qualifier: str, tumor: dict[str, Any]) -> None:
    assert t(**tumor, **{qualifier: True}) == "T4"


@pytest.mark.parametrize(("facts", "reason"), [
    ({}, "nothing known"),
    ({"tumor_count": 1}, "size unknown"),
    ({"largest_tumor_cm": 1.0}, "count unknown: T1a or T2"),
    ({"largest_tumor_cm": 6.0, "vascular_invasion": False}, "count unknown: T1b or T3"),
    ({"tumor_count": 1, "largest_tumor_cm": 3.0}, "invasion unknown: T1b or T2"),
    ({"tumor_count": 2}, "size unknown: T2 or T3"),
])
def test_t_unknown_stays_unknown(facts: dict[str, Any], reason: str) -> None:
    assert t(**facts) is None, reason


def test_t_small_solitary_needs_only_the_major_vein_ruled_out() -> None:
    assert t(tumor_count=1, largest_tumor_cm=1.5, major_vascular_invasion=False) == "T1a"
    assert t(tumor_count=1, largest_tumor_cm=1.5) is None


def test_t_multiple_needs_only_the_major_vein_ruled_out() -> None:
    assert t(tumor_count=2, largest_tumor_cm=6.0, major_vascular_invasion=False) == "T3"
    assert t(tumor_count=2, largest_tumor_cm=6.0) is None


# --- N, M and stage groups ------------------------------------------------------------------


@pytest.mark.parametrize(("given", "category"), [(True, "N1"), (False, "N0"), (None, None)])
def test_n_category(given: bool | None, category: str | None) -> None:
    facts = {} if given is None else {"lymph_node_spread": given}
    assert derive_one(**facts)["n_category"] == category


@pytest.mark.parametrize(("given", "category"), [(True, "M1"), (False, "M0"), (None, None)])
def test_m_category(given: bool | None, category: str | None) -> None:
    facts = {} if given is None else {"distant_spread": given}
    assert derive_one(**facts)["m_category"] == category


N0M0 = {"lymph_node_spread": False, "distant_spread": False}


@pytest.mark.parametrize(("facts", "t_category", "stage"), [
    ({"tumor_count": 1, "largest_tumor_cm": 2.0, "vascular_invasion": False, **N0M0}, "T1a", "IA"),
    ({"tumor_count": 1, "largest_tumor_cm": 4.0, "vascular_invasion": False, **N0M0}, "T1b", "IB"),
    ({"tumor_count": 1, "largest_tumor_cm": 4.0, "vascular_invasion": True,
      "major_vascular_invasion": False, **N0M0}, "T2", "II"),
    ({"tumor_count": 3, "largest_tumor_cm": 4.0, "vascular_invasion": False, **N0M0}, "T2", "II"),
    ({"tumor_count": 3, "largest_tumor_cm": 7.0, "vascular_invasion": False, **N0M0}, "T3", "IIIA"),
    ({"tumor_count": 1, "largest_tumor_cm": 4.0, "major_vascular_invasion": True, **N0M0},
     "T4", "IIIB"),
    ({"tumor_count": 1, "largest_tumor_cm": 1.0, "vascular_invasion": False,
      "lymph_node_spread": True, "distant_spread": False}, "T1a", "IVA"),
    ({"tumor_count": 3, "largest_tumor_cm": 7.0, "vascular_invasion": False,
      "lymph_node_spread": False, "distant_spread": True}, "T3", "IVB"),
    ({"tumor_count": 3, "largest_tumor_cm": 7.0, "vascular_invasion": False,
      "lymph_node_spread": True, "distant_spread": True}, "T3", "IVB"),
])
def test_stage_groups(facts: dict[str, Any], t_category: str, stage: str) -> None:
    row = derive_one(**facts)
    assert row["t_category"] == t_category
    assert row["stage_group"] == stage


def test_every_stage_group_is_reachable() -> None:
    groups = {
        derive_one(tumor_count=1, largest_tumor_cm=s, vascular_invasion=v,
                   major_vascular_invasion=False, **N0M0)["stage_group"]
        for s, v in ((1.0, False), (3.0, False), (3.0, True))
    } | {derive_one(tumor_count=2, largest_tumor_cm=6.0, vascular_invasion=False,
                    **N0M0)["stage_group"],
         derive_one(adjacent_organ_invasion=True, **N0M0)["stage_group"],
         derive_one(lymph_node_spread=True, distant_spread=False)["stage_group"],
         derive_one(distant_spread=True)["stage_group"]}
    assert groups == {"IA", "IB", "II", "IIIA", "IIIB", "IVA", "IVB"}


def test_n1_m0_is_iva_whatever_t() -> None:
    row = derive_one(lymph_node_spread=True, distant_spread=False)
    assert (row["t_category"], row["stage_group"]) == (None, "IVA")


def test_m1_is_ivb_with_everything_else_unknown() -> None:
    row = derive_one(distant_spread=True)
    assert (row["t_category"], row["n_category"], row["stage_group"]) == (None, None, "IVB")


@pytest.mark.parametrize("missing", ["lymph_node_spread", "distant_spread"])
def test_stage_unknown_when_n_or_m_unknown(missing: str) -> None:
    facts: dict[str, Any] = {"tumor_count": 1, "largest_tumor_cm": 2.0, "vascular_invasion": False,
                             **N0M0}
    del facts[missing]
    row = derive_one(**facts)
    assert row["t_category"] == "T1a"
    assert row["stage_group"] is None


def test_n1_with_m_unknown_is_unknown() -> None:
    # Could be IVA (M0) or IVB (M1).
    assert derive_one(lymph_node_spread=True)["stage_group"] is None


def test_n0_m0_with_t_unknown_is_unknown() -> None:
    assert derive_one(tumor_count=1, **N0M0)["stage_group"] is None
