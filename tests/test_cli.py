"""The `livertx` command as a person uses it: assess, calc, options, explain.

Runs the real Typer app in-process (typer's CliRunner) on the example files; the text view
is checked for what a reader needs: the disclaimer, the source's dates and the notice that
newer treatments exist, options grouped by fit, and what is unknown with what it would change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from livertx.cli import app
from livertx.knowledge import load_pack

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))
runner = CliRunner()
PACK = load_pack()

TOP_KEYS = {"livertx", "guideline", "patient", "derived", "category", "options", "missing",
            "missing_explained", "warnings"}
CATEGORY_KEYS = {"id", "name", "rule", "reasons", "candidates"}
OPTION_KEYS = {"id", "name", "group", "fit", "rule", "techniques", "reasons", "notes", "missing",
               "care_team", "side_effects", "serious_side_effects", "currency_notes"}


def _flat(text: str) -> str:
    """Terminal rendering undone: wrapped lines joined, quote bars and bullets dropped."""
    return re.sub(r"\s+", " ", re.sub(r"[▌•┃│]", " ", text))


def _run(*args: str, input: str | None = None):
    result = runner.invoke(app, list(args), input=input)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _json(*args: str):
    result = _run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_assess_json_has_the_contract(path: Path) -> None:
    data = _json("assess", str(path), "--format", "json")
    assert TOP_KEYS <= set(data)
    assert data["guideline"]["id"] == "acs-2017" and data["guideline"]["reviewed"]
    assert data["guideline"]["notice"] == PACK.info.currency_notice
    assert CATEGORY_KEYS <= set(data["category"])
    assert {"child_pugh", "milan", "tnm"} <= set(data["derived"])
    assert len(data["options"]) == 12
    assert len({o["id"] for o in data["options"]}) == 12
    for option in data["options"]:
        assert OPTION_KEYS <= set(option), option["id"]
        assert option["fit"] in {"primary", "alternative", "not_advised", "unknown"}
        for reason in option["reasons"]:
            assert reason["source"] in PACK.sections or reason["source"] in PACK.references
    assert [m["field"] for m in data["missing_explained"]] == data["missing"]


def test_assess_json_answers_for_the_early_example() -> None:
    data = _json("assess", str(EXAMPLES / "early.json"), "--format", "json")
    assert data["category"]["id"] == "potentially_resectable"
    assert data["category"]["rule"] == "CAT.03"
    fits = {o["id"]: o["fit"] for o in data["options"]}
    assert fits["partial_hepatectomy"] == "primary"
    assert data["options"][0]["id"] == "partial_hepatectomy"
    assert data["derived"]["child_pugh"]["class"] == "A"
    assert data["derived"]["tnm"]["stage"] == "IB"


def test_assess_reads_standard_input() -> None:
    text = (EXAMPLES / "advanced.json").read_text(encoding="utf-8")
    result = _run("assess", "-", "--format", "json", input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["category"]["id"] == "advanced"


def test_text_view_reads_like_a_handout() -> None:
    result = _run("assess", str(EXAMPLES / "unresectable.json"))
    assert result.exit_code == 0, result.output
    text = _flat(result.stdout)
    assert _flat(PACK.info.disclaimer) in text
    assert PACK.info.review_dates in text
    assert "newer medicines" in text.lower() and "atezolizumab" in text
    assert "Cancer only in the liver that cannot be removed safely" in text
    # Options grouped by fit, main options first, each with its reason and section.
    main, other, not_advised = (text.index("Main options"), text.index("Other options"),
                                text.index("Not usually advised in this situation"))
    assert main < other < not_advised
    assert main < text.index("Tumor embolization (main option)") < other
    assert other < text.index("Radiation therapy (other option)") < not_advised
    assert not_advised < text.index("Surgery to remove part of the liver")
    assert "[by-stage/unresectable:" in text
    assert "Who gives it: interventional radiologist" in text
    assert "Common side effects" in text


def test_text_view_names_unknown_inputs_and_what_they_change() -> None:
    result = _run("assess", str(EXAMPLES / "unknown-fitness.json"))
    assert result.exit_code == 0, result.output
    text = _flat(result.stdout)
    assert "not yet clear" in text
    # The open category: each candidate with the input that decides it.
    # Cirrhosis is false but the class is unknown: a known class B or C would still rule out
    # surgery (issue 9, defect 1), so the class is one of the deciding inputs.
    assert ("Cancer that may be removed with surgery if Child-Pugh class: A; healthy enough for "
            "a major operation: yes" in text)
    assert ("Cancer that may be treated with a liver transplant if Child-Pugh class: B or C; "
            "healthy enough for a major operation: yes. A tumor in a place that is hard to remove "
            "also leads to this group, even when the liver works well" in text)
    assert ("Cancer only in the liver, in a person not well enough for surgery if healthy enough "
            "for a major operation: no" in text)
    assert "Depends on what we don't know yet" in text
    assert ("Depends on: your Child-Pugh class (or the lab values behind it), whether you are "
            "healthy enough for surgery" in text)
    assert ("if the situation is Cancer that may be removed with surgery: main option" in text)
    assert "What would make this answer more complete" in text
    assert "Whether you are healthy enough for surgery (fit_for_surgery)" in text


def test_markdown_view_is_markdown() -> None:
    result = _run("assess", str(EXAMPLES / "advanced.json"), "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# ")
    assert "## Main options" in result.stdout
    assert PACK.info.disclaimer in result.stdout
    assert "Sorafenib (Nexavar)" in result.stdout


@pytest.mark.parametrize(("patient", "field"), [
    ({"tumor_count": 0}, "tumor_count"),
    ({"largest_tumor_cm": -2}, "largest_tumor_cm"),
    ({"bilirubin": "40 furlongs"}, "bilirubin"),
    ({"bilirubin": 500}, "bilirubin"),
    ({"ascites": "lots"}, "ascites"),
    ({"tumour_count": 1}, "tumour_count"),
    ({"fit_for_surgery": "maybe"}, "fit_for_surgery"),
    ({"major_vascular_invasion": True, "vascular_invasion": False}, "vascular_invasion"),
    ({"tumors": [{"size_cm": 2}], "tumor_count": 3}, "tumor_count"),
])
def test_bad_input_exits_2_naming_the_field(patient: dict, field: str, tmp_path: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(patient), encoding="utf-8")
    result = _run("assess", str(path), "--format", "json")
    assert result.exit_code == 2, result.output
    assert field in result.stderr
    assert result.stdout == ""


def test_bad_input_names_the_accepted_range(tmp_path: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps({"inr": 40}), encoding="utf-8")
    result = _run("assess", str(path))
    assert result.exit_code == 2
    assert "inr" in result.stderr and "15" in result.stderr


def test_invalid_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"tumor_count": 1,', encoding="utf-8")
    result = _run("assess", str(path))
    assert result.exit_code == 2
    assert "not valid JSON" in _flat(result.stderr)


def test_json_that_is_not_an_object_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    result = _run("assess", str(path))
    assert result.exit_code == 2
    assert "patient" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = _run("assess", str(tmp_path / "nobody.json"))
    assert result.exit_code == 2
    assert "cannot read" in _flat(result.stderr)


def test_child_pugh_calculator_json() -> None:
    data = _json("calc", "child-pugh", "--bilirubin", "40umol/L", "--albumin", "3.1", "--inr",
                 "1.8", "--ascites", "slight", "--encephalopathy", "none", "--format", "json")
    points = {item: detail["points"] for item, detail in data["items"].items()}
    # 40 umol/L is 2.34 mg/dL (2-3: 2 points); albumin 3.1 (2.8-3.5: 2); INR 1.8 (1.7-2.3: 2).
    assert points == {"bilirubin": 2, "albumin": 2, "inr": 2, "ascites": 2, "encephalopathy": 1}
    assert data["score"] == 9 and data["class"] == "B"


def test_child_pugh_calculator_rejects_a_bad_value() -> None:
    result = _run("calc", "child-pugh", "--bilirubin", "1", "--albumin", "3.1", "--inr", "1.2",
                  "--ascites", "oceans", "--encephalopathy", "none")
    assert result.exit_code == 2
    assert "ascites" in result.stderr


def test_options_lists_twelve_options() -> None:
    result = _run("options")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines()
            if re.match(r"^│\s*[a-z_]+…?\s*│", line)]
    assert len(rows) == 12, result.stdout
    for option_id in ("partial_hepatectomy", "sorafenib", "palliative_care"):
        assert option_id in result.stdout


def test_explain_sorafenib_shows_dosing_and_currency_note() -> None:
    result = _run("explain", "sorafenib")
    assert result.exit_code == 0, result.output
    text = _flat(result.stdout)
    assert "two times a day" in text
    assert "atezolizumab given with bevacizumab" in text
    assert "2020-05-29" in text
    assert "SOR.02" in text  # when the guide suggests it, row by row


def test_explain_nivolumab_shows_the_2021_withdrawal() -> None:
    text = _flat(_run("explain", "nivolumab", "--format", "markdown").stdout)
    assert "2021" in text and "withdrew" in text


def test_explain_unknown_option_exits_2() -> None:
    result = _run("explain", "nope")
    assert result.exit_code == 2
    assert "nope" in result.stderr and "sorafenib" in _flat(result.stderr)


# --- issue 9: safety notes, serious side effects and ECOG in the handout ----------------------

MAJOR_VEIN_ECOG_3 = {"tumor_count": 1, "largest_tumor_cm": 3, "vascular_invasion": True,
                     "major_vascular_invasion": True, "lymph_node_spread": False,
                     "distant_spread": False, "cirrhosis": True, "child_pugh_class": "A",
                     "fit_for_surgery": True, "ecog": 3}
BCLC_2022 = PACK.references["bclc-2022"].citation


def _assess_text(patient: dict, *args: str) -> str:
    result = _run("assess", "-", *args, input=json.dumps(patient))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_safety_notes_come_near_the_top_with_date_and_citation(fmt: str) -> None:
    text = _flat(_assess_text(MAJOR_VEIN_ECOG_3, "--format", fmt))
    heading = text.index("Safety notes (newer than the 2017 guide)")
    assert text.index("Your situation") < heading < text.index("Main options")
    for words in ("Daily activity is very limited (ECOG 3 or 4).",
                  "The cancer involves a main branch of the portal or hepatic vein."):
        assert f"Safety note (2022-03): {words}" in text.replace("**", "")
    assert _flat(BCLC_2022) in text
    assert "Safety note (2022-03, bclc-2022)" not in text  # each note once, not again as a warning


def test_other_warnings_are_shown_before_the_answer_under_please_check() -> None:
    text = _flat(_assess_text({**MAJOR_VEIN_ECOG_3, "bilirubin": 40}, "--format", "markdown"))
    check = text.index("## Please check")
    assert check < text.index("## Your situation")
    assert "did you mean 40 µmol/L" in text[check:text.index("## Your situation")]
    assert "## Warnings" not in text


def test_handout_shows_serious_side_effects_of_main_options() -> None:
    after_sorafenib = {"tumor_count": 2, "largest_tumor_cm": 6, "vascular_invasion": True,
                       "lymph_node_spread": False, "distant_spread": True, "cirrhosis": True,
                       "child_pugh_class": "A", "sorafenib_status": "stopped_working"}
    text = _assess_text(after_sorafenib, "--format", "markdown")
    regorafenib = text[text.index("### Regorafenib"):]
    regorafenib = regorafenib[:regorafenib.index("\n### ")]
    assert "(main option)" in regorafenib
    serious = PACK.option("regorafenib").side_effects.serious[0].text
    assert f"Serious side effects** (less common): {serious}" in regorafenib


def test_handout_shows_ecog_in_the_measures() -> None:
    shown = _assess_text(MAJOR_VEIN_ECOG_3, "--format", "markdown")
    measures = shown[shown.index("## Measures"):shown.index("## Main options")]
    assert ("- ECOG performance status: 3, in bed or chair more than half the day "
            "(shown only; the 2017 guide does not use it)") in measures
    unknown = _assess_text({k: v for k, v in MAJOR_VEIN_ECOG_3.items() if k != "ecog"},
                           "--format", "markdown")
    assert "- ECOG performance status: unknown (shown only" in unknown
    text = _flat(_assess_text(MAJOR_VEIN_ECOG_3))
    assert "ECOG performance status: 3, in bed or chair more than half the day" in text
