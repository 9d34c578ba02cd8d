"""The shape of a knowledge pack: pydantic models of its YAML files."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Fit = Literal["primary", "alternative", "not_advised", "unknown"]
FITS: tuple[str, ...] = ("primary", "alternative", "not_advised", "unknown")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


class Sourced(_Open):
    """A sentence in the pack's own words and the section or reference it comes from."""

    text: str
    source: str


class Section(_Open):
    id: str
    title: str
    parent: str | None = None
    last_medical_review: str | None = None
    last_revised: str | None = None
    summary: str | None = None


class Technique(_Open):
    id: str
    name: str
    description: str
    source: str


class SideEffects(_Open):
    common: list[Sourced] = []
    serious: list[Sourced] = []


class CareTeam(_Open):
    gives: list[str] = []
    helps: list[str] = []
    note: Sourced | None = None


class CurrencyNote(_Open):
    date: str
    text: str
    reference: str


class Option(_Open):
    id: str
    name: str
    group: str
    brands: list[str] = []  # brand names a person may know the drug by (`livertx explain`)
    source: str
    summary: Sourced
    goal: Sourced | None = None
    involves: list[Sourced] = []
    techniques: list[Technique] = []
    side_effects: SideEffects = SideEffects()
    care_team: CareTeam = CareTeam()
    facts: list[Sourced] = []
    questions: list[Sourced] = []
    currency_notes: list[CurrencyNote] = []


class CandidateNote(Sourced):
    unless: str | None = None  # a vocabulary field: not said once that field is true


class Category(_Open):
    id: str
    name: str
    description: Sourced
    what_it_means: Sourced | None = None
    # Said beside this group when it is one of several possible: a route to it that the
    # listed requirements do not show (a qualifier that is presumed false unless stated).
    candidate_note: CandidateNote | None = None
    # Where a page lists this group among those a person could still be in (the most
    # treatable first), and the few words that head its column in the table of options.
    display_order: int | None = None
    short_name: str | None = None


class GlossaryTerm(_Strict):
    """A medical word, other forms of it, and a plain explanation (glossary.yaml)."""

    term: str
    also: list[str] = []
    explanation: str
    source: str
    readability_note: str | None = None

    @property
    def anchor(self) -> str:
        """The id of its entry on /glossary."""
        return "term-" + "-".join("".join(c if c.isalnum() else " " for c in self.term.lower())
                                  .split())

    def matches(self, word: str) -> bool:
        """Whether `word` names this entry (any case, its term or another form)."""
        wanted = " ".join(word.lower().split())
        return wanted in (self.term.lower(), *(a.lower() for a in self.also))


class Reference(_Open):
    key: str
    citation: str
    url: str | None = None
    accessed: str | None = None


class Topic(_Open):
    id: str
    title: str
    source: str
    paragraphs: list[Sourced] = []


class Rule(_Strict):
    """One row of a decision table: a stable id, the condition twice (SQL, words), the outcome."""

    id: str
    when: str
    text: str
    outcome: str
    reason: str
    source: str
    techniques: list[str] | None = None
    first: bool = False
    readability_note: str | None = None  # why `reason` reads above grade 10 (readability.py)


class Note(_Strict):
    """An explanatory note added whenever its condition holds (collect policy)."""

    id: str
    when: str
    text: str
    note: str
    source: str
    fits: list[Fit] | None = None  # shown only beside these fits (default: any)
    readability_note: str | None = None  # why `note` reads above grade 10 (readability.py)


class SafetyNote(_Strict):
    """A dated note beyond the source, shown whenever its condition holds, with its citation."""

    id: str
    when: str
    text: str
    reference: str
    date: str
    readability_note: str | None = None  # why `text` reads above grade 10 (readability.py)


class DecisionTable(_Strict):
    id: str
    title: str
    business_rule: str
    trigger: str
    version: str
    hit_policy: Literal["first"]
    output: Literal["category", "fit"]
    option: str | None = None
    rules: list[Rule] = Field(min_length=1)
    notes: list[Note] = []

    @property
    def rows(self) -> list[Rule | Note]:
        """Every row with a condition: the rules, then the notes."""
        return [*self.rules, *self.notes]

    @property
    def column(self) -> str:
        """The output column this table writes in a table of patients."""
        return "category" if self.output == "category" else f"fit_{self.option}"


class PackInfo(_Open):
    id: str
    version: str
    title: str
    publisher: str
    reviewed: str
    review_dates: str
    disclaimer: str
    currency_notice: str
    source_url: str | None = None
