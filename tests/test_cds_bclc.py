"""The second CDS Hooks service, `livertx-hcc-bclc`: discovery, its stage card, its link,
its auth, and that its answers never mix with the 2017 service's.

Real parts: the app over ASGI (TestClient), records as an EHR sends them in prefetch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_cds import (
    LABEL,
    LOINC,
    _cond,
    _obs,
    _qty,
    assert_no_empty_values,
    example,
    hook_request,
    prefetch_for,
    resources_for,
)

from livertx.cds.service import BCLC_SERVICE_ID, PREFETCH, SERVICE_ID
from livertx.web.app import Settings, create_app

BCLC_URL = f"/cds-services/{BCLC_SERVICE_ID}"
ACS_URL = f"/cds-services/{SERVICE_ID}"
BCLC_LABEL = ("livertx (BCLC/ASCO Current guidance (BCLC 2022 staging, ASCO 2024 medicines) "
              "2022-2026, reviewed 2026-12-02)")
# Child-Pugh A, two tumours, spread outside the liver, ECOG 1: BCLC stage C.
STAGE_C = {"largest_tumor_cm": 6, "vascular_invasion": True, "lymph_node_spread": False,
           "distant_spread": True, "cirrhosis": True, "bilirubin": 0.9, "albumin": 4.0,
           "inr": 1.1, "ascites": "none", "encephalopathy": "none", "ecog": 1}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


def medicine_request(mid: str, words: str, *, status: str = "active") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": "order",
            "subject": {"reference": "Patient/p1"}, "authoredOn": "2024-05-02",
            "medicationCodeableConcept": {"text": words}}


def prefetch(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The test_cds prefetch, with the medicine records under their own keys."""
    medicines = [r for r in resources if r["resourceType"] == "MedicationRequest"]
    out = prefetch_for([r for r in resources if r not in medicines])
    out["medicationRequests"] = ({"resourceType": "Bundle", "type": "searchset",
                                  "entry": [{"resource": r} for r in medicines]}
                                 if medicines else None)
    return out


def cards(client: TestClient, resources: list[dict[str, Any]],
          url: str = BCLC_URL) -> list[dict[str, Any]]:
    response = client.post(url, json=hook_request(prefetch(resources)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert_no_empty_values(body)
    for card in body["cards"]:
        assert len(card["summary"]) < 140
    return list(body["cards"])


# --- discovery ---------------------------------------------------------------------------------

def test_discovery_lists_both_services_on_the_same_hook_and_prefetch(client: TestClient) -> None:
    services = {s["id"]: s for s in client.get("/cds-services").json()["services"]}
    assert set(services) == {SERVICE_ID, BCLC_SERVICE_ID}
    acs, bclc = services[SERVICE_ID], services[BCLC_SERVICE_ID]
    assert acs["hook"] == bclc["hook"] == "patient-view"
    assert acs["prefetch"] == bclc["prefetch"] == PREFETCH
    assert "BCLC stage" in bclc["description"] and "American Cancer Society" in acs["description"]
    for key, code in (("afp", "1834-1"), ("creatinine", "14682-9"), ("sodium", "2951-2"),
                      ("liverFindings", "34742003"), ("liverFindings", "28670008")):
        assert code in bclc["prefetch"][key]
    assert bclc["prefetch"]["medicationStatements"].startswith("MedicationStatement?patient=")


# --- the stage card ------------------------------------------------------------------------------

def test_stage_c_card_names_the_stage_and_the_ongoing_first_option(client: TestClient) -> None:
    resources = resources_for(STAGE_C) + [medicine_request("atezo", "atezolizumab 1200 mg IV"),
                                          medicine_request("bev", "Avastin 15 mg/kg IV")]
    summary, *rest = cards(client, resources)
    assert summary["summary"] == ("HCC, BCLC stage C (advanced); first options: Atezolizumab "
                                  "with bevacizumab")
    assert summary["source"]["label"] == BCLC_LABEL
    assert summary["source"]["url"].endswith("/about?guideline=bclc-2022")
    detail = summary["detail"]
    assert "**BCLC stage:** BCLC stage C (advanced)" in detail
    assert "Child-Pugh A (5)" in detail and "ALBI grade" in detail
    assert "not medical advice" in detail  # the educational-not-advice line
    assert "BCLC 2022 (J Hepatol 2022;76:681-693)" in detail  # the sources with their dates
    link = rest[-1]["links"][0]["url"]
    assert f"{BCLC_URL}/result/" in link and link.endswith("?guideline=bclc-2022")


def test_stage_c_without_medicine_history_says_what_decides_the_first_options(
        client: TestClient) -> None:
    summary, *_ = cards(client, resources_for(STAGE_C))
    assert summary["summary"].startswith("HCC, BCLC stage C (advanced); first options depend on "
                                         "Most recent cancer medicine")
    assert "Atezolizumab with bevacizumab (needs Most recent cancer medicine" in summary["detail"]


def test_stage_a_card_and_what_is_missing(client: TestClient) -> None:
    resources = resources_for(example("early")) + [_cond("ph", "34742003", refuted=True)]
    summary, missing, _ = cards(client, resources)
    assert summary["summary"].startswith("HCC, BCLC stage A (early)")
    assert "Healthy enough for a major operation" in summary["summary"]  # never in a record
    assert missing["indicator"] == "warning"
    assert "Portal hypertension (Condition/ph)" in missing["detail"]  # what the record gave


def test_varices_in_the_record_reach_the_stage_a_answer(client: TestClient) -> None:
    early = resources_for(example("early"))
    without = cards(client, early + [_cond("ph", "34742003", refuted=True)])[1]["detail"]
    with_varices = cards(client, early + [_cond("v", "28670008")])[1]["detail"]
    assert "Portal hypertension (Condition/ph)" in without
    assert "Portal hypertension (Condition/v)" in with_varices


def test_open_stage_names_the_missing_input(client: TestClient) -> None:
    open_c = {k: v for k, v in STAGE_C.items() if k != "ecog"}
    summary, missing, _ = cards(client, resources_for(open_c))
    assert summary["summary"].startswith("HCC, BCLC stage not settled (")
    assert summary["summary"].split(": depends on ")[1].startswith("ECOG performance status")
    assert "- settles with: ECOG performance status" in summary["detail"]
    assert "ECOG performance status" in missing["summary"]


def test_labs_for_meld_na_and_afp_from_the_record(client: TestClient) -> None:
    resources = resources_for(STAGE_C) + [
        _obs("cr", LOINC, "14682-9", **_qty(88.4, "umol/L")),
        _obs("na", LOINC, "2951-2", **_qty(134, "mmol/L")),
        _obs("afp", LOINC, "1834-1", **_qty(512, "ng/mL"))]
    summary, missing, _ = cards(client, resources)
    assert "ALBI grade 1; MELD-Na 7." in summary["detail"]  # creatinine 88.4 umol/L = 1 mg/dL
    for used in ("AFP (alpha-fetoprotein) (Observation/afp)", "Creatinine (Observation/cr)",
                 "Sodium (Observation/na)"):
        assert used in missing["detail"]


def test_no_liver_cancer_no_cards(client: TestClient) -> None:
    assert cards(client, resources_for(STAGE_C, hcc=False)) == []


# --- caches and links ----------------------------------------------------------------------------

def test_the_two_services_never_serve_each_others_answer() -> None:
    app = create_app(Settings())
    record = resources_for(STAGE_C)
    with TestClient(app) as c:
        acs_first = cards(c, record, ACS_URL)[0]
        bclc = cards(c, record, BCLC_URL)[0]
        acs_again = cards(c, record, ACS_URL)[0]
        bclc_again = cards(c, record, BCLC_URL)[0]
    assert acs_first["source"]["label"] == acs_again["source"]["label"] == LABEL
    assert bclc["source"]["label"] == bclc_again["source"]["label"] == BCLC_LABEL
    assert "BCLC stage" not in acs_again["summary"]
    assert bclc_again["summary"].startswith("HCC, BCLC stage C")
    assert acs_first["summary"] == acs_again["summary"] and bclc["summary"] == bclc_again["summary"]
    state = app.state.cds
    assert set(state.assessors) == {"acs-2017", "bclc-2022"}  # one result cache per pack id
    assert all(len(a.cache._data) == 1 for a in state.assessors.values())
    assert len(state.mapped) == 1  # the record is read once: mapping reads no pack


def test_bclc_link_opens_the_current_guidance_assessment(client: TestClient) -> None:
    link = cards(client, resources_for(STAGE_C))[-1]["links"][0]["url"]
    path = link.removeprefix("http://testserver")
    response = client.get(path)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["guideline"]["id"] == "bclc-2022" and body["category"]["id"] == "bclc_c"
    token = path.split("/result/")[1].split("?")[0]
    assert client.get(f"{ACS_URL}/result/{token}").json()["guideline"]["id"] == "acs-2017"
    assert client.get(f"{ACS_URL}/result/{token}?guideline=bclc-2022").json()[
        "category"]["id"] == "bclc_c"
    wrong = client.get(f"{BCLC_URL}/result/{token}?guideline=bclc-1999")
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "guideline"


def test_bclc_feedback(client: TestClient) -> None:
    response = client.post(f"{BCLC_URL}/feedback", json={"feedback": [
        {"card": "0c7b5e9a-1b1a-4a2b-9d27-1f6f0e6f8a11", "outcome": "accepted",
         "outcomeTimestamp": "2024-06-01T10:00:00Z"}]})
    assert response.status_code == 200 and response.json() == {}


def test_bclc_service_has_the_same_auth() -> None:
    """With a trusted issuer configured, the bclc service takes a JWT made for its own URL
    and refuses a call without one, or with one made for the 2017 service."""
    from test_cds import EC_KEY, ISS_PEM, _pem, token

    settings = Settings(cds_trusted_issuers={ISS_PEM: _pem(EC_KEY)},
                        public_base_url="http://testserver")
    body = hook_request(prefetch(resources_for(STAGE_C)))
    with TestClient(create_app(settings)) as c:
        def post(bearer: str | None) -> Any:
            return c.post(BCLC_URL, json=body,
                          headers={"Authorization": f"Bearer {bearer}"} if bearer else {})

        accepted = post(token(aud=f"http://testserver{BCLC_URL}"))
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["cards"][0]["summary"].startswith("HCC, BCLC stage C")
        for bearer in (None, token(aud=f"http://testserver{ACS_URL}")):
            refused = post(bearer)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"].startswith("Bearer")
