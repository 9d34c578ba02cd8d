"""CDS Hooks 2.0 service: discovery, cards, prefetch and fhirServer, JWT, CORS, bad requests.

Real parts: the app over ASGI, a real FHIR server (stdlib http.server on 127.0.0.1) for
unsatisfied prefetch keys and a JWK Set, keys made in the test with `cryptography`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from livertx.cds.service import PREFETCH, SERVICE_ID
from livertx.web.app import Settings, create_app

EXAMPLES = Path(__file__).parent.parent / "examples"
URL = f"/cds-services/{SERVICE_ID}"
AUDIENCE = f"http://testserver{URL}"
LOINC, SCT, AJCC = "http://loinc.org", "http://snomed.info/sct", "http://cancerstaging.org"
LABEL = "livertx (ACS Treating Liver Cancer 2016-2017, reviewed 2017-10-03)"
VERIFIED = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


# --- FHIR resources from an example patient ------------------------------------------------------

def _obs(oid: str, system: str, code: str, **value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-06-01",
            "code": {"coding": [{"system": system, "code": code}]}, **value}


def _qty(value: float, unit: str) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                              "code": unit}}


def _cond(cid: str, code: str, *, refuted: bool = False, severity: str | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p1"},
                         "code": {"coding": [{"system": SCT, "code": code}]}}
    if refuted:
        r["verificationStatus"] = {"coding": [{"system": VERIFIED, "code": "refuted"}]}
    if severity:
        r["severity"] = {"coding": [{"system": SCT, "code": severity}]}
    return r


def _lab(oid: str, value: Any, mass: str, molar: str | None, unit: str) -> dict[str, Any]:
    if isinstance(value, str):
        number, given = value.split()
        return _obs(oid, LOINC, molar if given == "umol/L" and molar else mass, **_qty(float(number), given))
    return _obs(oid, LOINC, mass, **_qty(value, unit))


def resources_for(patient: dict[str, Any], *, hcc: bool = True) -> list[dict[str, Any]]:
    """What an EHR holds for an example patient (fitness for surgery is never coded)."""
    out: list[dict[str, Any]] = [{"resourceType": "Patient", "id": "p1"}]
    if hcc:
        out.append(_cond("hcc", "109841003"))
    if "cirrhosis" in patient:
        out.append(_cond("cirrhosis", "19943007", refuted=not patient["cirrhosis"]))
    if "ascites" in patient:
        severity = {"slight": "255604002", "moderate": "6736007", "severe": "24484000"}
        out.append(_cond("ascites", "389026000", refuted=patient["ascites"] == "none",
                         severity=severity.get(patient["ascites"])))
    if patient.get("encephalopathy") == "none":
        out.append(_cond("he", "13920009", refuted=True))
    if "bilirubin" in patient:
        out.append(_lab("bili", patient["bilirubin"], "1975-2", "14631-6", "mg/dL"))
    if "albumin" in patient:
        value = patient["albumin"]
        out.append(_obs("alb", LOINC, "1751-7", **(_qty(float(value.split()[0]), value.split()[1])
                                                  if isinstance(value, str) else _qty(value, "g/dL"))))
    if "inr" in patient:
        out.append(_obs("inr", LOINC, "6301-6", **_qty(patient["inr"], "{INR}")))
    if "ecog" in patient:
        out.append(_obs("ecog", LOINC, "89247-1", valueInteger=patient["ecog"]))
    for key, code, axis in (("lymph_node_spread", "399534004", "N"),
                            ("distant_spread", "399387003", "M")):
        if key in patient:
            value = f"c{axis}{int(patient[key])}"
            out.append(_obs(f"c{axis.lower()}", SCT, code,
                            valueCodeableConcept={"coding": [{"system": AJCC, "code": value}]}))
    largest = patient.get("largest_tumor_cm") or max((t["size_cm"] for t in patient.get("tumors", [])),
                                                     default=None)
    if largest:
        out.append(_obs("size", LOINC, "21889-1", **_qty(largest, "cm")))
    if len(patient.get("tumors", [])) == 1 and patient.get("vascular_invasion") is False:
        t = "cT1a" if largest <= 2 else "cT1b"  # AJCC 8: a single tumour, no vascular invasion
        out.append(_obs("ct", SCT, "399504009",
                        valueCodeableConcept={"coding": [{"system": AJCC, "code": t}]}))
    return out


def _key_of(resource: dict[str, Any]) -> str:
    if resource["resourceType"] == "Patient":
        return "patient"
    if resource["resourceType"] == "Condition":
        return "conditions"
    code = resource["code"]["coding"][0]["code"]
    for key, template in PREFETCH.items():
        if f"|{code}," in template + "," or f"|{code}&" in template:
            return key
    raise AssertionError(code)


def prefetch_for(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Every prefetch key: the resource, a searchset, or null when there is no data."""
    grouped: dict[str, list[dict[str, Any]]] = {k: [] for k in PREFETCH}
    for resource in resources:
        grouped[_key_of(resource)].append(resource)
    out: dict[str, Any] = {}
    for key, items in grouped.items():
        if key == "patient":
            out[key] = items[0] if items else None
        else:
            out[key] = ({"resourceType": "Bundle", "type": "searchset",
                         "entry": [{"resource": r} for r in items]} if items else None)
    return out


def hook_request(prefetch: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
                            "context": {"userId": "Practitioner/dr-1", "patientId": "p1"}, **extra}
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


def allowing(*servers: str) -> TestClient:
    """An open-mode app whose operator listed these FHIR servers."""
    return TestClient(create_app(Settings(cds_open_fhir_servers=list(servers))))


class FhirServer:
    """A tiny FHIR server: Patient read, Condition and Observation search by code; a JWK Set."""

    def __init__(self, resources: list[dict[str, Any]], jwks: dict[str, Any] | None = None):
        self.resources, self.jwks, self.fail = resources, jwks, False
        self.seen: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.seen.append((self.path, self.headers.get("Authorization")))
                status, body = server.answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, path: str) -> tuple[int, Any]:
        parts = urlsplit(path)
        if parts.path == "/jwks.json" and self.jwks:
            return 200, self.jwks
        if self.fail:
            return 500, {"resourceType": "OperationOutcome", "issue": []}
        kind = parts.path.strip("/").split("/")
        if len(kind) == 3 and kind[1] == "Patient":
            found = [r for r in self.resources if r["resourceType"] == "Patient" and r["id"] == kind[2]]
            return (200, found[0]) if found else (404, {"resourceType": "OperationOutcome", "issue": []})
        query = parse_qs(parts.query)
        codes = set(query.get("code", [""])[0].split(","))
        hits = [r for r in self.resources if r["resourceType"] == kind[-1]
                and (kind[-1] == "Condition" or
                     any(f"{c['system']}|{c['code']}" in codes for c in r["code"]["coding"]))]
        return 200, {"resourceType": "Bundle", "type": "searchset",
                     "entry": [{"resource": r} for r in hits]}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- discovery -----------------------------------------------------------------------------------

def test_discovery(client: TestClient) -> None:
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = response.json()["services"]
    assert [s["id"] for s in services] == [SERVICE_ID, "livertx-hcc-bclc"]
    service = services[0]
    assert (service["id"], service["hook"]) == (SERVICE_ID, "patient-view")
    assert service["description"] and service["title"]
    prefetch = service["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"
    assert "http://loinc.org|1975-2" in prefetch["bilirubin"] and "14631-6" in prefetch["bilirubin"]
    for code in ("399534004", "371494008", "21906-3", "21900-6", "399537006", "21908-9"):
        assert code in prefetch["staging"]
    assert "89247-1" in prefetch["ecog"] and "21889-1" in prefetch["tumorSize"]
    assert_no_empty_values(response.json())


# --- cards -------------------------------------------------------------------------------------------

def assert_no_empty_values(value: Any, where: str = "") -> None:
    """CDS Hooks: optional fields are omitted, never null, "", [] or {} (cards: [] is allowed)."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert v not in (None, "", [], {}) or (k == "cards" and v == []), f"{where}.{k} is empty"
            assert_no_empty_values(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_no_empty_values(v, f"{where}[{i}]")


def check_cards(cards: list[dict[str, Any]]) -> None:
    assert_no_empty_values({"cards": cards})
    assert len({c["uuid"] for c in cards}) == len(cards)
    for card in cards:
        uuid.UUID(card["uuid"])
        assert len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"] == LABEL and card["source"]["url"].startswith("http")


def call(client: TestClient, name: str, **kw: Any) -> list[dict[str, Any]]:
    response = client.post(URL, json=hook_request(prefetch_for(resources_for(example(name), **kw))))
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    check_cards(cards)
    return cards


def test_advanced_patient(client: TestClient) -> None:
    summary, warning, link = call(client, "advanced")
    assert summary["indicator"] == "info"
    assert summary["summary"].startswith("HCC, advanced cancer")
    assert "Child-Pugh B (7)" in summary["summary"]
    assert "clinical trial" in summary["summary"]
    assert "not medical advice" in summary["detail"] and "2017-10-03" in summary["detail"]
    assert warning["indicator"] == "warning" and "Sorafenib so far" in warning["summary"]
    assert link["links"][0]["type"] == "absolute"


def test_early_patient_category_open_on_fitness(client: TestClient) -> None:
    summary, warning, _ = call(client, "early")
    assert "category open (potentially resectable or inoperable local)" in summary["summary"]
    assert "Child-Pugh A (5)" in summary["summary"]
    assert "Healthy enough for a major operation" in warning["summary"]


def test_unresectable_patient_names_what_the_record_lacks(client: TestClient) -> None:
    summary, warning, _ = call(client, "unresectable")
    # The example's 4 tumours and Child-Pugh class are not coded in the record: asked for.
    assert "Number of liver tumors" in warning["summary"] + warning["detail"]
    assert "Child-Pugh unknown" in summary["summary"]


def test_link_card_opens_the_same_assessment(client: TestClient) -> None:
    _summary, _, link = call(client, "advanced")
    url = urlsplit(link["links"][0]["url"])
    assert url.path.startswith(f"{URL}/result/") and not url.query
    full = client.get(url.path)
    assert full.status_code == 200
    assert full.headers["cache-control"] == "no-store"
    body = full.json()
    assert body["category"]["id"] == "advanced"
    assert (body["derived"]["child_pugh"]["class"], body["derived"]["child_pugh"]["score"]) == ("B", 7)


def test_card_links_follow_the_host_each_call_names(client: TestClient) -> None:
    """Without a configured public URL, links and sources are under the Host the EHR
    called (each call its own, though the base is worked out once per Host)."""
    body = hook_request(prefetch_for(resources_for(example("advanced"))))
    for host in ("ehr-a.example", "ehr-b.example:8443", "ehr-a.example"):
        cards = client.post(URL, json=body, headers={"Host": host}).json()["cards"]
        assert cards[-1]["links"][0]["url"].startswith(f"http://{host}{URL}/result/")
        assert {c["source"]["url"] for c in cards} == {f"http://{host}/about"}


def test_result_link_rejects_altered_or_made_up_tokens(client: TestClient) -> None:
    _summary, _, link = call(client, "advanced")
    path = urlsplit(link["links"][0]["url"]).path
    altered = path[:-6] + ("A" if path[-6] != "A" else "B") + path[-5:]
    for bad in (altered, f"{URL}/result/cirrhosis=true", f"{URL}/result/{'x' * 9000}"):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert response.headers["cache-control"] == "no-store"
        assert "expired" in response.json()["detail"][0]["message"]


def test_no_liver_cancer_no_cards(client: TestClient) -> None:
    response = client.post(URL, json=hook_request(prefetch_for(resources_for(example("advanced"),
                                                                               hcc=False))))
    assert response.status_code == 200 and response.json() == {"cards": []}


def test_null_prefetch_keys_mean_no_data(client: TestClient) -> None:
    prefetch = prefetch_for(resources_for({}, hcc=True))  # only the Patient and the HCC Condition
    response = client.post(URL, json=hook_request(prefetch))
    assert response.status_code == 200
    cards = response.json()["cards"]
    check_cards(cards)
    assert cards[0]["summary"] == "HCC, category open (5 possible); Child-Pugh unknown"
    assert cards[1]["indicator"] == "warning" and "Child-Pugh class" in cards[1]["detail"]


def test_odd_unit_in_record_is_left_unknown_not_an_error(client: TestClient) -> None:
    resources = resources_for(example("early"))
    for r in resources:
        if r.get("id") == "bili":
            r["valueQuantity"].update(unit="mEq/L", code="mEq/L")
    cards = client.post(URL, json=hook_request(prefetch_for(resources))).json()["cards"]
    check_cards(cards)
    assert "Total bilirubin" in cards[1]["summary"]


# --- prefetch left out: the FHIR server --------------------------------------------------------------

def test_unsatisfied_keys_fetched_from_fhir_server_with_the_token(client: TestClient) -> None:
    server = FhirServer(resources_for(example("advanced")))
    try:
        prefetch = prefetch_for(resources_for(example("advanced")))
        for key in ("conditions", "bilirubin", "staging", "patient"):
            del prefetch[key]  # left out by the EHR: unsatisfied
        auth = {"access_token": "secret-token-123", "token_type": "Bearer", "expires_in": 300,
                "scope": "patient/*.read", "subject": "cds-service"}
        with allowing(server.url) as open_client:
            response = open_client.post(URL, json=hook_request(prefetch, fhirServer=server.url,
                                                               fhirAuthorization=auth))
        assert response.status_code == 200, response.text
        cards = response.json()["cards"]
        check_cards(cards)
        assert "Child-Pugh B (7)" in cards[0]["summary"] and "advanced" in cards[0]["summary"]
        paths = sorted(p for p, _ in server.seen)
        assert len(paths) == 4 and any(p.startswith("/Patient/p1") for p in paths)
        assert any("1975-2" in p and "_sort=-date" in p for p in paths)
        assert all(a == "Bearer secret-token-123" for _, a in server.seen)
    finally:
        server.close()


def test_everything_from_the_fhir_server() -> None:
    server = FhirServer(resources_for(example("early")))
    try:
        with allowing(server.url + "/") as open_client:
            response = open_client.post(URL, json=hook_request(None, fhirServer=server.url))
        assert response.status_code == 200, response.text
        assert "Child-Pugh A (5)" in response.json()["cards"][0]["summary"]
        assert len(server.seen) == len(PREFETCH)
    finally:
        server.close()


def test_data_that_cannot_be_had_is_412(client: TestClient) -> None:
    prefetch = prefetch_for(resources_for(example("advanced")))
    del prefetch["inr"]
    response = client.post(URL, json=hook_request(prefetch))
    assert response.status_code == 412
    assert response.json()["detail"][0]["field"] == "inr"
    server = FhirServer([])
    server.fail = True
    try:
        with allowing(server.url) as open_client:
            response = open_client.post(URL, json=hook_request(prefetch, fhirServer=server.url))
        assert response.status_code == 412
        assert "HTTP 500" in response.json()["detail"][0]["message"]
    finally:
        server.close()


# --- invalid requests -----------------------------------------------------------------------------

@pytest.mark.parametrize("change, field", [
    ({"hook": "order-sign"}, "body"),
    ({"context": {"userId": "Practitioner/1"}}, "context.patientId"),
    ({"hookInstance": None}, "hookInstance"),
    ({"fhirAuthorization": {"access_token": "t", "token_type": "Bearer", "expires_in": 60,
                            "scope": "s", "subject": "x"}}, "body"),
    ({"fhirServer": "ftp://example.org"}, "fhirServer"),
])
def test_invalid_requests_are_422_with_a_message(client: TestClient, change: dict[str, Any],
                                                 field: str) -> None:
    body = {**hook_request(prefetch_for(resources_for(example("early")))), **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post(URL, json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["field"] == field and detail[0]["message"]


def test_not_json_is_422(client: TestClient) -> None:
    response = client.post(URL, content=b"hello", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_feedback(client: TestClient) -> None:
    ok = client.post(f"{URL}/feedback", json={"feedback": [{
        "card": str(uuid.uuid4()), "outcome": "overridden",
        "overrideReason": {"userComment": "patient declined"},
        "outcomeTimestamp": "2024-06-01T10:00:00Z"}]})
    assert ok.status_code == 200
    bad = client.post(f"{URL}/feedback", json={"feedback": [{"outcome": "liked"}]})
    assert bad.status_code == 422


def test_cors_only_on_cds_paths(client: TestClient) -> None:
    preflight = client.options(URL, headers={"Origin": "https://sandbox.cds-hooks.org",
                                             "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    simple = client.get("/cds-services", headers={"Origin": "https://ehr.example"})
    assert simple.headers["access-control-allow-origin"] == "*"
    api = client.get("/api/pack", headers={"Origin": "https://ehr.example"})
    assert "access-control-allow-origin" not in api.headers


# --- JWT -------------------------------------------------------------------------------------------

EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_EC_KEY = ec.generate_private_key(ec.SECP384R1())
ISS_PEM, ISS_JWKS = "https://ehr-a.example", "https://ehr-b.example"


def _pem(key: Any) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module")
def secured() -> Iterator[TestClient]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    server = FhirServer([], jwks={"keys": [{**jwk, "kid": "rsa-1", "alg": "RS384", "use": "sig"}]})
    settings = Settings(cds_trusted_issuers={ISS_PEM: _pem(EC_KEY), ISS_JWKS: f"{server.url}/jwks.json"},
                        public_base_url="http://testserver")
    try:
        with TestClient(create_app(settings)) as c:
            yield c
    finally:
        server.close()


def token(key: Any = EC_KEY, alg: str = "ES384", kid: str | None = "ec-1", **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISS_PEM, "aud": AUDIENCE, "exp": now + 300, "iat": now,
               "jti": str(uuid.uuid4()), **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    headers = {"typ": "JWT", **({"kid": kid} if kid else {})}
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def _post(c: TestClient, bearer: str | None) -> Any:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return c.post(URL, json=hook_request(prefetch_for(resources_for(example("advanced")))),
                  headers=headers)


@pytest.mark.parametrize("make", [
    lambda: token(),  # ES384, PEM key configured for the issuer
    lambda: token(RSA_KEY, "RS384", "rsa-1", iss=ISS_JWKS),  # RS384, key from the JWK Set
])
def test_jwt_accepted(secured: TestClient, make: Any) -> None:
    response = _post(secured, make())
    assert response.status_code == 200, response.text
    assert len(response.json()["cards"]) == 3


@pytest.mark.parametrize("make, words", [
    (lambda: None, "bearer JWT is required"),
    (lambda: jwt.encode({"iss": ISS_PEM, "aud": AUDIENCE, "exp": int(time.time()) + 60,
                         "iat": int(time.time()), "jti": "n"}, None, algorithm="none"), "'none'"),
    (lambda: token("a-shared-secret-of-32-bytes-long!", "HS256"), "'HS256'"),
    (lambda: token(aud="https://other.example/cds-services/livertx-hcc-options"), "audience"),
    (lambda: token(exp=int(time.time()) - 60), "expired"),
    (lambda: token(iss="https://stranger.example"), "not trusted"),
    (lambda: token(OTHER_EC_KEY), "Signature"),
    (lambda: token(jti=None), "jti"),
    (lambda: token(RSA_KEY, "RS384", "unknown-kid", iss=ISS_JWKS), "JWK Set"),
])
def test_jwt_rejected(secured: TestClient, make: Any, words: str) -> None:
    response = _post(secured, make())
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert words.lower() in response.json()["detail"][0]["message"].lower()


def test_jwt_replay_rejected(secured: TestClient) -> None:
    once = token()
    assert _post(secured, once).status_code == 200
    again = _post(secured, once)
    assert again.status_code == 401 and "replayed" in again.json()["detail"][0]["message"]


def test_discovery_needs_a_token_too_when_secured(secured: TestClient) -> None:
    assert secured.get("/cds-services").status_code == 401
    ok = secured.get("/cds-services", headers={
        "Authorization": f"Bearer {token(aud='http://testserver/cds-services')}"})
    assert ok.status_code == 200


# --- issue 9: safety notes on cards ----------------------------------------------------------------

BCLC_2022 = "Reig M, Forner A, Rimola J, et al. BCLC strategy"


def test_ecog_3_in_the_record_gives_a_dated_cited_safety_card(client: TestClient) -> None:
    cards = call(client, "advanced")  # the example first, then with ECOG 3 in the record
    assert not [c for c in cards if c["summary"].startswith("Safety note")]
    resources = resources_for({**example("advanced"), "ecog": 3})
    response = client.post(URL, json=hook_request(prefetch_for(resources)))
    cards = response.json()["cards"]
    check_cards(cards)
    assert cards[0]["indicator"] == "info"  # the summary first, the safety note right after it
    safety = cards[1]
    assert safety["indicator"] == "warning"
    assert safety["summary"] == ("Safety note (2022-03): Daily activity is very limited "
                                 "(ECOG 3 or 4).")
    assert "Current staging puts people in this situation" in safety["detail"]
    assert "2022-03" in safety["detail"] and BCLC_2022 in safety["detail"]


def test_every_safety_note_is_its_own_warning_card() -> None:
    from livertx.cds.cards import cards_for
    from livertx.engine import assess
    from livertx.knowledge import load_pack

    pack = load_pack()
    result = assess({"tumor_count": 1, "largest_tumor_cm": 3, "vascular_invasion": True,
                     "major_vascular_invasion": True, "lymph_node_spread": False,
                     "distant_spread": False, "cirrhosis": True, "child_pugh_class": "A",
                     "fit_for_surgery": True, "ecog": 3, "bilirubin": 40}, pack)
    cards = cards_for(result, {}, pack, "http://testserver")
    check_cards(cards)
    safety = [c for c in cards if c["summary"].startswith("Safety note (2022-03)")]
    assert len(safety) == len(result["safety_notes"]) == 3
    assert all(c["indicator"] == "warning" and BCLC_2022 in c["detail"] for c in safety)
    vein = [c for c in safety if "main branch of the portal or hepatic vein" in c["summary"]]
    assert vein and "SAFE.04" in vein[0]["detail"]
    check = [c for c in cards if c["summary"].startswith("Please check")]
    assert len(check) == 1 and check[0]["indicator"] == "warning"
    assert "did you mean 40 µmol/L" in check[0]["detail"] and "Safety note" not in check[0]["detail"]
