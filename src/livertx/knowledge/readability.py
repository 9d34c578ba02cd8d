"""How hard the pack's patient-facing prose is to read: the Flesch-Kincaid grade level.

Works offline: syllables come from pyphen's hyphenation dictionary (en_US), checked against
a count of vowel groups so that drug names the dictionary does not split ("sorafenib") are
not counted as easier than they are. NIH and the AMA advise grade 6-8 for patient material;
the pack aims at grade 8 overall and lets a text go above grade 10 only with a
`readability_note:` beside it that says why (a list of drug names, a phone number, ...).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from livertx.knowledge.pack import Pack

TARGET_GRADE = 8.0  # the pack as a whole
MAX_GRADE = 10.0  # any one text, unless a readability_note says why
NOTE_KEY = "readability_note"

# The keys whose string values a patient reads, in every file of a pack. A table row's
# `text` is its condition in words (a label, not prose) and its `business_rule` is for
# clinicians, so from the tables only the reasons and notes count.
PROSE_KEYS = frozenset({"text", "description", "summary", "reason", "note", "explanation",
                        "disclaimer", "currency_notice"})
TABLE_PROSE_KEYS = frozenset({"reason", "note"})

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,]\d+)*")
# A sentence ends at . ! ? followed by a space and a capital, a digit, a quote or the end.
_SENTENCE_END = re.compile(r"[.!?]+[\"”)]*(?=\s+[\"“(]?[A-Z0-9]|\s*$)")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Counts:
    """Words, sentences and syllables of a text: what the grade formula needs."""

    words: int
    sentences: int
    syllables: int

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.words + other.words, self.sentences + other.sentences,
                      self.syllables + other.syllables)

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade level (Kincaid et al., 1975)."""
        if self.words == 0:
            return 0.0
        return (0.39 * self.words / max(self.sentences, 1)
                + 11.8 * self.syllables / self.words - 15.59)


@dataclass(frozen=True)
class Prose:
    """One patient-facing text of a pack, where it lives and any note about its level."""

    where: str
    text: str
    note: str | None = None

    @property
    def counts(self) -> Counts:
        return count(self.text)

    @property
    def grade(self) -> float:
        return self.counts.grade


@functools.cache
def _dictionary() -> Any:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def _vowel_groups(word: str) -> int:
    """A spelling-based syllable count: vowel groups, less a silent final e."""
    groups = len(_VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and groups > 1:
        groups -= 1
    return max(groups, 1)


@functools.cache
def syllables(word: str) -> int:
    """Syllables of one word: pyphen's hyphenation points, or the vowel groups when the
    dictionary leaves a long word unsplit. A number counts as one syllable per digit group."""
    lower = word.lower()
    if lower[0].isdigit():
        return max(1, len(re.findall(r"\d+", lower)))
    return max(len(_dictionary().positions(lower)) + 1, _vowel_groups(lower))


def count(text: str) -> Counts:
    """Words, sentences and syllables of a text (a text without an end mark is one sentence)."""
    words = _WORD.findall(text)
    sentences = len(_SENTENCE_END.findall(text.strip())) or 1
    return Counts(len(words), sentences if words else 0, sum(syllables(w) for w in words))


def grade(text: str) -> float:
    """The Flesch-Kincaid grade level of one text."""
    return count(text).grade


def overall(texts: list[Prose]) -> float:
    """The grade of all the texts read as one document."""
    total = Counts(0, 0, 0)
    for prose in texts:
        total += prose.counts
    return total.grade


def _walk(value: Any, where: str, keys: frozenset[str]) -> Iterator[Prose]:
    if isinstance(value, dict):
        note = value.get(NOTE_KEY)
        for key, item in value.items():
            if key in keys and isinstance(item, str):
                yield Prose(f"{where}.{key}", " ".join(item.split()),
                            note if isinstance(note, str) else None)
            elif isinstance(item, dict | list):
                label = item.get("id") if isinstance(item, dict) else None
                yield from _walk(item, f"{where}.{label or key}", keys)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = item.get("id") or item.get("term") if isinstance(item, dict) else None
            yield from _walk(item, f"{where}[{label or index}]", keys)


def patient_texts(pack: Pack) -> list[Prose]:
    """Every patient-facing text of a pack, in file order, read from its YAML files."""
    from livertx.knowledge.pack import _read

    texts: list[Prose] = []
    for file in sorted(pack.path.glob("*.yaml")):
        if file.name == "references.yaml":  # citations, not prose
            continue
        texts += _walk(_read(file), file.name, PROSE_KEYS)
    for file in sorted((pack.path / "tables").glob("*.yaml")):
        texts += _walk(_read(file), f"tables/{file.name}", TABLE_PROSE_KEYS)
    return texts


@dataclass(frozen=True)
class Report:
    """The figures the README and `livertx pack check` print."""

    texts: int
    grade: float
    above_target: int
    above_max: list[Prose]

    def line(self) -> str:
        return (f"Flesch-Kincaid grade {self.grade:.1f} over {self.texts} patient-facing texts; "
                f"{self.above_target} above grade {TARGET_GRADE:g}, {len(self.above_max)} above "
                f"grade {MAX_GRADE:g} (each with a readability_note)")


def report(pack: Pack) -> Report:
    """The pack's overall grade and the texts above each threshold."""
    texts = patient_texts(pack)
    return Report(texts=len(texts), grade=overall(texts),
                  above_target=sum(p.grade > TARGET_GRADE for p in texts),
                  above_max=[p for p in texts if p.grade > MAX_GRADE])
