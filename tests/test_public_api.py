"""The typed public call and the renderer registry (issue 10).

`livertx.assess(patient, guideline=...)` returns the typed `Assessment`; its dump is the
same JSON every surface shows; the views are registered by name, and the CLI offers
exactly the registered ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from pydantic import ValidationError
from test_engine_properties import SETTINGS, patients
from typer.testing import CliRunner

import livertx
from livertx.cli import app
from livertx.cli.assess import Format
from livertx.contract import Assessment
from livertx.engine.assess import assess as assess_json
from livertx.errors import InvalidInput, PackError
from livertx.generate import generate_patients
from livertx.knowledge import load_pack
from livertx.knowledge.pack import load_guideline
from livertx.render.registry import RENDERERS, render

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def test_assess_is_typed_and_dumps_to_the_cli_json() -> None:
    result = livertx.assess(_example("early"))
    assert isinstance(result, Assessment)
    assert result.category.id == "potentially_resectable"
    assert [o.id for o in result.options if o.fit == "primary"] == ["partial_hepatectomy"]
    assert result.derived.child_pugh.class_ == "A"
    cli = CliRunner().invoke(app, ["assess", str(EXAMPLES / "early.json"), "--format", "json"])
    assert cli.exit_code == 0, cli.output
    assert result.model_dump(by_alias=True) == json.loads(cli.stdout)


@SETTINGS
@given(patients())
def test_the_typed_contract_keeps_every_key_of_the_json(row: dict) -> None:
    patient = {k: v for k, v in row.items() if v is not None}
    assert livertx.assess(patient).model_dump(by_alias=True) == assess_json(patient)


def test_an_unknown_guideline_names_the_known_ones() -> None:
    with pytest.raises(PackError, match="available: acs-2017"):
        livertx.assess({}, guideline="nccn-2031")


def test_bad_input_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        livertx.assess({"tumor_count": 0})
    assert caught.value.errors[0].field == "tumor_count"


def test_the_cli_offers_exactly_the_registered_views() -> None:
    assert {f.value for f in Format} == set(RENDERERS)


def test_the_cds_view_carries_the_safety_cards() -> None:
    patient = {**_example("advanced"), "ecog": 3}
    cards = json.loads(render("cds", assess_json(patient), load_pack()))["cards"]
    assert cards[0]["indicator"] == "info" and "advanced cancer" in cards[0]["summary"]
    assert any(c["summary"].startswith("Safety note (2022-03)") for c in cards)


def test_the_markdown_view_is_the_handout() -> None:
    text = render("markdown", assess_json(_example("advanced")), load_pack())
    assert text.startswith("# Treatment options") and "## Main options" in text


def test_the_html_view_is_a_standalone_handout_and_the_web_page_is_the_same_view() -> None:
    """`--format html` is the result page alone: styles inlined (it opens from a file), no
    form buttons or CSRF token, the notices and the main options in it."""
    cli = CliRunner().invoke(app, ["assess", str(EXAMPLES / "early.json"), "--format", "html"])
    assert cli.exit_code == 0, cli.output
    page = cli.stdout
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert "/static/style.css" not in page and "<form" not in page and "csrf" not in page
    assert "Educational, not medical advice." in page and "Newer treatments exist." in page
    main = livertx.assess(_example("early"))
    assert main.category.name and f"Your situation: {main.category.name}" in page
    for option in main.options:
        if option.fit == "primary":
            assert load_pack().option(option.id).name in page


def test_the_html_view_refuses_several_files_instead_of_dropping_them() -> None:
    early = str(EXAMPLES / "early.json")
    refused = CliRunner().invoke(app, ["assess", early, early, "--format", "html"])
    assert refused.exit_code == 2 and "give one file" in refused.output


@pytest.mark.parametrize("guideline", ["acs-2017", "bclc-2022"])
def test_the_typed_result_dumps_to_exactly_the_json_for_generated_patients(guideline: str
                                                                          ) -> None:
    """`livertx.assess` shares option entries between results (`livertx.engine.typed`); its
    dump must still be the JSON of the dict path, value for value and type for type, for
    decided and open patients alike (each patient assessed twice: the second time every
    entry is a kept one)."""
    pack = load_guideline(guideline)
    frame = generate_patients(150, seed=29, unknown_rate=0.3)
    checked = opened = 0
    for row in frame.iter_rows(named=True):
        patient = {k: v for k, v in row.items() if v is not None}
        try:
            expected = json.dumps(assess_json(patient, pack), sort_keys=True)
        except InvalidInput:
            continue
        for _ in range(2):
            typed = livertx.assess(patient, guideline=guideline).model_dump(by_alias=True)
            assert json.dumps(typed, sort_keys=True) == expected, patient
        checked += 1
        opened += typed["category"]["id"] is None
    assert checked >= 100 and opened >= 10, (checked, opened)


def test_a_shared_option_entry_cannot_be_changed_through_one_result() -> None:
    """Results share their option entries: changing one result's entry would change every
    later result with the same entry, so the entries refuse to change."""
    first = livertx.assess(_example("early"))
    option = first.options[0]
    with pytest.raises(ValidationError):
        option.fit = "not_advised"  # type: ignore[misc]
    with pytest.raises(TypeError, match="shared between assessments"):
        option.reasons.append(option.reasons[0])
    with pytest.raises(TypeError, match="shared between assessments"):
        option.side_effects[0] = "changed"
    again = livertx.assess(_example("early")).options[0]
    assert again.fit == "primary" and len(again.reasons) == 1
    copied = list(option.side_effects)  # a copy is an ordinary list
    copied.append("mine")
    assert again.side_effects == copied[:-1]
