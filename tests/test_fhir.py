"""FHIR R4 bundles mapped to the vocabulary: every mapping, units, time, gaps, bad bundles.

Fixtures in tests/fhir/*.json are R4 JSON as an EHR or an mCODE feed sends it.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from livertx.engine import assess
from livertx.errors import FhirError
from livertx.fhir import bundle_to_patient

FIXTURES = Path(__file__).parent / "fhir"
LOINC, SCT, AJCC = "http://loinc.org", "http://snomed.info/sct", "http://cancerstaging.org"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind,
            "entry": [{"resource": r} for r in ({"resourceType": "Patient", "id": "p"}, *resources)]}


def obs(oid: str, system: str, code: str, *, when: str = "2024-06-01", **value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": when,
            "code": {"coding": [{"system": system, "code": code}]}, **value}


def concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}


# --- the fixture bundles ---------------------------------------------------------------------

def test_si_units_are_converted_and_the_latest_lab_wins() -> None:
    mapped = bundle_to_patient(load("early-si-units"))
    p = mapped.patient
    assert p["bilirubin"] == pytest.approx(15 / 17.1, abs=1e-4)  # 15 umol/L, not the older 40
    assert p["albumin"] == pytest.approx(3.9)  # 39 g/L
    assert p["inr"] == pytest.approx(1.1)
    assert mapped.provenance["bilirubin"]["resource"] == "Observation/bili-new"
    assert mapped.provenance["bilirubin"]["code"] == f"{LOINC}|14631-6"
    assert mapped.provenance["bilirubin"]["value"] == "15 umol/L"
    assert "more recent" in mapped.ignored["Observation/bili-old"]


def test_mcode_snomed_staging_size_and_findings() -> None:
    mapped = bundle_to_patient(load("early-si-units"))
    p = mapped.patient
    assert p["largest_tumor_cm"] == pytest.approx(2.5)  # 25 mm, longest-dimension component
    assert p["lymph_node_spread"] is False  # SNOMED value 1229967007 (cN0)
    assert p["distant_spread"] is False  # AJCC cM0
    assert p["tumor_count"] == 1 and p["vascular_invasion"] is False  # cT1b
    assert p["cirrhosis"] is True  # ICD-10-CM K74.60
    assert p["ascites"] == "none"  # refuted Condition
    assert p["encephalopathy"] == "none"  # finding Observation valued Absent
    assert p["ecog"] == 0
    assert mapped.has_hcc and mapped.hcc == "Condition/hcc"
    result = assess(p)
    assert result["derived"]["child_pugh"]["class"] == "A"
    assert result["derived"]["tnm"]["stage"] == "IB"
    # fitness for surgery is never in the record: the category stays open, not guessed
    assert result["category"]["id"] is None
    assert "fit_for_surgery" in result["missing"]


def test_loinc_staging_pathological_wins_and_largest_recent_tumour() -> None:
    mapped = bundle_to_patient(load("advanced-loinc-searchset"))
    p = mapped.patient
    assert p["lymph_node_spread"] is False  # pN0 over cN1 of the same date
    assert mapped.provenance["lymph_node_spread"]["resource"] == "Observation/pn-path"
    assert "pathological" in mapped.ignored["Observation/cn-clin"]
    assert p["distant_spread"] is True  # LOINC 21907-1 = cM1
    assert p["largest_tumor_cm"] == 6.0  # 8 cm was earlier; 3 cm is the smaller of that day
    assert "tumor_count" not in p  # how many were measured is not how many there are
    assert p["ascites"] == "slight"  # severity mild
    assert p["albumin"] == pytest.approx(3.3)  # 61151-7 in g/L
    assert "cT3" in mapped.ignored["Observation/ct"]
    assert "not one of those livertx reads" in mapped.ignored["MedicationStatement/med"]
    result = assess(p)
    assert result["category"]["id"] == "advanced"
    assert (result["derived"]["child_pugh"]["class"], result["derived"]["child_pugh"]["score"]) == ("B", 7)


def test_transaction_bundle_and_stage_group_fill_spread() -> None:
    mapped = bundle_to_patient(load("unresectable-transaction"))
    assert mapped.patient["lymph_node_spread"] is False and mapped.patient["distant_spread"] is False
    assert mapped.provenance["distant_spread"]["value"] == "II"
    assert mapped.patient["cirrhosis"] is True  # ICD-10-CM K70.30 alcoholic cirrhosis
    assert mapped.patient["afp"] == 420  # LOINC 1834-1, ng/mL (read since the bclc-2022 pack)
    assert mapped.provenance["afp"]["resource"] == "Observation/afp"
    for unknown in ("bilirubin", "albumin", "inr", "tumor_count", "ecog"):
        assert unknown not in mapped.patient


def test_missing_data_stays_unknown_with_reasons() -> None:
    mapped = bundle_to_patient(load("missing-data"))
    assert mapped.patient == {"recurrent": True}  # HCC clinicalStatus recurrence
    assert "severity" in mapped.ignored["Condition/ascites-nosev"]
    assert "provisional" in mapped.ignored["Condition/cirrhosis-maybe"]
    assert "haemolysed" in mapped.ignored["Observation/bili-absent"]
    assert "cancelled" in mapped.ignored["Observation/inr-cancelled"]
    result = assess(mapped.patient)
    assert result["category"]["id"] == "recurrent"
    assert result["derived"]["child_pugh"]["class"] is None


def test_no_liver_cancer_condition() -> None:
    mapped = bundle_to_patient(load("no-liver-cancer"))
    assert not mapped.has_hcc
    assert mapped.ignored["Condition/hcc-error"] == "entered in error"


def test_report_is_json() -> None:
    report = bundle_to_patient(load("advanced-loinc-searchset")).report()
    assert json.loads(json.dumps(report)) == report
    assert set(report) >= {"patient", "provenance", "ignored", "has_hcc"}


# --- rejected bundles --------------------------------------------------------------------------

def test_unknown_unit_names_resource_and_unit() -> None:
    with pytest.raises(FhirError, match=r"Observation/bili-meq.*'mEq/L'.*umol/L"):
        bundle_to_patient(load("bad-unit"))


def test_unknown_unit_lenient_mode_leaves_value_unknown() -> None:
    mapped = bundle_to_patient(load("bad-unit"), strict=False)
    assert "bilirubin" not in mapped.patient
    assert "mEq/L" in mapped.ignored["Observation/bili-meq"]


def test_impossible_value_names_resource_and_field() -> None:
    with pytest.raises(FhirError, match=r"Observation/alb-huge: albumin.*at most 7"):
        bundle_to_patient(load("out-of-range"))


@pytest.mark.parametrize("data, message", [
    ({"resourceType": "Patient", "id": "x"}, "expected 'Bundle'"),
    ([1, 2], "expected a JSON object"),
    ({"resourceType": "Bundle", "type": "document", "entry": []}, "'document' is not accepted"),
    ({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Nonsense"}}]},
     "Nonsense"),
    (bundle({"resourceType": "Patient", "id": "q"}), "more than one Patient"),
])
def test_unusable_bundles_are_rejected_clearly(data: Any, message: str) -> None:
    with pytest.raises(FhirError, match=message):
        bundle_to_patient(data)


def test_malformed_bundle_names_the_bad_element() -> None:
    with pytest.raises(FhirError, match=r"entry\[0\]\.resource\.code"):
        bundle_to_patient(load("malformed"))


@pytest.mark.parametrize("name, words", [("malformed", "not a valid FHIR R4 Bundle"),
                                         ("bad-unit", "mEq/L")])
def test_cli_rejects_bad_bundles_with_exit_2_and_no_traceback(name: str, words: str) -> None:
    run = subprocess.run([sys.executable, "-m", "livertx", "assess", "--fhir",
                          str(FIXTURES / f"{name}.json"), "--format", "json"],
                         check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert words in run.stderr and "Traceback" not in run.stderr


def test_cli_assesses_a_bundle_with_provenance() -> None:
    run = subprocess.run([sys.executable, "-m", "livertx", "assess", "--fhir",
                          str(FIXTURES / "advanced-loinc-searchset.json"), "--format", "json"],
                         check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["category"]["id"] == "advanced"
    assert out["fhir"]["provenance"]["distant_spread"]["resource"] == "Observation/cm"


# --- single mappings -----------------------------------------------------------------------------

@pytest.mark.parametrize("code, value, unit, field, expected", [
    ("1975-2", 2.5, "mg/dL", "bilirubin", 2.5),
    ("1975-2", 25, "mg/L", "bilirubin", 2.5),
    ("14631-6", 51.3, "umol/L", "bilirubin", 3.0),
    ("1751-7", 3.4, "g/dL", "albumin", 3.4),
    ("2862-1", 28, "g/L", "albumin", 2.8),
    ("46418-0", 1.8, "{INR}", "inr", 1.8),
    ("6301-6", 2.4, "1", "inr", 2.4),
])
def test_lab_codes_and_units(code: str, value: float, unit: str, field: str, expected: float) -> None:
    mapped = bundle_to_patient(bundle(obs("o", LOINC, code, valueQuantity=quantity(value, unit))))
    assert mapped.patient == {field: pytest.approx(expected)}


def test_several_values_over_time_pick_the_latest_whatever_the_order() -> None:
    labs = [obs("a", LOINC, "6301-6", when="2024-06-03T09:00:00Z", valueQuantity=quantity(1.9, "{INR}")),
            obs("b", LOINC, "34714-6", when="2024-06-03T10:00:00+02:00", valueQuantity=quantity(1.2, "{INR}")),
            obs("c", LOINC, "6301-6", when="2023-12", valueQuantity=quantity(2.9, "{INR}"))]
    for order in (labs, labs[::-1]):
        mapped = bundle_to_patient(bundle(*order))
        assert mapped.patient["inr"] == pytest.approx(1.9)  # 09:00Z is after 10:00+02:00 (08:00Z)
        assert set(mapped.ignored) >= {"Observation/b", "Observation/c"}


def test_lab_given_as_a_bound_is_not_a_value() -> None:
    q = {**quantity(0.3, "mg/dL"), "comparator": "<"}
    mapped = bundle_to_patient(bundle(obs("o", LOINC, "1975-2", valueQuantity=q)))
    assert mapped.patient == {} and "bound" in mapped.ignored["Observation/o"]


@pytest.mark.parametrize("value, expected", [
    ({"valueInteger": 2}, 2),
    ({"valueCodeableConcept": concept(LOINC, "LA9623-5")}, 1),
])
def test_ecog(value: dict[str, Any], expected: int) -> None:
    assert bundle_to_patient(bundle(obs("e", LOINC, "89247-1", **value))).patient == {"ecog": expected}


def test_ecog_5_is_not_used() -> None:
    mapped = bundle_to_patient(bundle(obs("e", LOINC, "89247-1", valueInteger=5)))
    assert mapped.patient == {} and "grade 5" in mapped.ignored["Observation/e"]


@pytest.mark.parametrize("code, value, expected", [
    ((SCT, "399534004"), (AJCC, "cN1"), {"lymph_node_spread": True}),
    ((SCT, "371494008"), (SCT, "1229951001"), {"lymph_node_spread": True}),  # pN / pN1
    ((LOINC, "21900-6"), (AJCC, "N0"), {"lymph_node_spread": False}),
    ((SCT, "371497001"), (SCT, "1229916009"), {"distant_spread": True}),  # pM / pM1
    ((LOINC, "21901-4"), (AJCC, "pM1"), {"distant_spread": True}),
    ((SCT, "399387003"), (SCT, "1229901006"), {"distant_spread": False}),  # cM / cM0
    ((SCT, "399537006"), (AJCC, "IVA"), {"lymph_node_spread": True, "distant_spread": False}),
    ((SCT, "399588009"), (AJCC, "IVB"), {"distant_spread": True}),
    ((LOINC, "21902-2"), (AJCC, "3B"), {"lymph_node_spread": False, "distant_spread": False}),
    ((SCT, "384625004"), (AJCC, "pT1a"), {"tumor_count": 1}),
    ((LOINC, "21899-0"), (AJCC, "pT1b"), {"tumor_count": 1, "vascular_invasion": False}),
])
def test_tnm_codings(code: tuple[str, str], value: tuple[str, str], expected: dict[str, Any]) -> None:
    mapped = bundle_to_patient(bundle(obs("s", *code, valueCodeableConcept=concept(*value))))
    assert mapped.patient == expected


@pytest.mark.parametrize("value", ["cNX", "cT4", "cT2"])
def test_tnm_values_that_fix_nothing_are_ignored_with_a_reason(value: str) -> None:
    code = "399534004" if "N" in value else "399504009"
    mapped = bundle_to_patient(bundle(obs("s", SCT, code, valueCodeableConcept=concept(AJCC, value))))
    assert mapped.patient == {} and mapped.ignored["Observation/s"]


def test_category_beats_a_contradicting_stage_group() -> None:
    mapped = bundle_to_patient(bundle(
        obs("n", LOINC, "21906-3", valueCodeableConcept=concept(AJCC, "cN0")),
        obs("g", LOINC, "21908-9", valueCodeableConcept=concept(AJCC, "IVA"))))
    assert mapped.patient["lymph_node_spread"] is False
    assert mapped.patient["distant_spread"] is False
    assert "cN0" not in mapped.ignored.get("Observation/n", "")
    assert "lymph_node_spread" in mapped.ignored["Observation/g"]


def _condition(cid: str, system: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p"},
            "code": concept(system, code), **extra}


@pytest.mark.parametrize("condition, expected", [
    (_condition("c", SCT, "19943007"), {"cirrhosis": True}),
    (_condition("c", "http://hl7.org/fhir/sid/icd-10", "K74.6"), {"cirrhosis": True}),
    (_condition("c", SCT, "389026000", severity=concept(SCT, "24484000")), {"ascites": "severe"}),
    (_condition("c", "http://hl7.org/fhir/sid/icd-10-cm", "R18.8", severity=concept(SCT, "6736007")),
     {"ascites": "moderate"}),
    (_condition("c", SCT, "13920009", severity=concept(SCT, "255604002")), {"encephalopathy": "grade_1_2"}),
    (_condition("c", "http://hl7.org/fhir/sid/icd-10-cm", "K76.82", severity=concept(SCT, "24484000")),
     {"encephalopathy": "grade_3_4"}),
    (_condition("c", SCT, "19943007", verificationStatus=concept(
        "http://terminology.hl7.org/CodeSystem/condition-ver-status", "refuted")), {"cirrhosis": False}),
])
def test_liver_conditions(condition: dict[str, Any], expected: dict[str, Any]) -> None:
    assert bundle_to_patient(bundle(condition)).patient == expected


def test_hcc_by_icd10_and_resolved_hcc_does_not_count() -> None:
    active = _condition("h", "http://hl7.org/fhir/sid/icd-10-cm", "C22.0")
    assert bundle_to_patient(bundle(active)).has_hcc
    resolved = {**active, "clinicalStatus": concept(
        "http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved")}
    mapped = bundle_to_patient(bundle(resolved))
    assert not mapped.has_hcc and "resolved" in mapped.ignored["Condition/h"]
    other = _condition("h", "http://hl7.org/fhir/sid/icd-10-cm", "C22.1")  # bile duct cancer
    assert not bundle_to_patient(bundle(other)).has_hcc


def test_resources_about_another_patient_are_ignored() -> None:
    lab = obs("o", LOINC, "1975-2", valueQuantity=quantity(9.0, "mg/dL"))
    lab["subject"] = {"reference": "Patient/someone-else"}
    mapped = bundle_to_patient(bundle(lab))
    assert mapped.patient == {} and "another subject" in mapped.ignored["Observation/o"]


def test_searchset_bundles_nested_in_a_collection_are_read() -> None:
    inner = {"resourceType": "Bundle", "type": "searchset",
             "entry": [{"resource": obs("o", LOINC, "1975-2", valueQuantity=quantity(1.1, "mg/dL"))}]}
    outer = copy.deepcopy(bundle())
    outer["entry"].append({"resource": inner})
    assert bundle_to_patient(outer).patient == {"bilirubin": pytest.approx(1.1)}
