"""Issue 13 (inputs) and issue 12 (the form's numbers): values that must not be guessed at,
and inputs that must not hurt the server or the CLI. Through the ASGI app and the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from livertx.web.app import Settings, create_app

CLI = [sys.executable, "-m", "livertx"]


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(create_app(Settings(max_body_bytes=64 * 1024))) as c:
        yield c


def post_raw(client: TestClient, body: bytes | str) -> Any:
    return client.post("/api/assess", content=body, headers={"Content-Type": "application/json"})


def fields(response: Any) -> dict[str, str]:
    return {d["field"]: d["message"] for d in response.json()["detail"]}


# --- 10. non-finite numbers ------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["Infinity", "-Infinity", "NaN", "1e999"])
@pytest.mark.parametrize("field", ["encephalopathy", "bilirubin", "tumor_count", "inr"])
def test_non_finite_numbers_are_422(client: TestClient, raw: str, field: str) -> None:
    response = post_raw(client, f'{{"{field}": {raw}}}')
    assert response.status_code == 422
    assert field in fields(response)


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, input=stdin.decode("latin-1")
                          if stdin else None, text=True, timeout=120, check=False)


@pytest.mark.parametrize("content", [
    b'{"encephalopathy": Infinity}',
    b'{"encephalopathy": 1e999}',
    b"\xff\xfe{\x00}",                                   # not UTF-8
    b"[" * 100_000 + b"]" * 100_000,                    # nested too deeply
    b'{"tumor_count": ' + b"9" * 5000 + b"}",           # 5,000 digits
    b'{"bilirubin": "2 [/link]"}',                      # Rich markup closing nothing
])
def test_cli_bad_files_are_one_line_and_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "patient.json"
    path.write_bytes(content)
    run = run_cli("assess", str(path))
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert run.stderr.startswith("error:")


def test_cli_dev_zero_is_refused() -> None:
    run = run_cli("assess", "/dev/zero")
    assert run.returncode == 2 and "larger than" in run.stderr and "Traceback" not in run.stderr


def test_cli_never_reads_user_text_as_markup(tmp_path: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps({"bilirubin": "2 [link=https://x.example]mg/dL[/link]"}))
    run = run_cli("assess", str(path))
    assert run.returncode == 2
    assert "[link=https://x.example]mg/dL[/link]" in run.stderr  # shown as typed, not hidden


# --- 11. only plain decimals; only true/false ----------------------------------------------------

@pytest.mark.parametrize("patient, field", [
    ({"largest_tumor_cm": "1_5"}, "largest_tumor_cm"),
    ({"tumor_count": "1_5"}, "tumor_count"),
    ({"inr": "1,500"}, "inr"),
    ({"bilirubin": "1_5"}, "bilirubin"),
    ({"inr": "1e0"}, "inr"),
    ({"cirrhosis": "yes"}, "cirrhosis"),
    ({"cirrhosis": "off"}, "cirrhosis"),
    ({"fit_for_surgery": 0.0}, "fit_for_surgery"),
    ({"distant_spread": 1}, "distant_spread"),
    ({"recurrent": "no"}, "recurrent"),
])
def test_api_refuses_guessed_numbers_and_booleans(client: TestClient, patient: dict[str, Any],
                                                  field: str) -> None:
    response = client.post("/api/assess", json=patient)
    assert response.status_code == 422
    assert field in fields(response)


def test_api_still_reads_plain_decimals_and_true_false(client: TestClient) -> None:
    response = client.post("/api/assess", json={"largest_tumor_cm": "1.5", "inr": ".9",
                                                "cirrhosis": "true", "distant_spread": False})
    assert response.status_code == 200
    patient = response.json()["patient"]
    assert (patient["largest_tumor_cm"], patient["inr"], patient["cirrhosis"]) == (1.5, 0.9, True)


# --- 12. the tumours list is bounded like tumor_count -------------------------------------------------

@pytest.mark.parametrize("count", [51, 15_000])
def test_tumor_list_longer_than_50_is_422(count: int) -> None:
    with TestClient(create_app(Settings(max_body_bytes=1 << 20))) as c:
        response = c.post("/api/assess", json={"tumors": [{"size_cm": 1}] * count})
    assert response.status_code == 422
    assert "at most 50" in fields(response)["tumors"]


# --- 13. future dates and same-time conflicts ------------------------------------------------------

def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in ({"resourceType": "Patient", "id": "p"}, *resources)]}


def _bili(oid: str, value: float, when: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "subject": {"reference": "Patient/p"}, "effectiveDateTime": when,
            "code": {"coding": [{"system": "http://loinc.org", "code": "1975-2"}]},
            "valueQuantity": {"value": value, "unit": "mg/dL"}}


def _cirrhosis(cid: str, refuted: bool, when: str) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Condition", "id": cid, "recordedDate": when,
                           "subject": {"reference": "Patient/p"},
                           "code": {"coding": [{"system": "http://snomed.info/sct",
                                                "code": "19943007"}]}}
    if refuted:
        out["verificationStatus"] = {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": "refuted"}]}
    return out


def test_future_dated_lab_is_ignored_with_a_warning(client: TestClient) -> None:
    bundle = _bundle(_bili("now", 1.2, "2024-06-01"), _bili("future", 9.0, "9999-12-31"))
    body = client.post("/api/assess/fhir", json=bundle).json()
    assert body["fhir"]["patient"]["bilirubin"] == 1.2
    assert "in the future" in body["fhir"]["ignored"]["Observation/future"]


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
def test_same_time_different_values_are_a_reported_conflict(client: TestClient,
                                                            order: tuple[str, str]) -> None:
    labs = {"a": _bili("a", 1.2, "2024-06-01T10:00:00Z"), "b": _bili("b", 3.4, "2024-06-01T10:00:00Z")}
    conditions = {"a": _cirrhosis("a", False, "2024-06-01"), "b": _cirrhosis("b", True, "2024-06-01")}
    bundle = _bundle(*(labs[k] for k in order), *(conditions[k] for k in order))
    body = client.post("/api/assess/fhir", json=bundle).json()
    patient, ignored = body["fhir"]["patient"], body["fhir"]["ignored"]
    assert "bilirubin" not in patient and "cirrhosis" not in patient  # not decided by order
    for ref in ("Observation/a", "Observation/b", "Condition/a", "Condition/b"):
        assert "conflicting values of the same time" in ignored[ref]
    assert "bilirubin" in body["assessment"]["missing"] or body["assessment"]["derived"][
        "child_pugh"]["points"]["bilirubin"] is None


# --- 15. the 413 body and the over-full form --------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/assess", "/cds-services/livertx-hcc-options"])
def test_413_has_the_documented_shape(client: TestClient, path: str) -> None:
    big = json.dumps({"padding": "x" * 100_000})
    declared = client.post(path, content=big, headers={"Content-Type": "application/json"})

    def chunks() -> Any:
        yield big[:50_000].encode()
        yield big[50_000:].encode()

    streamed = client.post(path, content=chunks(), headers={"Content-Type": "application/json"})
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json() == {"detail": [{"field": "body",
                                               "message": "larger than 65536 bytes"}]}


def test_form_with_too_many_fields_gets_the_form_page(client: TestClient) -> None:
    body = "&".join(f"f{i}=1" for i in range(1500))
    response = client.post("/assess", content=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    page = BeautifulSoup(response.text, "html.parser")
    assert page.find("form") is not None and "could not be read" in page.get_text()


# --- issue 12: numbers in the form --------------------------------------------------------------------

def submit(client: TestClient, **values: str) -> Any:
    form_page = client.get("/assess")
    token = BeautifulSoup(form_page.text, "html.parser").find("input", {"name": "csrf_token"})["value"]
    return client.post("/assess", data={"csrf_token": token, **values})


@pytest.mark.parametrize("typed", ["1_5", "1,500", "1e1", "inf"])
def test_form_refuses_numbers_that_are_not_plain_decimals(client: TestClient, typed: str) -> None:
    response = submit(client, largest_tumor_cm=typed)
    assert response.status_code == 422
    assert f"“{typed}” is not a number" in response.text


def test_form_reads_a_value_typed_with_its_unit(client: TestClient) -> None:
    response = submit(client, bilirubin="40 umol/L", bilirubin_unit="mg/dL")
    assert response.status_code == 200
    assert "2.34 mg/dL" in response.text or "2.339" in response.text


def test_form_states_the_range_in_the_chosen_unit(client: TestClient) -> None:
    response = submit(client, bilirubin="2000", bilirubin_unit="umol/L")
    assert response.status_code == 422
    assert "at most 1026 µmol/L" in response.text
    assert "at most 60 mg/dL" not in response.text


@pytest.mark.parametrize("value, unit, hint", [
    ("2.5", "umol/L", "did you mean 2.5 mg/dL"),
    ("45", "mg/dL", "did you mean 45 µmol/L"),
])
def test_form_hints_at_an_implausible_bilirubin(client: TestClient, value: str, unit: str,
                                                hint: str) -> None:
    response = submit(client, bilirubin=value, bilirubin_unit=unit)
    assert response.status_code == 200
    assert hint in response.text
