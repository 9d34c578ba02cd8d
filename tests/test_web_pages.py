"""The web pages over real in-process HTTP: every page, the form and its errors, the result,
the JSON download, search, and the security behaviour (headers, CSRF, body cap)."""

from __future__ import annotations

import json
import logging
import re
import warnings
from typing import Any

import pytest
from bs4 import BeautifulSoup

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from livertx.engine import assess
from livertx.knowledge import load_pack
from livertx.render.labels import dates_in_words
from livertx.vocabulary import FIELDS
from livertx.web.app import Settings, create_app
from livertx.web.forms import form_fields

PACK = load_pack()


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(Settings(max_body_bytes=4096))


@pytest.fixture()
def client(app: Any) -> TestClient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(app)


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def token(client: TestClient) -> str:
    page = soup(client.get("/assess"))
    return page.find("input", attrs={"name": "csrf_token"})["value"]


EARLY = {"tumor_count": "1", "largest_tumor_cm": "3", "vascular_invasion": "no",
         "lymph_node_spread": "no", "distant_spread": "no", "cirrhosis": "no",
         "fit_for_surgery": "yes", "child_pugh_class": "A"}
UNRESECTABLE = {"tumor_count": "4", "largest_tumor_cm": "4.2", "vascular_invasion": "no",
                "lymph_node_spread": "no", "distant_spread": "no", "cirrhosis": "yes",
                "child_pugh_class": "A", "fit_for_surgery": "yes"}
ADVANCED = {"tumor_count": "2", "largest_tumor_cm": "6", "vascular_invasion": "yes",
            "lymph_node_spread": "no", "distant_spread": "yes", "cirrhosis": "yes",
            "child_pugh_class": "A", "sorafenib_status": "never"}


def submit(client: TestClient, form: dict[str, Any], path: str = "/assess") -> Any:
    return client.post(path, data={"csrf_token": token(client), **form})


def hidden_fields(form: Any) -> dict[str, list[str]]:
    """A rendered form's hidden inputs, as the browser would send them."""
    fields: dict[str, list[str]] = {}
    for field in form.find_all("input", type="hidden"):
        fields.setdefault(field["name"], []).append(field["value"])
    return fields


def options_under(page: BeautifulSoup, fit: str) -> list[str]:
    group = page.find("section", class_=f"fit-group-{fit}")
    if group is None:
        return []
    return [a["id"].removeprefix("option-") for a in group.find_all("article")]


# --- every page -------------------------------------------------------------------------------

LIBRARY = (["/treatments"] + [f"/treatments/{o.id}" for o in PACK.options]
           + [f"/treatments/{o.id}/{t.id}" for o in PACK.options for t in o.techniques]
           + [f"/topics/{t.id}" for t in PACK.topics])
PAGES = ["/", "/assess", "/search", "/search?q=transplant", "/about", *LIBRARY]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_the_notices_and_no_inline_code(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    page = soup(response)
    assert len(page.find_all("h1")) == 1
    footer = page.find("footer").get_text(" ", strip=True)
    assert "not medical advice" in footer.lower()
    assert dates_in_words(PACK.info.review_dates) in footer  # dates in words (issue 12)
    assert "newer treatments exist" in footer.lower()
    assert "Nothing you type here is stored or logged" in footer
    # The Content-Security-Policy forbids inline code: the pages must not need any.
    assert all(s.get("src") for s in page.find_all("script"))
    assert not page.find_all("style") and not page.select("[style]")
    assert not [t for t in page.find_all(True) if any(a.startswith("on") for a in t.attrs)]


def test_home_explains_what_it_is_and_links_to_the_form(client: TestClient) -> None:
    page = soup(client.get("/"))
    start = page.find("a", class_="button-start")
    assert start["href"] == "/assess"
    text = page.get_text(" ", strip=True)
    assert "is not medical advice" in text and PACK.info.currency_notice in text


def test_library_pages_link_each_technique_and_show_currency_notes(client: TestClient) -> None:
    page = soup(client.get("/treatments/ablation"))
    links = {a["href"] for a in page.find_all("a")}
    assert {"/treatments/ablation/rfa", "/treatments/ablation/cryo"} <= links
    sorafenib = soup(client.get("/treatments/sorafenib"))
    assert sorafenib.find("h2", string="What has changed since 2017")
    rules = [th.get_text() for th in sorafenib.select("table.rules tbody th")]
    assert rules == [r.id for r in PACK.option_tables["sorafenib"].rules]


def test_unknown_library_pages_answer_404_as_a_page(client: TestClient) -> None:
    for path in ("/treatments/homeopathy", "/treatments/ablation/laser", "/topics/nope"):
        response = client.get(path)
        assert response.status_code == 404
        assert soup(response).find("h1").get_text() == "Page not found"


def test_about_renders_every_decision_table_in_plain_words(client: TestClient) -> None:
    page = soup(client.get("/about"))
    for table in PACK.tables:
        for rule in table.rules:
            row = page.find("tr", id="rule-" + rule.id.replace(".", "-"))
            assert row is not None and rule.text in row.get_text()
    assert page.find(id="section-by-stage-unresectable")


# --- the form ---------------------------------------------------------------------------------

def test_form_uses_vocabulary_names_with_labels_and_help(client: TestClient) -> None:
    page = soup(client.get("/assess"))
    form = page.find("form", action="/assess")
    names = {c["name"] for c in form.find_all(["input", "select"]) if c.get("name")}
    assert {spec.name for spec in FIELDS} <= names
    assert set(form_fields()) <= names
    for control in form.find_all(["input", "select"]):
        if control.get("type") == "hidden":
            continue
        assert page.find("label", attrs={"for": control["id"]}), control
    for spec in FIELDS:
        assert spec.help.split(".")[0].replace("Untick if", "Choose no if") in page.get_text()
    # A yes/no fact offers yes, no and "don't know" (empty, the default).
    radios = form.find_all("input", attrs={"name": "fit_for_surgery"})
    assert [r["value"] for r in radios] == ["yes", "no", ""]
    assert [r.has_attr("checked") for r in radios] == [False, False, True]
    assert form.find("select", attrs={"name": "bilirubin_unit"})
    assert len(form.find_all("input", attrs={"name": "tumor_size_cm"})) >= 3
    legends = [lg.get_text(" ", strip=True) for lg in form.find_all("legend")]
    assert any("tumors" in lg for lg in legends) and any("liver works" in lg for lg in legends)


def test_bad_values_come_back_next_to_their_fields_with_everything_kept(client: TestClient) -> None:
    typed = {**EARLY, "largest_tumor_cm": "three", "inr": "99", "bilirubin": "2,5",
             "bilirubin_unit": "mg/dL", "ascites": "slight", "tumor_size_cm": ["2", "-1"]}
    response = submit(client, typed)
    assert response.status_code == 422
    page = soup(response)
    for name, words in (("largest_tumor_cm", "not a number"), ("inr", "out of range")):
        control = page.find(id=f"f-{name}")
        assert control["aria-invalid"] == "true"
        error = page.find(id=f"e-{name}")
        assert words in error.get_text() and "at most" in error.get_text()
        assert error.find_parent(class_="field") is control.find_parent(class_="field")
        assert f"e-{name}" in control["aria-describedby"]
    assert page.find(id="f-largest_tumor_cm")["value"] == "three"
    assert page.find(id="f-bilirubin")["value"] == "2,5"
    assert page.find(id="f-ascites").find("option", selected=True)["value"] == "slight"
    assert page.find(id="f-cirrhosis-no").has_attr("checked")
    assert page.find(id="f-tumor_size_cm-1")["value"] == "-1"
    assert "greater than 0" in page.find(id="e-tumor_size_cm-1").get_text()
    summary_links = {a["href"] for a in page.select(".error-summary a")}
    assert {"#f-largest_tumor_cm", "#f-inr", "#f-tumor_size_cm-1"} <= summary_links


def test_engine_level_contradictions_are_placed_on_the_form(client: TestClient) -> None:
    response = submit(client, {**EARLY, "tumor_count": "2", "tumor_size_cm": ["2", "3", "1"],
                               "largest_tumor_cm": ""})
    assert response.status_code == 422
    error = soup(response).find(id="e-tumor_count").get_text()
    assert "says 2" in error and "list 3" in error
    contradiction = submit(client, {**EARLY, "vascular_invasion": "no",
                                    "major_vascular_invasion": "yes"})
    assert contradiction.status_code == 422
    assert "Major vein involved" in soup(contradiction).find(id="e-vascular_invasion").get_text()


# --- the result -------------------------------------------------------------------------------

def test_early_cancer_shows_surgery_as_main_option_with_its_details(client: TestClient) -> None:
    response = submit(client, EARLY)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    timing = dict(re.findall(r"(\w+);dur=([\d.]+)", response.headers["server-timing"]))
    assert set(timing) == {"engine", "render", "app", "total"}
    page = soup(response)
    assert "Cancer that may be removed with surgery" in page.find(id="situation-heading").get_text()
    assert options_under(page, "primary") == ["partial_hepatectomy"]
    card = page.find(id="option-partial_hepatectomy")
    text = card.get_text(" ", strip=True)
    assert "What it involves" in text and "Side effects" in text and "Surgeon" in text
    assert "(Source: Partial hepatectomy" in text or "(Source:" in text
    assert "liver_transplant" in options_under(page, "alternative")
    tnm = page.find("section", class_="measures").get_text(" ", strip=True)
    assert "T1b N0 M0" in tnm and "stage IB" in tnm and "Within the Milan rule" in tnm
    questions = page.select("section.questions ol li")
    assert len(questions) == len(PACK.topic("questions").items)
    topics = {h.get_text(strip=True) for h in page.select("section.more-topics h3")}
    assert {"Getting a second opinion", "Clinical trials",
            "Complementary and alternative methods"} <= topics
    assert page.select("ul.red-flags li")
    assert "Nothing you typed was stored" in page.get_text()


def test_unresectable_and_advanced_cancer(client: TestClient) -> None:
    page = soup(submit(client, UNRESECTABLE))
    assert "embolization" in options_under(page, "primary")
    # Four tumours: ablation is for a few small tumours (at most 3; issue 9, defect 5).
    assert "ablation" in options_under(page, "not_advised")
    assert "partial_hepatectomy" in options_under(page, "not_advised")
    advanced = soup(submit(client, ADVANCED))
    assert "sorafenib" in options_under(advanced, "primary")
    assert "partial_hepatectomy" in options_under(advanced, "not_advised")
    sorafenib = advanced.find(id="option-sorafenib")
    assert "What has changed since 2017" in sorafenib.get_text()
    assert "2020" in sorafenib.find(class_="currency").get_text()


def test_unknown_fitness_keeps_the_category_open_and_says_what_would_change_it(
        client: TestClient) -> None:
    page = soup(submit(client, {**EARLY, "fit_for_surgery": ""}))
    assert "not clear yet" in page.find(id="situation-heading").get_text()
    candidates = [li.get_text(" ", strip=True) for li in page.select("ul.candidates li")]
    assert any("removed with surgery" in c and "healthy enough for a major operation: yes" in c
               for c in candidates)
    assert any("not well enough for surgery" in c and ": no" in c for c in candidates)
    # Issue 12: one grid (options down, situations across); "depends on" said once.
    depends = page.find("section", class_="fit-group-unknown")
    assert "whether you are healthy enough for surgery" in depends.find(
        class_="depends-once").get_text()
    surgery = depends.find(id="option-partial_hepatectomy").get_text(" ", strip=True)
    assert "main option" in surgery  # under one candidate situation it would be a main option
    asks = page.select("section.glance ol.glance-asks li")
    assert any("healthy enough for surgery" in li.get_text() for li in asks)


def test_lab_values_with_units_give_child_pugh_points(client: TestClient) -> None:
    form = {**EARLY, "child_pugh_class": "", "bilirubin": "40", "bilirubin_unit": "umol/L",
            "albumin": "30", "albumin_unit": "g/L", "inr": "1.1", "ascites": "none",
            "encephalopathy": "none"}
    page = soup(submit(client, form))
    rows = {tr.th.get_text(): tr.find_all("td")[1].get_text()
            for tr in page.select("table.cp-table tbody tr")}
    assert rows == {"Bilirubin": "2", "Albumin": "2", "INR": "1",
                    "Ascites (fluid in the belly)": "1",
                    "Encephalopathy (confusion from the liver)": "1"}
    measures = " ".join(page.find("section", class_="measures").get_text().split())
    assert "Class B7 (class B, score 7 of 15; worked out from the items given)" in measures


def test_no_treatment_wish_puts_symptom_care_first(client: TestClient) -> None:
    page = soup(submit(client, {**ADVANCED, "wants_treatment": "no"}))
    first = page.find("article", class_="option")
    assert first["id"] == "option-palliative_care"
    assert page.find(id="topic-stopping")


def test_download_json_is_exactly_the_engine_assessment(client: TestClient) -> None:
    page = soup(submit(client, {**EARLY, "bilirubin": "15", "bilirubin_unit": "umol/L"}))
    fields = hidden_fields(page.find("form", action="/assess.json"))
    response = client.post("/assess.json", data=fields)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    expected = assess({"tumor_count": 1, "largest_tumor_cm": 3.0, "vascular_invasion": False,
                       "lymph_node_spread": False, "distant_spread": False, "cirrhosis": False,
                       "fit_for_surgery": True, "child_pugh_class": "A",
                       "bilirubin": "15 umol/L"}, PACK)
    assert json.loads(response.text) == json.loads(json.dumps(expected))
    bad = client.post("/assess.json", data={**fields, "inr": "zero"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "inr"


def test_change_my_answers_refills_the_form(client: TestClient) -> None:
    page = soup(submit(client, UNRESECTABLE))
    fields = hidden_fields(page.find("form", action="/assess/edit"))
    again = soup(client.post("/assess/edit", data=fields))
    assert again.find(id="f-tumor_count")["value"] == "4"
    assert again.find(id="f-fit_for_surgery").has_attr("checked")


# --- security ---------------------------------------------------------------------------------

def test_security_headers_on_every_kind_of_response(client: TestClient) -> None:
    responses = [client.get("/"), client.get("/static/style.css"), client.get("/treatments/x"),
                 client.get("/api/options"), submit(client, EARLY), client.get("/no-such-page"),
                 client.post("/assess", content=b"x" * 10_000,
                             headers={"content-type": "application/x-www-form-urlencoded"})]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_security_headers_once_each_on_cds_answers_413s_and_the_docs(client: TestClient) -> None:
    """One middleware adds the headers and rewrites 413s: each header comes once, beside
    the CDS service's CORS header and a route's own headers, on a 413 too."""
    cds = "/cds-services/livertx-hcc-options"
    cards = client.post(cds, json={"hook": "patient-view", "hookInstance": "1",
                                   "context": {"userId": "Practitioner/1", "patientId": "p1"},
                                   "prefetch": {}}, headers={"Origin": "https://ehr.example"})
    too_large = client.post(cds, content=b"x" * 100_000,
                            headers={"content-type": "application/json"})
    link = client.get(f"{cds}/result/not-a-token")
    docs = client.get("/docs")
    assert (cards.status_code, too_large.status_code, link.status_code) == (412, 413, 404)
    assert cards.headers["access-control-allow-origin"] == "*"
    assert too_large.json()["detail"][0]["field"] == "body"
    assert too_large.headers["content-type"] == "application/json"
    assert int(too_large.headers["content-length"]) == len(too_large.content)
    assert link.headers["cache-control"] == "no-store"
    for response in (cards, too_large, link, docs):
        for name in ("content-security-policy", "x-content-type-options", "referrer-policy",
                     "x-frame-options", "cross-origin-opener-policy", "permissions-policy"):
            assert len(response.headers.get_list(name)) == 1, (response.url, name)
    assert "unsafe-inline" in docs.headers["content-security-policy"]
    assert "unsafe-inline" not in cards.headers["content-security-policy"]


def test_cross_site_posts_are_refused_and_the_answers_kept(client: TestClient) -> None:
    response = client.post("/assess", data=EARLY)  # no token at all
    assert response.status_code == 403
    page = soup(response)
    assert "For your safety" in page.find(id="form-notice").get_text()
    assert page.find(id="f-tumor_count")["value"] == "1"
    good = token(client)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stranger = TestClient(client.app)  # another browser: its own cookie
    stranger.get("/assess")
    assert stranger.post("/assess", data={"csrf_token": good, **EARLY}).status_code == 403
    assert client.post("/assess.json", data={"csrf_token": "forged", **EARLY}).status_code == 403
    cookie = client.get("/assess").headers.get("set-cookie") or ""
    if cookie:  # issued once per browser; when issued it is strict and script-proof
        assert "samesite=strict" in cookie.lower() and "httponly" in cookie.lower()


def test_the_json_api_is_not_subject_to_the_form_token(client: TestClient) -> None:
    response = client.post("/api/assess", json={"tumor_count": 1})
    assert response.status_code == 200


def test_bodies_over_the_cap_answer_413_everywhere(client: TestClient) -> None:
    big = "x" * 5000
    assert client.post("/assess", data={"csrf_token": token(client), "inr": big}).status_code == 413
    assert client.post("/api/assess", content=json.dumps({"x": big}),
                       headers={"content-type": "application/json"}).status_code == 413

    def chunks():  # no Content-Length: the cap counts the bytes as they arrive
        for _ in range(10):
            yield b"a" * 1000

    streamed = client.post("/assess", content=chunks(),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413


GARBAGE: list[tuple[str, Any]] = [
    ("data", {"tumor_count": "1e309", "largest_tumor_cm": "nan", "inr": "inf"}),
    ("data", {"ascites": "lots", "child_pugh_class": "D", "ecog": "7", "vascular_invasion": "maybe"}),
    ("data", {"bilirubin": "1", "bilirubin_unit": "furlongs", "albumin": "3", "albumin_unit": "%"}),
    ("data", {"tumor_size_cm": ["1"] * 80, "tumor_count": "0"}),
    ("data", {"spread_throughout_liver": "yes", "tumor_count": "2"}),
    ("data", {"tumor_count": "\x00\ud7ff<script>", "unknown_field": "x", "tumors": "[1]"}),
    ("data", {"clinical_trials_interest": "perhaps", "wants_treatment": "sure"}),
]


@pytest.mark.parametrize("kind,payload", GARBAGE)
def test_garbage_gets_422_never_500(client: TestClient, kind: str, payload: Any) -> None:
    response = submit(client, payload)
    assert response.status_code == 422
    page = soup(response)
    assert page.select(".field-error") or page.select(".error-summary li")
    assert not page.find("script", string=True)


def test_odd_requests_never_500(client: TestClient) -> None:
    odd = [client.post("/assess", content=b"\xff\xfe\x00garbage",
                       headers={"content-type": "multipart/form-data; boundary=zz"}),
           client.post("/assess", json={"tumor_count": 1}),
           client.post("/assess.json", content=b"%%%", headers={
               "content-type": "application/x-www-form-urlencoded"}),
           client.get("/search", params={"q": 'NEAR(" OR * ^ -- "' * 30}),
           client.get("/static/..%2Fpages.py"), client.get("/treatments/%00")]
    for response in odd:
        assert response.status_code < 500, response.status_code


def test_nothing_typed_reaches_the_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        submit(client, {**EARLY, "largest_tumor_cm": "4.321"})
        submit(client, {**EARLY, "inr": "12.345678"})
    assert "4.321" not in caplog.text and "12.345678" not in caplog.text


# --- search -----------------------------------------------------------------------------------

def test_search_finds_library_pages_that_exist(client: TestClient) -> None:
    page = soup(client.get("/search", params={"q": "radiofrequency"}))
    hits = page.select("ol.search-results li a")
    assert hits and hits[0]["href"] in ("/treatments/ablation/rfa", "/treatments/ablation")
    assert page.select("ol.search-results mark")
    for link in hits:
        assert client.get(link["href"].split("#")[0]).status_code == 200
    british = soup(client.get("/search", params={"q": "tumour ablation"}))
    assert british.select("ol.search-results li")
    none = soup(client.get("/search", params={"q": "zzzzqqq"}))
    assert "No results" in none.find("h2").get_text()


# --- issue 9: safety notes, serious side effects and ECOG on the result page ------------------

MAJOR_VEIN_ECOG_3 = {"tumor_count": "1", "largest_tumor_cm": "3", "vascular_invasion": "yes",
                     "major_vascular_invasion": "yes", "lymph_node_spread": "no",
                     "distant_spread": "no", "cirrhosis": "yes", "child_pugh_class": "A",
                     "fit_for_surgery": "yes", "ecog": "3"}
AFTER_SORAFENIB = {**ADVANCED, "sorafenib_status": "stopped_working"}


def _after(first: Any, then: Any) -> bool:
    """Whether `then` comes after `first` in the page."""
    return then in first.find_all_next()


def test_safety_notes_follow_the_situation_with_date_and_citation(client: TestClient) -> None:
    page = soup(submit(client, MAJOR_VEIN_ECOG_3))
    notes = page.find("section", class_="safety-notes")
    assert notes is not None
    assert _after(page.find("section", class_="situation"), notes)
    assert _after(notes, page.find("section", class_="options"))
    items = [" ".join(li.get_text(" ", strip=True).split()) for li in notes.select("li")]
    assert len(items) == 3
    assert items[0].startswith("Safety note (March 2022): Daily activity is very limited (ECOG 3 or 4).")
    assert any("main branch of the portal or hepatic vein" in i for i in items)
    citation = PACK.references["bclc-2022"].citation
    assert all(f"Source: {citation}" in i for i in items)
    assert notes.find("a")["href"] == PACK.references["bclc-2022"].url
    # Each note is shown once: not again among the "Please check" lines.
    assert not [p for p in page.select("p.warning") if "Safety note" in p.get_text()]


def test_other_warnings_stay_as_please_check(client: TestClient) -> None:
    page = soup(submit(client, {**MAJOR_VEIN_ECOG_3, "bilirubin": "40"}))
    checks = [p.get_text(" ", strip=True) for p in page.select("p.warning")]
    assert any(c.startswith("Please check: bilirubin: 40 was given without a unit") for c in checks)


def test_serious_side_effects_of_a_main_option_are_on_the_page(client: TestClient) -> None:
    page = soup(submit(client, AFTER_SORAFENIB))
    assert "regorafenib" in options_under(page, "primary")
    card = page.find(id="option-regorafenib")
    # Shown and printed, not behind a toggle (the common ones are, since issue 12).
    serious = [li.get_text(" ", strip=True) for li in card.select("ul.side-effects li.serious")
               if li.find_parent("details") is None]
    expected = PACK.option("regorafenib").side_effects.serious[0].text
    assert serious == [f"Less common but serious: {expected}"]


def test_ecog_is_shown_in_the_measures(client: TestClient) -> None:
    page = soup(submit(client, MAJOR_VEIN_ECOG_3))
    measures = " ".join(page.find("section", class_="measures").get_text(" ", strip=True).split())
    assert ("Daily activity (ECOG performance status) 3, in bed or chair more than half the day "
            "(shown only; the 2017 guide does not use it)") in measures
    unknown = soup(submit(client, EARLY)).find("section", class_="measures")
    assert "ECOG performance status) Not known" in " ".join(unknown.get_text(" ", strip=True).split())


def test_the_form_lab_note_matches_what_the_engine_does_with_some_items(client: TestClient) -> None:
    note = soup(client.get("/assess")).find(id="lab-values").find(class_="field-help").get_text()
    assert "You can give only some" in note and "only if these items still allow it" in note
    # Three items alone settle class C (at least 11 points), so the given A is not used.
    page = soup(submit(client, {**EARLY, "bilirubin": "4", "albumin": "2.5", "inr": "2.5"}))
    measures = " ".join(page.find("section", class_="measures").get_text(" ", strip=True).split())
    assert "Class C (class C; worked out from the items given)" in measures
