"""Every surface takes the guideline: `--guideline` on the CLI commands, `?guideline=` on
the JSON API, a choice on the web form; and `livertx compare` shows both packs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from test_bclc import BASE
from test_web_pages import app, client, soup, submit  # noqa: F401 (fixtures)
from typer.testing import CliRunner

from livertx.cli import app as cli_app
from livertx.compare import compare
from livertx.frame import COLUMN_SCHEMA

runner = CliRunner()
EXAMPLE = Path(__file__).parents[1] / "examples" / "compare_patient.json"


def _invoke(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(cli_app, list(args), input=stdin)


def test_assess_takes_the_guideline() -> None:
    result = _invoke("assess", "-", "--guideline", "bclc-2022", "-f", "json",
                     stdin=json.dumps({**BASE, "distant_spread": True}))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["guideline"]["id"] == "bclc-2022"
    assert answer["category"]["id"] == "bclc_c"
    assert "meld_na" in answer["derived"] and "albi" in answer["derived"]
    default = json.loads(_invoke("assess", "-", "-f", "json", stdin=json.dumps(BASE)).output)
    assert default["guideline"]["id"] == "acs-2017"


def test_an_unknown_guideline_is_refused_by_name() -> None:
    result = _invoke("assess", "-", "--guideline", "nccn", stdin=json.dumps(BASE))
    assert result.exit_code == 2
    assert "nccn" in result.output and "bclc-2022" in result.output
    assert "Traceback" not in result.output


def test_options_and_explain_take_the_guideline() -> None:
    listed = _invoke("options", "--guideline", "bclc-2022")
    assert listed.exit_code == 0 and "chemoembolization" in listed.output
    assert "chemoembolization" not in _invoke("options").output
    explained = _invoke("explain", "nivolumab_ipilimumab", "--guideline", "bclc-2022",
                        "-f", "markdown")
    assert explained.exit_code == 0 and "2025" in explained.output
    assert _invoke("explain", "nivolumab_ipilimumab").exit_code == 2  # not a 2017 option


def test_cohort_and_sql_take_the_guideline(tmp_path: Path) -> None:
    rows = [{**BASE, "patient_id": 1}, {**BASE, "patient_id": 2, "distant_spread": True},
            {**BASE, "patient_id": 3, "ecog": 3}, {**BASE, "patient_id": 4, "ecog": None}]
    source = tmp_path / "in.parquet"
    # every vocabulary column present: the exported SQL reads them all
    pl.DataFrame(rows, schema={"patient_id": pl.Int64, **COLUMN_SCHEMA}).write_parquet(source)
    out = tmp_path / "out.parquet"
    result = _invoke("cohort", str(source), "-o", str(out), "--guideline", "bclc-2022")
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(out)
    assert frame["category"].to_list() == ["bclc_a", "bclc_c", "bclc_d", None]
    # candidates in the stage table's order (D, C, then by tumour burden)
    assert frame["category_candidates"][3].to_list() == ["bclc_d", "bclc_c", "bclc_a"]
    assert frame["fit_atezolizumab_bevacizumab"][1] == "primary"
    sql = _invoke("sql", "--guideline", "bclc-2022", "--keep", "patient_id")
    assert sql.exit_code == 0
    with duckdb.connect() as db:
        db.execute(f"CREATE VIEW patients AS SELECT * FROM read_parquet('{source}')")
        table = db.sql(sql.output.rstrip().rstrip(";")).to_arrow_table()
    warehouse = pl.DataFrame(pl.from_arrow(table)).sort("patient_id")
    assert warehouse["category"].to_list() == frame["category"].to_list()
    assert warehouse["fit_atezolizumab_bevacizumab"].to_list() == \
        frame["fit_atezolizumab_bevacizumab"].to_list()


def test_the_api_takes_the_guideline(client: Any) -> None:  # noqa: F811
    answer = client.post("/api/assess?guideline=bclc-2022", json={**BASE, "ecog": 1})
    assert answer.status_code == 200
    assert answer.json()["category"]["id"] == "bclc_c"
    assert client.post("/api/assess", json=BASE).json()["guideline"]["id"] == "acs-2017"
    options = client.get("/api/options?guideline=bclc-2022").json()
    assert "durvalumab_tremelimumab" in {o["id"] for o in options}
    assert client.get("/api/pack?guideline=bclc-2022").json()["id"] == "bclc-2022"
    bad = client.post("/api/assess?guideline=nope", json=BASE)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "guideline"


def test_the_web_form_offers_the_guideline(client: Any) -> None:  # noqa: F811
    form = soup(client.get("/assess")).find("form", action="/assess")
    choice = form.find("select", attrs={"name": "guideline"})
    assert [o["value"] for o in choice.find_all("option")] == ["acs-2017", "bclc-2022"]
    assert form.find("label", attrs={"for": choice["id"]})
    typed = {"guideline": "bclc-2022", "tumor_count": "1", "largest_tumor_cm": "2.5",
             "vascular_invasion": "no", "lymph_node_spread": "yes", "distant_spread": "no",
             "child_pugh_class": "A", "ascites": "none", "encephalopathy": "none",
             "bilirubin": "0.8", "bilirubin_unit": "mg/dL", "ecog": "0"}
    page = submit(client, typed)
    assert page.status_code == 200
    assert "BCLC stage C" in page.text
    assert "What current guidance" in soup(page).find("p", class_="disclaimer-line").get_text()
    kept = soup(page).find("input", attrs={"type": "hidden", "name": "guideline"})
    assert kept["value"] == "bclc-2022"  # "change my answers" keeps the choice
    bad = submit(client, {**typed, "guideline": "other"})
    assert bad.status_code == 422
    assert soup(bad).find("select", attrs={"name": "guideline"})


def test_compare_matches_options_through_same_as() -> None:
    patient = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    result = compare(patient)
    assert result["category"]["acs-2017"]["id"] == "unresectable"
    assert result["category"]["bclc-2022"]["id"] == "bclc_c"
    rows = {r["option"]: r for r in result["options"]}
    embolization = rows["embolization"]
    assert [o["id"] for o in embolization["bclc-2022"]] == ["chemoembolization", "radioembolization"]
    assert embolization["acs-2017"]["fit"] == "primary"
    assert embolization["agreement"] == "differ"
    assert rows["palliative_care"]["bclc-2022"][0]["id"] == "best_supportive_care"
    assert rows["radiation"]["bclc-2022"][0]["id"] == "sbrt"
    assert rows["atezolizumab_bevacizumab"]["agreement"] == "only_current"
    assert rows["nivolumab"]["agreement"] == "only_2017"
    assert rows["partial_hepatectomy"]["agreement"] == "same"
    for row in result["options"]:
        for side in [row["acs-2017"], *row["bclc-2022"]]:
            if side and side["fit"] != "unknown":
                assert side["reasons"] and all(r["source"] and r["citation"]
                                               for r in side["reasons"])


def test_compare_on_the_command_line() -> None:
    text = _invoke("compare", str(EXAMPLE), "-f", "markdown")
    assert text.exit_code == 0, text.output
    assert "| Tumor embolization | main option |" in text.output
    assert "Where they differ, and why" in text.output
    as_json = json.loads(_invoke("compare", str(EXAMPLE), "-f", "json").output)
    assert set(as_json["guidelines"]) == {"acs-2017", "bclc-2022"}
    bad = _invoke("compare", "-", stdin=json.dumps({"ecog": 9}))
    assert bad.exit_code == 2 and "ecog" in bad.output


@pytest.mark.parametrize("change", [{}, {"ecog": None}, {"distant_spread": True}])
def test_compare_never_fails_for_a_vocabulary_patient(change: dict[str, Any]) -> None:
    result = compare({**BASE, **change})
    assert sum(result["summary"].values()) == len(result["options"])


def test_the_result_page_links_to_a_web_compare_page(client: Any) -> None:  # noqa: F811
    typed = {"tumor_count": "1", "largest_tumor_cm": "4", "vascular_invasion": "yes",
             "major_vascular_invasion": "yes", "lymph_node_spread": "no",
             "distant_spread": "no", "child_pugh_class": "A", "ascites": "none",
             "encephalopathy": "none", "bilirubin": "0.9", "bilirubin_unit": "mg/dL",
             "fit_for_surgery": "yes", "ecog": "0"}
    result = soup(submit(client, typed))
    link = result.find("form", action="/compare")
    assert "current guidance" in link.get_text()
    fields = {i["name"]: i["value"] for i in link.find_all("input", type="hidden")}
    page = client.post("/compare", data=fields)
    assert page.status_code == 200
    html = soup(page)
    assert "BCLC stage C" in html.get_text()
    rows = {tr.find("th").get_text(strip=True): tr for tr in
            html.find(id="compare-options").find("tbody").find_all("tr")}
    assert "agreement-differ" in rows["Tumor embolization"]["class"]
    assert "Where they differ" in html.get_text()
    assert client.post("/compare", data={k: v for k, v in fields.items()
                                         if k != "csrf_token"}).status_code == 403


def test_cds_cards_name_the_bclc_stage_and_the_first_options() -> None:
    result = _invoke("assess", "-", "--guideline", "bclc-2022", "-f", "cds",
                     stdin=json.dumps({**BASE, "distant_spread": True}))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)["cards"][0]["summary"]
    assert summary.startswith("HCC, BCLC stage C (advanced)")
    assert "first options: Atezolizumab with bevacizumab" in summary and len(summary) < 140


def test_the_about_page_of_current_guidance_lists_its_secondary_rules(client: Any) -> None:  # noqa: F811
    page = soup(client.get("/about?guideline=bclc-2022"))
    text = page.get_text(" ")
    assert "Rules that rest on a secondary reading" in text
    assert "How this pack reads liver function" in text
    assert page.find("tr", id="rule-BCL-02") is not None
    assert "Rules that rest on a secondary reading" not in soup(client.get("/about")).get_text()
