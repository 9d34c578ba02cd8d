"""Golden cases: one hand-made patient per category and per option-fit rule of DESIGN.md.

The cases are data (tests/cases/<table>/<case>.json): the patient, the expected category or
fit, the rule id that must decide it, and where the expectation comes from. Each test also
checks that every reason and note cites a section or reference that exists in the pack, so
every answer can say "why" and "where it says so".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from livertx.engine import assess
from livertx.knowledge import load_pack

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*/*.json"))
OPTION_IDS = ("partial_hepatectomy", "liver_transplant", "ablation", "embolization", "radiation",
              "sorafenib", "regorafenib", "nivolumab", "chemotherapy", "hepatic_artery_infusion",
              "clinical_trial", "palliative_care")
CATEGORY_IDS = ("recurrent", "advanced", "potentially_resectable", "potentially_transplantable",
                "inoperable_local", "unresectable")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pack():
    return load_pack()


def _assert_cited(pack, source: str, where: str) -> None:
    assert source in pack.sections or source in pack.references, (
        f"{where} cites {source!r}, which is neither a section nor a reference of the pack")


def _rule_row(pack, rule_id: str):
    for table in pack.tables:
        for row in [*table.rules, *table.notes]:
            if row.id == rule_id:
                return table, row
    raise AssertionError(f"rule {rule_id} is not in any table of the pack")


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_case(path: Path, pack) -> None:
    case = _load(path)
    table, expect = path.parent.name, case["expect"]
    result = assess(case["patient"], pack)
    category = result["category"]

    # The category, and the rule that decided it (or where it stays open).
    if "category" in expect:
        assert category["id"] == expect["category"], case["provenance"]
    if expect.get("open"):
        assert category["id"] is None
        found = {c["id"]: c["requires"] for c in category["candidates"]}
        assert found == expect["candidates"], case["provenance"]
    for reason in category["reasons"]:
        _assert_cited(pack, reason["source"], f"category rule {reason['rule']}")
        assert reason["rule"] == category["rule"]

    if table == "category":
        assert category["rule"] == expect["rule"], case["provenance"]
        if category["id"] is not None:
            assert category["reasons"], "a known category carries its reason"
            _, row = _rule_row(pack, expect["rule"])
            assert row.outcome == expect["category"]
        return

    options = {o["id"]: o for o in result["options"]}
    option = options[table]
    assert option["fit"] == expect["fit"], f"{case['provenance']}: got rule {option['rule']}"
    assert option["rule"] == expect["rule"], case["provenance"]
    owner, row = _rule_row(pack, expect["rule"])
    assert owner.option == table, f"{expect['rule']} belongs to {owner.option}, not {table}"

    if expect["fit"] == "unknown":
        assert option["reasons"] == []
        assert set(expect.get("missing_includes", [])) <= set(option["missing"])
        assert set(expect.get("missing_includes", [])) <= set(result["missing"])
    else:
        assert row.outcome == expect["fit"]
        assert [r["rule"] for r in option["reasons"]] == [expect["rule"]]
        assert option["reasons"][0]["source"] == row.source
        assert option["reasons"][0]["text"].strip()
    for reason in option["reasons"]:
        _assert_cited(pack, reason["source"], f"{table} rule {reason['rule']}")

    notes = [n["rule"] for n in option["notes"]]
    for note in expect.get("notes", []):
        assert note in notes, f"note {note} missing ({case['provenance']})"
    for note in expect.get("absent_notes", []):
        assert note not in notes, f"note {note} should not apply ({case['provenance']})"
    for note in option["notes"]:
        _assert_cited(pack, note["source"], f"{table} note {note['rule']}")

    if "techniques" in expect:
        assert option["techniques"] == expect["techniques"]
    for other, fit in expect.get("other_fits", {}).items():
        assert options[other]["fit"] == fit, f"{other}: {options[other]['rule']}"

    # Every option is listed exactly once, whatever the person wants.
    assert sorted(o["id"] for o in result["options"]) == sorted(OPTION_IDS)
    if "first" in expect:
        first = result["options"][0]["id"] == table
        assert first is expect["first"], [o["id"] for o in result["options"]]


def test_every_category_and_option_has_cases() -> None:
    """The golden set covers each category and every option's table."""
    tables = {p.parent.name for p in CASE_FILES}
    assert tables == {"category", *OPTION_IDS}
    categories = {_load(p)["expect"].get("category") for p in CASE_FILES}
    assert set(CATEGORY_IDS) <= categories


def test_every_case_states_its_provenance() -> None:
    for path in CASE_FILES:
        case = _load(path)
        assert "DESIGN.md" in case["provenance"] or "source" in case["provenance"], path
        assert case["expect"].get("rule"), path


def test_every_table_row_is_exercised_by_a_case(pack) -> None:
    """Each rule row of every table is the deciding rule of at least one golden case."""
    decided = {_load(p)["expect"]["rule"] for p in CASE_FILES}
    rows = {r.id for t in pack.tables for r in t.rules}
    assert rows - decided == set()
