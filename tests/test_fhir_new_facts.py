"""FHIR mapping of the facts current guidance needs: AFP, creatinine, sodium, portal
hypertension and varices, and the medicine history (prior_systemic and its outcome).

Each test maps a real R4 bundle and checks the field, its unit, and what the mapping
reports it used or ignored; unknown stays unknown.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_fhir import LOINC, SCT, bundle, concept, obs, quantity

from livertx.engine import assess
from livertx.fhir import bundle_to_patient
from livertx.knowledge.pack import load_guideline

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


# --- labs ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "value", "unit", "field", "expected"), [
    ("1834-1", 420, "ng/mL", "afp", 420.0),
    ("1834-1", 15, "ug/L", "afp", 15.0),
    ("53962-7", 8.5, "ng/mL", "afp", 8.5),
    ("2160-0", 1.3, "mg/dL", "creatinine", 1.3),
    ("14682-9", 88.4, "umol/L", "creatinine", 1.0),
    ("14682-9", 150, "µmol/L", "creatinine", round(150 / 88.4, 4)),
    ("2951-2", 131, "mmol/L", "sodium", 131.0),
    ("2947-0", 128, "meq/L", "sodium", 128.0),
])
def test_new_labs_map_to_their_field_and_unit(code: str, value: float, unit: str, field: str,
                                              expected: float) -> None:
    mapped = bundle_to_patient(bundle(obs("lab", LOINC, code, valueQuantity=quantity(value, unit))))
    assert mapped.patient == {field: pytest.approx(expected)}
    assert mapped.provenance[field] == {"resource": "Observation/lab", "code": f"{LOINC}|{code}",
                                        "value": f"{value} {unit}", "effective": "2024-06-01"}


def test_creatinine_and_sodium_reach_meld_na() -> None:
    mapped = bundle_to_patient(bundle(
        obs("cr", LOINC, "14682-9", valueQuantity=quantity(176.8, "umol/L")),
        obs("na", LOINC, "2951-2", valueQuantity=quantity(130, "mmol/L")),
        obs("bili", LOINC, "1975-2", valueQuantity=quantity(2, "mg/dL")),
        obs("inr", LOINC, "6301-6", valueQuantity=quantity(1.5, "{INR}"))))
    assert mapped.patient["creatinine"] == pytest.approx(2.0)
    result = assess(mapped.valid_patient(), load_guideline("bclc-2022"))
    assert result["derived"]["meld_na"] is not None


def test_afp_in_international_units_is_reported_not_converted() -> None:
    mapped = bundle_to_patient(bundle(obs("afp", LOINC, "19176-7",
                                          valueQuantity=quantity(350, "[IU]/mL"))))
    assert "afp" not in mapped.patient
    assert "international units" in mapped.ignored["Observation/afp"]
    assert "1834-1" in mapped.ignored["Observation/afp"]


def test_afp_in_an_unknown_unit_names_the_accepted_units() -> None:
    mapped = bundle_to_patient(bundle(obs("afp", LOINC, "1834-1",
                                          valueQuantity=quantity(3, "mg/dL"))), strict=False)
    assert "afp" not in mapped.patient
    assert "ng/mL" in mapped.ignored["Observation/afp"]


def test_a_future_dated_afp_stays_unknown() -> None:
    mapped = bundle_to_patient(bundle(obs("afp", LOINC, "1834-1", when="2999-01-01",
                                          valueQuantity=quantity(500, "ng/mL"))))
    assert "afp" not in mapped.patient
    assert "in the future" in mapped.ignored["Observation/afp"]


def test_conflicting_sodium_values_of_the_same_time_stay_unknown() -> None:
    mapped = bundle_to_patient(bundle(
        obs("na1", LOINC, "2951-2", valueQuantity=quantity(131, "mmol/L")),
        obs("na2", LOINC, "2947-0", valueQuantity=quantity(138, "mmol/L"))))
    assert "sodium" not in mapped.patient
    assert "conflicting" in mapped.ignored["Observation/na1"]
    assert "conflicting" in mapped.ignored["Observation/na2"]


def test_an_older_creatinine_gives_way_to_the_latest() -> None:
    mapped = bundle_to_patient(bundle(
        obs("old", LOINC, "2160-0", when="2024-01-01", valueQuantity=quantity(2.4, "mg/dL")),
        obs("new", LOINC, "2160-0", when="2024-05-01", valueQuantity=quantity(1.1, "mg/dL"))))
    assert mapped.patient["creatinine"] == pytest.approx(1.1)
    assert "more recent" in mapped.ignored["Observation/old"]


# --- portal hypertension and varices ---------------------------------------------------------

def condition(cid: str, system: str, code: str, *, refuted: bool = False,
              when: str = "2024-05-01") -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Condition", "id": cid,
                           "subject": {"reference": "Patient/p"}, "recordedDate": when,
                           "code": concept(system, code)}
    if refuted:
        out["verificationStatus"] = concept(VERIFICATION, "refuted")
    return out


@pytest.mark.parametrize(("resource", "expected"), [
    (condition("ph", SCT, "34742003"), True),
    (condition("ph", ICD10, "K76.6"), True),
    (condition("ph", SCT, "34742003", refuted=True), False),
    (condition("ph", SCT, "28670008"), True),        # oesophageal varices
    (condition("ph", ICD10, "I85.00"), True),        # oesophageal varices, ICD-10-CM sub-code
    (condition("ph", ICD10, "I86.4"), True),         # gastric varices
])
def test_portal_hypertension_and_varices(resource: dict[str, Any], expected: bool) -> None:
    mapped = bundle_to_patient(bundle(resource))
    assert mapped.patient == {"portal_hypertension": expected}
    assert mapped.provenance["portal_hypertension"]["resource"] == "Condition/ph"


def test_no_varices_does_not_mean_no_portal_hypertension() -> None:
    mapped = bundle_to_patient(bundle(condition("v", SCT, "28670008", refuted=True)))
    assert "portal_hypertension" not in mapped.patient
    assert "does not rule out portal hypertension" in mapped.ignored["Condition/v"]


def test_varices_and_refuted_portal_hypertension_of_the_same_day_conflict() -> None:
    mapped = bundle_to_patient(bundle(condition("v", SCT, "28670008"),
                                      condition("ph", SCT, "34742003", refuted=True)))
    assert "portal_hypertension" not in mapped.patient
    assert "conflicting" in mapped.ignored["Condition/v"]


def test_varices_as_a_finding_observation() -> None:
    mapped = bundle_to_patient(bundle(obs("v", SCT, "28670008",
                                          valueCodeableConcept=concept(SCT, "52101004"))))
    assert mapped.patient == {"portal_hypertension": True}


# --- medicine history ------------------------------------------------------------------------

def statement(mid: str, medication: dict[str, Any], *, status: str = "completed",
              start: str = "2024-01-10", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "id": mid, "status": status,
            "subject": {"reference": "Patient/p"}, "effectivePeriod": {"start": start},
            "medicationCodeableConcept": medication, **extra}


def request(mid: str, medication: dict[str, Any], *, status: str = "active",
            authored: str = "2024-01-10", intent: str = "order") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": intent,
            "subject": {"reference": "Patient/p"}, "authoredOn": authored,
            "medicationCodeableConcept": medication}


def rx(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": RXNORM, "code": code, "display": display}]}


def text(words: str) -> dict[str, Any]:
    return {"text": words}


def test_sorafenib_by_rxnorm_active_is_ongoing() -> None:
    mapped = bundle_to_patient(bundle(statement("s", rx("495881", "sorafenib"), status="active")))
    assert mapped.patient["prior_systemic"] == "sorafenib"
    assert mapped.patient["prior_systemic_outcome"] == "ongoing"
    assert mapped.provenance["prior_systemic"]["code"] == f"{RXNORM}|495881"
    assert mapped.provenance["prior_systemic_outcome"]["value"] == "status active"


def test_lenvatinib_by_name_stopped_leaves_the_outcome_unknown() -> None:
    mapped = bundle_to_patient(bundle(statement("l", text("Lenvima 8 mg capsule"),
                                                status="stopped")))
    assert mapped.patient == {"prior_systemic": "lenvatinib"}
    assert "prior_systemic_outcome" not in mapped.patient  # never guessed as progressed
    assert "does not say whether the cancer grew" in mapped.ignored["MedicationStatement/l"]
    assert mapped.provenance["prior_systemic"]["code"].startswith("name: Lenvima")


def test_a_combination_from_two_records_of_the_same_day() -> None:
    mapped = bundle_to_patient(bundle(
        request("a", rx("1792776", "atezolizumab")),
        request("b", text("bevacizumab 15 mg/kg IV"))))
    assert mapped.patient["prior_systemic"] == "atezolizumab_bevacizumab"
    assert mapped.patient["prior_systemic_outcome"] == "ongoing"
    assert set(mapped.provenance["prior_systemic"]["resource"].split(", ")) == {
        "MedicationRequest/a", "MedicationRequest/b"}


def test_a_lone_member_is_completed_by_its_partner_given_at_the_start() -> None:
    """Durvalumab goes on after a single tremelimumab dose: the latest order names only
    durvalumab, and the earlier tremelimumab completes the regimen."""
    mapped = bundle_to_patient(bundle(
        statement("sor", rx("495881", "sorafenib"), start="2023-01-05"),
        request("t", text("tremelimumab 300 mg"), status="completed", authored="2024-02-01"),
        request("d1", text("durvalumab 1500 mg"), status="completed", authored="2024-02-01"),
        request("d2", text("Imfinzi"), authored="2024-06-01")))
    assert mapped.patient["prior_systemic"] == "durvalumab_tremelimumab"
    assert mapped.patient["prior_systemic_outcome"] == "ongoing"
    assert "more recent" in mapped.ignored["MedicationStatement/sor"]


def test_a_lone_member_without_its_partner_stays_unknown() -> None:
    mapped = bundle_to_patient(bundle(request("n", rx("1597876", "nivolumab"))))
    assert "prior_systemic" not in mapped.patient
    assert "combination needs both" in mapped.ignored["MedicationRequest/n"]


def test_a_partner_from_before_another_medicine_does_not_count() -> None:
    """Ipilimumab in 2022, then sorafenib, then nivolumab alone: not nivolumab+ipilimumab."""
    mapped = bundle_to_patient(bundle(
        statement("i", text("ipilimumab"), start="2022-01-01"),
        statement("s", text("sorafenib"), start="2023-01-01"),
        statement("n", text("nivolumab"), start="2024-01-01", status="active")))
    assert "prior_systemic" not in mapped.patient


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_the_most_recent_medicine_wins_whatever_the_order(order: tuple[int, int, int]) -> None:
    records = [statement("s", text("sorafenib"), start="2022-03-01"),
               statement("l", text("lenvatinib"), start="2023-03-01"),
               statement("x", text("Nexavar"), start="2024-03-01", status="active")]
    mapped = bundle_to_patient(bundle(*(records[i] for i in order)))
    assert mapped.patient["prior_systemic"] == "sorafenib"
    assert mapped.provenance["prior_systemic"]["resource"] == "MedicationStatement/x"
    assert "more recent" in mapped.ignored["MedicationStatement/l"]


def test_two_different_medicines_of_the_same_time_stay_unknown() -> None:
    mapped = bundle_to_patient(bundle(statement("s", text("sorafenib")),
                                      statement("l", text("lenvatinib"))))
    assert "prior_systemic" not in mapped.patient


@pytest.mark.parametrize("resource", [
    statement("m", text("sorafenib"), status="entered-in-error"),
    statement("m", text("sorafenib"), status="not-taken"),
    request("m", text("sorafenib"), intent="proposal"),
    request("m", text("sorafenib"), status="cancelled"),
    statement("m", text("metformin 500 mg")),
    statement("m", text("sorafenib"), start="2999-01-01"),
])
def test_records_not_used_are_reported(resource: dict[str, Any]) -> None:
    kind = resource["resourceType"]
    mapped = bundle_to_patient(bundle(resource))
    assert "prior_systemic" not in mapped.patient
    assert f"{kind}/m" in mapped.ignored


def test_a_future_record_does_not_hide_the_current_one() -> None:
    mapped = bundle_to_patient(bundle(
        statement("now", text("lenvatinib"), start="2024-01-01", status="active"),
        statement("later", text("sorafenib"), start="2999-01-01")))
    assert mapped.patient["prior_systemic"] == "lenvatinib"
    assert "in the future" in mapped.ignored["MedicationStatement/later"]


def test_medication_reference_to_a_medication_in_the_bundle() -> None:
    medication = {"resourceType": "Medication", "id": "med1", "code": rx("495881", "sorafenib")}
    record = {"resourceType": "MedicationStatement", "id": "s", "status": "active",
              "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2024-01-01",
              "medicationReference": {"reference": "Medication/med1"}}
    mapped = bundle_to_patient(bundle(medication, record))
    assert mapped.patient["prior_systemic"] == "sorafenib"
    assert "definition" in mapped.ignored["Medication/med1"]


def test_absent_history_stays_unknown_and_shows_in_missing() -> None:
    mapped = bundle_to_patient(bundle(obs("afp", LOINC, "1834-1",
                                          valueQuantity=quantity(12, "ng/mL"))))
    assert "prior_systemic" not in mapped.patient and "portal_hypertension" not in mapped.patient
    assert mapped.patient["afp"] == 12
