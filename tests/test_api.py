"""The JSON API over real HTTP (ASGI through httpx): contract, errors, knowledge, OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from livertx.engine import assess
from livertx.web.app import Settings, create_app

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
FHIR = Path(__file__).parent / "fhir"


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    from fastapi.testclient import TestClient

    with TestClient(create_app(Settings())) as c:
        yield c


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


@pytest.mark.parametrize("name, category", [("early", "potentially_resectable"),
                                            ("advanced", "advanced"),
                                            ("unresectable", "unresectable")])
def test_assess_returns_the_engine_contract(client: httpx.Client, name: str,
                                            category: str) -> None:
    response = client.post("/api/assess", json=example(name))
    assert response.status_code == 200
    body = response.json()
    assert body["category"]["id"] == category
    assert body == json.loads(json.dumps(assess(example(name))))  # same as the library/CLI
    assert body["guideline"]["reviewed"] == "2017-10-03"


def test_unknown_stays_null(client: httpx.Client) -> None:
    body = client.post("/api/assess", json={"tumor_count": 1, "largest_tumor_cm": 3}).json()
    assert body["derived"]["child_pugh"]["class"] is None
    assert body["category"]["id"] is None and body["category"]["candidates"]
    assert "fit_for_surgery" in body["missing"]


@pytest.mark.parametrize("payload, field, words", [
    ({"bilirubin": 500}, "bilirubin", "at most 60"),
    ({"albumin": "3 furlongs"}, "albumin", "unknown unit"),
    ({"ascites": "lots"}, "ascites", "one of none, slight"),
    ({"tumour_count": 2}, "tumour_count", "unknown field"),
    ({"tumors": [{"size_cm": 2}], "tumor_count": 3}, "tumor_count", "tumors lists 1"),
    ([1, 2], "patient", "JSON object"),
])
def test_bad_input_is_422_naming_the_field(client: httpx.Client, payload: Any, field: str,
                                           words: str) -> None:
    response = client.post("/api/assess", json=payload)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(d["field"] == field and words in d["message"] for d in detail), detail


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\xfd", b""])
def test_unreadable_body_is_422(client: httpx.Client, content: bytes) -> None:
    response = client.post("/api/assess", content=content,
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body"


def test_body_size_is_capped(client: httpx.Client) -> None:
    response = client.post("/api/assess", content=b" " * (300 * 1024),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_fhir_bundle_assessed_with_provenance(client: httpx.Client) -> None:
    bundle = json.loads((FHIR / "advanced-loinc-searchset.json").read_text())
    response = client.post("/api/assess/fhir", json=bundle)
    assert response.status_code == 200
    body = response.json()
    assert body["assessment"]["category"]["id"] == "advanced"
    assert body["fhir"]["provenance"]["albumin"] == {
        "resource": "Observation/alb", "code": "http://loinc.org|61151-7", "value": "33 g/L",
        "effective": "2024-03-01"}
    assert body["fhir"]["has_hcc"] is True


@pytest.mark.parametrize("name, field", [("bad-unit", "Observation/bili-meq"),
                                         ("malformed", "bundle")])
def test_bad_bundle_is_422(client: httpx.Client, name: str, field: str) -> None:
    response = client.post("/api/assess/fhir", json=json.loads((FHIR / f"{name}.json").read_text()))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


def test_options(client: httpx.Client) -> None:
    options = client.get("/api/options").json()
    ids = [o["id"] for o in options]
    assert "sorafenib" in ids and "liver_transplant" in ids and len(ids) == 12
    sorafenib = client.get("/api/options/sorafenib").json()
    assert sorafenib["name"] and sorafenib["side_effects"]["common"]


def test_unknown_option_is_404_with_the_known_ids(client: httpx.Client) -> None:
    response = client.get("/api/options/leeches")
    assert response.status_code == 404
    message = response.json()["detail"][0]["message"]
    assert "leeches" in message and "sorafenib" in message


def test_pack_says_what_and_how_current(client: httpx.Client) -> None:
    pack = client.get("/api/pack").json()
    assert (pack["id"], pack["reviewed"]) == ("acs-2017", "2017-10-03")
    assert "2016" in pack["review_dates"] and pack["currency_notice"] and pack["disclaimer"]
    assert any(s["last_medical_review"] for s in pack["sections"])
    assert {t["id"] for t in pack["tables"]} >= {"category", "fit.sorafenib"}
    assert all(t["rules"] > 0 for t in pack["tables"])


def test_openapi_documents_models_and_error_shape(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/assess"]["post"]
    ok = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    bad = post["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/Assessment") and bad.endswith("/ErrorResponse")
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False and "fit_for_surgery" in body["properties"]
    for path in ("/api/options", "/api/options/{option_id}", "/api/pack", "/api/assess/fhir",
                 "/cds-services"):
        assert path in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_html_form_routes_keep_their_own_errors(client: httpx.Client) -> None:
    response = client.get("/assess")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
