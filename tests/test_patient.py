"""Parsing one patient into the vocabulary: units, aliases, bounds, contradictions, defaults."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import derive_one
from pydantic import ValidationError

from livertx.errors import InvalidInput
from livertx.patient import parse_patient
from livertx.vocabulary import FACTS, FIELD_BY_NAME, FIELDS, PATIENT_KEYS, QUALIFIERS


def rejected(data: Any) -> list[tuple[str, str]]:
    """The (field, message) pairs InvalidInput gives for `data`."""
    with pytest.raises(InvalidInput) as info:
        parse_patient(data)
    assert info.value.errors, "InvalidInput must list at least one field"
    return [(e.field, e.message) for e in info.value.errors]


# --- units -------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "mg_dl"), [
    (2, 2.0),
    (2.5, 2.5),
    ("2.5", 2.5),
    ("2.5 mg/dL", 2.5),
    ("2.5mg/dl", 2.5),
    ("34.2 umol/L", 2.0),
    ("34.2 µmol/L", 2.0),   # micro sign U+00B5
    ("34.2 μmol/L", 2.0),   # Greek mu U+03BC
    ("51.3 umol/l", 3.0),
    (" 17.1  umol/L ", 1.0),
    ("0 umol/L", 0.0),
])
def test_bilirubin_units_convert_to_mg_dl(given: Any, mg_dl: float) -> None:
    assert parse_patient({"bilirubin": given}).bilirubin == pytest.approx(mg_dl, abs=1e-9)


@pytest.mark.parametrize(("given", "g_dl"), [
    (3, 3.0),
    (2.8, 2.8),
    ("2.8 g/dL", 2.8),
    ("28 g/L", 2.8),
    ("28g/l", 2.8),
    ("35 g/L", 3.5),
    ("35.1 g/L", 3.51),
])
def test_albumin_units_convert_to_g_dl(given: Any, g_dl: float) -> None:
    assert parse_patient({"albumin": given}).albumin == pytest.approx(g_dl, abs=1e-9)


def test_converted_boundary_values_land_exactly_on_the_threshold() -> None:
    # 34.2 umol/L is exactly 2 mg/dL and 28 g/L exactly 2.8 g/dL: both are 2 points, so a
    # float error of 1e-16 below the cut-off would change the Child-Pugh score.
    patient = parse_patient({"bilirubin": "34.2 umol/L", "albumin": "28 g/L"})
    assert patient.bilirubin == 2.0
    assert patient.albumin == 2.8


@pytest.mark.parametrize(("field", "given", "names"), [
    ("bilirubin", "3 mmol/L", ("mmol/L", "mg/dL", "umol/L")),
    ("albumin", "3 mg/dL", ("mg/dL", "g/dL", "g/L")),
    ("albumin", "3 g", ("g/dL", "g/L")),
])
def test_unknown_unit_is_rejected_naming_the_accepted_units(field: str, given: str,
                                                            names: tuple[str, ...]) -> None:
    (err_field, message), = rejected({field: given})
    assert err_field == field
    assert "unit" in message
    for name in names:
        assert name in message


@pytest.mark.parametrize(("field", "given"), [
    ("bilirubin", "high"), ("bilirubin", "-2 mg/dL"), ("albumin", "about 3"), ("bilirubin", True),
    ("albumin", False),
])
def test_unreadable_lab_value_is_rejected_with_its_field(field: str, given: Any) -> None:
    (err_field, message), = rejected({field: given})
    assert err_field == field
    assert message


@pytest.mark.parametrize("field", ["tumor_count", "largest_tumor_cm", "inr", "ecog"])
def test_true_or_false_is_not_a_number(field: str) -> None:
    (err_field, message), = rejected({field: True})
    assert err_field == field
    assert FIELD_BY_NAME[field].accepted in message


def test_tumor_size_true_is_not_a_number() -> None:
    (err_field, _), = rejected({"tumors": [{"size_cm": True}]})
    assert err_field == "tumors.0.size_cm"


# --- aliases -------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "value"), [
    ("none", "none"), ("absent", "none"), ("slight", "slight"), ("mild", "slight"),
    ("Mild", "slight"), (" MILD ", "slight"), ("moderate", "moderate"), ("severe", "severe"),
])
def test_ascites_spellings(given: str, value: str) -> None:
    assert parse_patient({"ascites": given}).ascites == value


@pytest.mark.parametrize(("given", "value"), [
    (0, "none"), (1, "grade_1_2"), (2, "grade_1_2"), (3, "grade_3_4"), (4, "grade_3_4"),
    (2.0, "grade_1_2"), ("0", "none"), ("3", "grade_3_4"), ("Grade 0", "none"),
    ("grade 1-2", "grade_1_2"), ("Grade 3-4", "grade_3_4"), ("none", "none"),
    ("grade_1_2", "grade_1_2"), ("grade_3_4", "grade_3_4"),
])
def test_encephalopathy_grades_and_spellings(given: Any, value: str) -> None:
    assert parse_patient({"encephalopathy": given}).encephalopathy == value


@pytest.mark.parametrize("given", [-1, 5, 1.5, "grade 5", "confused", True])
def test_encephalopathy_out_of_range_is_rejected(given: Any) -> None:
    (field, message), = rejected({"encephalopathy": given})
    assert field == "encephalopathy"
    assert "none, grade_1_2, grade_3_4" in message


@pytest.mark.parametrize(("given", "value"), [("a", "A"), ("B", "B"), (" c ", "C")])
def test_child_pugh_class_is_case_insensitive(given: str, value: str) -> None:
    assert parse_patient({"child_pugh_class": given}).child_pugh_class == value


@pytest.mark.parametrize(("field", "given", "value"), [
    ("sorafenib_status", "stopped working", "stopped_working"),
    ("sorafenib_status", "Not-Tolerated", "not_tolerated"),
    ("recurrence_site", "Liver", "liver"),
])
def test_enum_spellings(field: str, given: str, value: str) -> None:
    assert getattr(parse_patient({field: given}), field) == value


@pytest.mark.parametrize(("field", "given"), [
    ("ascites", "lots"), ("child_pugh_class", "D"), ("recurrence_site", "lung"),
    ("sorafenib_status", "maybe"),
])
def test_unknown_enum_value_lists_the_accepted_values(field: str, given: str) -> None:
    (err_field, message), = rejected({field: given})
    assert err_field == field
    for value in FIELD_BY_NAME[field].values:
        assert value in message


# --- tumors list -----------------------------------------------------------------------------


def test_tumors_list_derives_count_and_largest() -> None:
    patient = parse_patient({"tumors": [{"size_cm": 2.5}, {"size_cm": 4.1}, {"size_cm": 1}]})
    assert patient.tumor_count == 3
    assert patient.largest_tumor_cm == 4.1
    facts = patient.facts()
    assert "tumors" not in facts
    assert (facts["tumor_count"], facts["largest_tumor_cm"]) == (3, 4.1)


def test_tumors_list_agreeing_with_count_and_size_is_accepted() -> None:
    patient = parse_patient({"tumors": [{"size_cm": 3}, {"size_cm": 1}], "tumor_count": 2,
                             "largest_tumor_cm": 3})
    assert (patient.tumor_count, patient.largest_tumor_cm) == (2, 3.0)


def test_tumor_count_disagreeing_with_tumors_is_rejected() -> None:
    (field, message), = rejected({"tumors": [{"size_cm": 3}], "tumor_count": 2})
    assert field == "tumor_count"
    assert "2" in message and "1" in message


def test_largest_size_disagreeing_with_tumors_is_rejected() -> None:
    (field, message), = rejected({"tumors": [{"size_cm": 3}, {"size_cm": 4}],
                                  "largest_tumor_cm": 5})
    assert field == "largest_tumor_cm"
    assert "5" in message and "4" in message


def test_both_disagreements_are_reported_together() -> None:
    fields = {f for f, _ in rejected({"tumors": [{"size_cm": 3}], "tumor_count": 2,
                                       "largest_tumor_cm": 5})}
    assert fields == {"tumor_count", "largest_tumor_cm"}


def test_empty_tumors_list_is_rejected() -> None:
    (field, _), = rejected({"tumors": []})
    assert field == "tumors"


@pytest.mark.parametrize("given", [[3], [{"diameter": 3}], "3 cm", [{"size_cm": 3, "site": "x"}]])
def test_malformed_tumors_are_rejected(given: Any) -> None:
    fields = [f for f, _ in rejected({"tumors": given})]
    assert all(f.startswith("tumors") for f in fields)


# --- plausibility bounds ---------------------------------------------------------------------

# (field, lowest accepted, just below it, highest accepted, just above it)
BOUNDS = [
    ("largest_tumor_cm", 0.01, 0, 30, 30.01),
    ("tumor_count", 1, 0, 50, 51),
    ("bilirubin", 0, -0.01, 60, 60.01),
    ("albumin", 0.5, 0.49, 7, 7.01),
    ("inr", 0.5, 0.49, 15, 15.01),
    ("ecog", 0, -1, 4, 5),
]


@pytest.mark.parametrize(("field", "low", "below", "high", "above"), BOUNDS)
def test_bounds_accept_their_edges(field: str, low: float, below: float, high: float,
                                   above: float) -> None:
    assert getattr(parse_patient({field: low}), field) == low
    assert getattr(parse_patient({field: high}), field) == high


@pytest.mark.parametrize(("field", "low", "below", "high", "above"), BOUNDS)
def test_bounds_reject_just_beyond_and_name_the_range(field: str, low: float, below: float,
                                                      high: float, above: float) -> None:
    spec = FIELD_BY_NAME[field]
    for value in (below, above):
        (err_field, message), = rejected({field: value})
        assert err_field == field
        assert spec.accepted in message
        assert f"{spec.maximum:g}" in message and f"{spec.minimum:g}" in message


def test_range_wording_for_sizes_and_labs() -> None:
    assert FIELD_BY_NAME["largest_tumor_cm"].accepted == \
        "a number greater than 0 and at most 30 cm"
    assert FIELD_BY_NAME["bilirubin"].accepted == "a number at least 0 and at most 60 mg/dL"
    assert FIELD_BY_NAME["albumin"].accepted == "a number at least 0.5 and at most 7 g/dL"


@pytest.mark.parametrize(("size", "ok"), [(0.01, True), (30, True), (0, False), (-1, False),
                                          (30.01, False)])
def test_each_tumor_size_is_bounded(size: float, ok: bool) -> None:
    data = {"tumors": [{"size_cm": 2}, {"size_cm": size}]}
    if ok:
        assert parse_patient(data).tumor_count == 2
    else:
        (field, message), = rejected(data)
        assert field == "tumors.1.size_cm"
        assert "greater than 0 and at most 30 cm" in message


@pytest.mark.parametrize(("given", "accepted"), [
    ("1026 umol/L", True),     # 60.0 mg/dL
    ("1026.2 umol/L", False),  # just above 60 mg/dL
    ("5 g/L", True),           # 0.5 g/dL
    ("4.9 g/L", False),
    ("70 g/L", True),
    ("70.1 g/L", False),
])
def test_bounds_apply_after_unit_conversion(given: str, accepted: bool) -> None:
    field = "bilirubin" if "mol" in given else "albumin"
    if accepted:
        assert getattr(parse_patient({field: given}), field) is not None
    else:
        (err_field, message), = rejected({field: given})
        assert err_field == field
        assert FIELD_BY_NAME[field].accepted in message


def test_fractional_tumor_count_is_rejected() -> None:
    (field, message), = rejected({"tumor_count": 2.5})
    assert field == "tumor_count"
    assert "at least 1 and at most 50" in message


def test_every_bad_field_is_reported_at_once() -> None:
    fields = {f for f, _ in rejected({"bilirubin": 61, "albumin": 0.1, "inr": 16, "ecog": 7,
                                      "ascites": "lots"})}
    assert fields == {"bilirubin", "albumin", "inr", "ecog", "ascites"}


# --- unknown keys and non-objects ------------------------------------------------------------


def test_unknown_key_is_rejected_with_the_known_keys() -> None:
    (field, message), = rejected({"bilirubin": 1.0, "bilirubn": 1.0})
    assert field == "bilirubn"
    for key in PATIENT_KEYS:
        assert key in message


def test_misspelt_size_inside_a_tumor_is_rejected() -> None:
    fields = [f for f, _ in rejected({"tumors": [{"size_cm": 2, "size_mm": 20}]})]
    assert fields == ["tumors.0.size_mm"]


@pytest.mark.parametrize("data", [None, [], "bilirubin 2", 3])
def test_a_patient_must_be_an_object(data: Any) -> None:
    (field, message), = rejected(data)
    assert field == "patient"
    assert "object" in message


# --- contradictions and implications ----------------------------------------------------------


def test_major_vein_with_vascular_invasion_false_is_a_contradiction() -> None:
    (field, message), = rejected({"major_vascular_invasion": True, "vascular_invasion": False})
    assert field == "vascular_invasion"
    assert "major_vascular_invasion" in message


@pytest.mark.parametrize("vascular", [None, True])
def test_major_vein_implies_vascular_invasion(vascular: bool | None) -> None:
    data: dict[str, Any] = {"major_vascular_invasion": True}
    if vascular is not None:
        data["vascular_invasion"] = vascular
    assert parse_patient(data).facts()["vascular_invasion"] is True


@pytest.mark.parametrize("count", [1, 2, 3])
def test_spread_throughout_liver_contradicts_three_or_fewer_tumors(count: int) -> None:
    (field, message), = rejected({"spread_throughout_liver": True, "tumor_count": count})
    assert field == "spread_throughout_liver"
    assert str(count) in message and "more than 3" in message


def test_spread_throughout_liver_contradicts_a_short_tumors_list() -> None:
    (field, _), = rejected({"spread_throughout_liver": True,
                            "tumors": [{"size_cm": 1}, {"size_cm": 2}]})
    assert field == "spread_throughout_liver"


@pytest.mark.parametrize("count", [None, 4, 50])
def test_spread_throughout_liver_with_many_or_unknown_tumors_is_accepted(count: int | None) -> None:
    data: dict[str, Any] = {"spread_throughout_liver": True}
    if count is not None:
        data["tumor_count"] = count
    assert parse_patient(data).tumor_count == count


# --- defaults and unknowns ---------------------------------------------------------------------


def test_empty_patient_has_every_fact_unknown_and_every_qualifier_defaulted() -> None:
    facts = parse_patient({}).facts()
    assert set(facts) == {spec.name for spec in FIELDS}
    for name in FACTS:
        assert facts[name] is None, name
    for name in QUALIFIERS:
        assert facts[name] is FIELD_BY_NAME[name].default, name


def test_qualifier_defaults_are_documented_values() -> None:
    defaults = {name: FIELD_BY_NAME[name].default for name in QUALIFIERS}
    assert defaults == {
        "adjacent_organ_invasion": False,
        "spread_throughout_liver": False, "hard_to_remove_location": False,
        "near_major_structures": False, "recurrent": False, "wants_treatment": True,
        "ecog_due_to_other_illness": False, "dialysis": False,
    }


def test_a_major_vein_is_a_fact_unknown_unless_given() -> None:
    """DESIGN.md: a major vein involved is a fact; only "no vascular invasion" rules it out."""
    assert parse_patient({}).facts()["major_vascular_invasion"] is None
    assert parse_patient({"vascular_invasion": True}).facts()["major_vascular_invasion"] is None
    assert derive_one(vascular_invasion=False)["major_vascular_invasion"] is False
    assert derive_one(vascular_invasion=True)["major_vascular_invasion"] is None
    assert derive_one(major_vascular_invasion=True)["vascular_invasion"] is True


def test_facts_left_out_stay_unknown_next_to_given_ones() -> None:
    facts = parse_patient({"bilirubin": 1.2, "vascular_invasion": False}).facts()
    assert facts["bilirubin"] == 1.2
    assert facts["vascular_invasion"] is False
    for name in set(FACTS) - {"bilirubin", "vascular_invasion"}:
        assert facts[name] is None, name


def test_explicit_null_fact_is_unknown() -> None:
    assert parse_patient({"bilirubin": None, "ascites": None}).facts()["bilirubin"] is None


def test_qualifier_can_be_stated() -> None:
    facts = parse_patient({"wants_treatment": False, "recurrent": True}).facts()
    assert facts["wants_treatment"] is False
    assert facts["recurrent"] is True


def test_patient_is_immutable() -> None:
    patient = parse_patient({"bilirubin": 1.0})
    with pytest.raises(ValidationError):
        patient.bilirubin = 5.0  # type: ignore[misc]
