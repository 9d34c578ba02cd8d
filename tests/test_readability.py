"""Plain words: the pack's patient-facing prose reads at grade 8 or below (Flesch-Kincaid),
and any text above grade 10 carries a `readability_note:` that says why (issue 12).

Measured offline: syllables from pyphen's hyphenation dictionary, checked against vowel groups
(livertx.knowledge.readability).
"""

from __future__ import annotations

import pytest

from livertx.knowledge import load_pack
from livertx.knowledge import readability as r


@pytest.fixture(scope="module")
def texts() -> list[r.Prose]:
    return r.patient_texts(load_pack())


def test_the_pack_reads_at_grade_8_or_below_overall(texts: list[r.Prose]) -> None:
    assert r.overall(texts) <= r.TARGET_GRADE, r.report(load_pack()).line()


def test_no_text_above_grade_10_without_a_reason_beside_it(texts: list[r.Prose]) -> None:
    unexplained = [f"{p.where} (grade {p.grade:.1f}): {p.text}"
                   for p in texts if p.grade > r.MAX_GRADE and not p.note]
    assert unexplained == []


def test_no_reason_is_left_beside_a_text_that_no_longer_needs_one(texts: list[r.Prose]) -> None:
    """A note beside a text at grade 10 or below is stale: the text was made plainer since."""
    stale = [p.where for p in texts if p.note and p.grade <= r.MAX_GRADE]
    assert stale == []


def test_every_kind_of_patient_text_is_measured(texts: list[r.Prose]) -> None:
    files = {p.where.split(".yaml")[0] for p in texts}
    assert {"options", "categories", "topics", "sections", "safety", "pack",
            "glossary", "tables/sorafenib", "tables/category"} <= files
    assert len(texts) > 400
    wheres = {p.where for p in texts}
    assert "tables/ablation.yaml.rules[AB.04].reason" in wheres  # a decision's reason
    assert not any(w.endswith((".business_rule", ".when")) for w in wheres)  # clinician text


def test_syllables_count_drug_names_the_dictionary_leaves_whole() -> None:
    assert r.syllables("the") == 1
    assert r.syllables("liver") == 2
    assert r.syllables("cancer") == 2
    assert r.syllables("sorafenib") == 4  # pyphen splits it once; vowel groups say four
    assert r.syllables("immunotherapy") == 6
    assert r.syllables("2012") == 1


def test_grade_follows_the_flesch_kincaid_formula() -> None:
    counts = r.count("The cat sat on the mat. It was warm.")
    assert (counts.words, counts.sentences, counts.syllables) == (9, 2, 9)
    assert counts.grade == pytest.approx(0.39 * 9 / 2 + 11.8 * 9 / 9 - 15.59)
    # A decimal or an abbreviation with a dot does not end a sentence.
    assert r.count("Bilirubin 0.88 mg/dL is fine. Ask e.g. your nurse.").sentences == 2


def test_splitting_a_long_sentence_lowers_the_grade() -> None:
    long = ("Embolization also cuts some blood flow to the healthy part of the liver, and with "
            "Child-Pugh class C the liver is badly damaged, so it is at most an other option.")
    short = ("Embolization also cuts some blood flow to the healthy part of the liver. With "
             "Child-Pugh class C the liver is badly damaged. So it is at most an other option.")
    assert r.grade(short) < r.grade(long) - 4
