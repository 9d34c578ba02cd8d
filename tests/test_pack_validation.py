"""Knowledge-pack validation: a broken pack is rejected naming the file, the row and the reason.

Each test copies the embedded pack to a temporary folder, breaks one thing, and checks that
`load_pack(path)` (static checks on every load) or `check_pack` (evaluation over generated
patients: dead rules, unreachable options) rejects it, and that `livertx pack check PATH`
exits non-zero with the same message while the embedded pack passes. The embedded pack's
content is checked too: every option and topic, the currency notes, and no sentence taken
from the copyrighted source.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from livertx.cli import app
from livertx.errors import PackError
from livertx.knowledge import load_pack
from livertx.knowledge.pack import DEFAULT_PACK, PACKS_DIR
from livertx.knowledge.validate import check_pack

REPO = Path(__file__).resolve().parents[1]
EMBEDDED = PACKS_DIR / DEFAULT_PACK
OPTION_IDS = ("partial_hepatectomy", "liver_transplant", "ablation", "embolization", "radiation",
              "sorafenib", "regorafenib", "nivolumab", "chemotherapy", "hepatic_artery_infusion",
              "clinical_trial", "palliative_care")
runner = CliRunner()


def _flat(text: str) -> str:
    """Whitespace collapsed (the terminal may wrap long messages)."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture()
def pack_copy(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(EMBEDDED, target)
    return target


def _edit_table(pack: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = pack / "tables" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _row(table: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in [*table["rules"], *table.get("notes", [])] if r["id"] == rule_id)


def _rejected_on_load(pack: Path, *fragments: str) -> str:
    with pytest.raises(PackError) as info:
        load_pack(pack)
    message = _flat(str(info.value))
    for fragment in fragments:
        assert fragment in message, message
    return message


def _cli_rejects(pack: Path, *fragments: str) -> None:
    result = runner.invoke(app, ["pack", "check", str(pack)])
    output = _flat(result.output + (result.stderr if result.stderr_bytes is not None else ""))
    assert result.exit_code != 0, output
    assert "Traceback" not in output
    for fragment in fragments:
        assert fragment in output, output


def test_embedded_pack_passes_every_check() -> None:
    pack = load_pack(EMBEDDED)
    assert check_pack(pack) == []
    result = runner.invoke(app, ["pack", "check"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output
    assert runner.invoke(app, ["pack", "check", str(EMBEDDED)]).exit_code == 0


# --- broken on load (static checks) -------------------------------------------------------
STATIC_BREAKS: dict[str, tuple[str, str, Callable[[dict], None], tuple[str, ...]]] = {
    "condition_does_not_parse": (
        "ablation", "AB.04",
        lambda t: _row(t, "AB.04").update(when="near_major_structures AND ("),
        ("tables/ablation.yaml", "row AB.04", "does not parse")),
    "condition_names_unknown_column": (
        "ablation", "AB.04",
        lambda t: _row(t, "AB.04").update(when="near_major_vessels"),
        ("tables/ablation.yaml", "row AB.04", "unknown column 'near_major_vessels'")),
    "condition_uses_is_null": (
        "sorafenib", "SOR.02",
        lambda t: _row(t, "SOR.02").update(when="cp_class IS NULL"),
        ("tables/sorafenib.yaml", "row SOR.02", "not allowed")),
    "dangling_source": (
        "sorafenib", "SOR.02",
        lambda t: _row(t, "SOR.02").update(source="by-stage/nowhere"),
        ("tables/sorafenib.yaml", "row SOR.02", "'by-stage/nowhere'", "neither a section nor a reference")),
    "dangling_note_source": (
        "embolization", "EM.N2",
        lambda t: _row(t, "EM.N2").update(source="embolization/none"),
        ("tables/embolization.yaml", "row EM.N2", "'embolization/none'")),
    "duplicate_rule_id": (
        "radiation", "RT.02",
        lambda t: _row(t, "RT.02").update(id="RT.01"),
        ("tables/radiation.yaml", "row RT.01", "duplicate rule id")),
    "option_never_advised": (
        "regorafenib", "REG.03",
        lambda t: [r.update(outcome="not_advised") for r in t["rules"]],
        ("tables/regorafenib.yaml", "'regorafenib' is never advised")),
    "last_row_not_true": (
        "palliative_care", "PC.03",
        lambda t: _row(t, "PC.03").update(when="category = 'unresectable'"),
        ("tables/palliative_care.yaml", "row PC.03", "last row must be TRUE")),
    "outcome_not_a_fit": (
        "chemotherapy", "CHE.02",
        lambda t: _row(t, "CHE.02").update(outcome="maybe"),
        ("tables/chemotherapy.yaml", "row CHE.02", "outcome 'maybe'")),
    "technique_of_another_option": (
        "ablation", "AB.07",
        lambda t: _row(t, "AB.07").update(techniques=["rfa", "tace"]),
        ("tables/ablation.yaml", "row AB.07", "technique 'tace'")),
}


@pytest.mark.parametrize("name", sorted(STATIC_BREAKS))
def test_broken_pack_is_rejected_on_load(name: str, pack_copy: Path) -> None:
    table, _, change, fragments = STATIC_BREAKS[name]
    _edit_table(pack_copy, table, change)
    _rejected_on_load(pack_copy, *fragments)
    _cli_rejects(pack_copy, *fragments)


def test_row_without_a_source_is_rejected(pack_copy: Path) -> None:
    _edit_table(pack_copy, "radiation", lambda t: _row(t, "RT.02").pop("source"))
    _rejected_on_load(pack_copy, "radiation.yaml", "source", "Field required")


def test_missing_file_is_rejected(pack_copy: Path) -> None:
    (pack_copy / "topics.yaml").unlink()
    _rejected_on_load(pack_copy, "topics.yaml", "file missing")
    _cli_rejects(pack_copy, "topics.yaml", "file missing")


def test_missing_option_table_is_rejected(pack_copy: Path) -> None:
    (pack_copy / "tables" / "radiation.yaml").unlink()
    _rejected_on_load(pack_copy, "option 'radiation' has no decision table")
    _cli_rejects(pack_copy, "option 'radiation' has no decision table")


def test_invalid_yaml_is_rejected(pack_copy: Path) -> None:
    path = pack_copy / "tables" / "sorafenib.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    _rejected_on_load(pack_copy, "sorafenib.yaml", "not valid YAML")


def test_missing_category_is_rejected(pack_copy: Path) -> None:
    _edit_table(pack_copy, "category",
                lambda t: t.update(rules=[r for r in t["rules"]
                                         if r["id"] not in ("CAT.05", "CAT.07")]))
    _rejected_on_load(pack_copy, "tables/category.yaml", "'inoperable_local' is never an outcome")


# --- broken only when evaluated (dynamic checks in check_pack / pack check) ------------------
def _shadowed_row(table: dict[str, Any]) -> None:
    """A row after one that always catches the same patients: nobody reaches it."""
    rows = table["rules"]
    rows.insert(1, {**rows[0], "id": "CHE.01b"})


def _unreachable_option(table: dict[str, Any]) -> None:
    """The first row catches everyone as not advised; the advised rows can never hold."""
    table["rules"][0].update(when="TRUE OR category = 'advanced'")


@pytest.mark.parametrize(("table", "change", "fragments"), [
    ("chemotherapy", _shadowed_row,
     ("tables/chemotherapy.yaml", "row CHE.01b", "dead rule")),
    ("hepatic_artery_infusion", _unreachable_option,
     ("tables/hepatic_artery_infusion.yaml", "'hepatic_artery_infusion' (unreachable option)",
      "row HAI.03", "dead rule")),
], ids=["dead_rule", "unreachable_option"])
def test_dead_rows_and_unreachable_options_are_found(table: str, change: Callable, fragments,
                                                     pack_copy: Path) -> None:
    _edit_table(pack_copy, table, change)
    problems = _flat(" | ".join(check_pack(load_pack(pack_copy))))
    for fragment in fragments:
        assert fragment in problems, problems
    _cli_rejects(pack_copy, *fragments)


# --- what the embedded pack holds ------------------------------------------------------------
@pytest.fixture(scope="module")
def pack():
    return load_pack()


def test_every_option_of_the_design_is_described(pack) -> None:
    assert [o.id for o in pack.options] == list(OPTION_IDS)
    techniques = {o.id: [t.id for t in o.techniques] for o in pack.options}
    assert techniques["ablation"] == ["rfa", "ethanol", "microwave", "cryo"]
    assert techniques["embolization"] == ["tae", "tace", "tare"]
    assert techniques["radiation"][:3] == ["ebrt", "3d_crt", "sbrt"]
    for option in pack.options:
        assert option.summary.text.strip(), option.id
        assert option.source in pack.sections, option.id
        team = option.care_team
        assert team.gives or team.helps or option.id == "clinical_trial", option.id
        if option.group != "support":  # symptom relief has no side effects of its own
            assert option.side_effects.common, option.id
        assert option.id in pack.option_tables


def test_practical_facts_are_there(pack) -> None:
    """Dosing of the three drugs, the chemotherapy drugs, and the transplant supply figures."""
    def facts(option_id: str) -> str:
        option = pack.option(option_id)
        return " ".join(s.text for s in [*option.facts, *option.involves]).lower()

    assert re.search(r"(two times|twice) a day", facts("sorafenib"))
    assert re.search(r"(3|three) weeks", facts("regorafenib"))
    assert re.search(r"every (2|two) weeks", facts("nivolumab"))
    chemo = facts("chemotherapy")
    for drug in ("doxorubicin", "cisplatin"):
        assert drug in chemo
    assert re.search(r"6,?500", facts("liver_transplant"))


def test_every_topic_is_there(pack) -> None:
    ids = {t.id for t in pack.topics}
    assert {"factors", "second_opinion", "clinical_trials", "complementary", "stopping_treatment",
            "help_during_treatment", "questions"} <= ids
    for topic in pack.topics:
        assert topic.source in pack.sections, topic.id
    red_flags = pack.topic("complementary").model_extra["red_flags"]
    assert len(red_flags) >= 3
    questions = pack.topic("questions").model_extra["items"]
    assert len(questions) >= 5


def test_currency_notes_on_nivolumab_and_sorafenib(pack) -> None:
    nivolumab = pack.option("nivolumab").currency_notes
    withdrawal = [n for n in nivolumab if n.date.startswith("2021")]
    assert withdrawal and "withdr" in withdrawal[0].text.lower()
    sorafenib = " ".join(n.text for n in pack.option("sorafenib").currency_notes).lower()
    for drug in ("atezolizumab", "bevacizumab", "durvalumab", "tremelimumab", "ipilimumab"):
        assert drug in sorafenib, drug
    for option in pack.options:
        for note in option.currency_notes:
            reference = pack.references[note.reference]  # resolves
            assert reference.citation and re.fullmatch(r"\d{4}-\d{2}-\d{2}", note.date)
    notice = pack.info.currency_notice.lower()
    assert "atezolizumab" in notice and "2021" in notice


def test_sections_carry_the_source_review_dates(pack) -> None:
    """The dates the source prints for its parts (medical review, revision) are in the pack."""
    assert pack.info.review_dates and pack.info.disclaimer and pack.info.reviewed
    reviews = {s.last_medical_review for s in pack.sections.values()} - {None}
    assert reviews == {"2016-03-31", "2017-10-02"}
    assert pack.sections["by-stage"].last_revised == "2017-10-03"
    assert pack.sections["immunotherapy"].last_medical_review == "2017-10-02"


def _fingerprint_module() -> Any:
    """scripts/source_fingerprint.py, which defines the shingles and their hashes."""
    spec = importlib.util.spec_from_file_location("source_fingerprint",
                                                  REPO / "scripts" / "source_fingerprint.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_project_file_repeats_ten_words_of_the_source() -> None:
    """The project's files keep the source's facts, never its sentences: no run of 10 words
    hashes to a 10-word run of the source (tests/data/source-fingerprint.txt; same words and
    files as ../shared/tools/source_overlap.py, without needing ../shared)."""
    fp = _fingerprint_module()
    n = fp.N_WORDS
    source = fp.read_fingerprint(fp.FINGERPRINT)
    assert len(source) > 5000  # the whole source, not a truncated file
    skip = fp.FINGERPRINT.relative_to(REPO).as_posix()
    scanned = 0
    hits = []
    for name, text in fp.project_files(REPO):
        if name == skip:
            continue
        scanned += 1
        words = fp.words(text)
        shared = [i for i, h in enumerate(fp.shingle_hashes(words, n)) if h in source]
        i = 0
        while i < len(shared):  # join overlapping runs into one hit, as the shared tool does
            j = i
            while j + 1 < len(shared) and shared[j + 1] <= shared[j] + n:
                j += 1
            hits.append(f"{name}: {' '.join(words[shared[i]:shared[j] + n])}")
            i = j + 1
    assert scanned > 50
    assert hits == []
