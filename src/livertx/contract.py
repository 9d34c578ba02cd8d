"""The output contract (DESIGN.md) as pydantic models: what `livertx.assess` returns.

`Assessment.model_dump(by_alias=True)` is the JSON of `livertx assess --format json` and of
`POST /api/assess`, keys unchanged. Keys may be added to the contract later, so the objects
allow extra keys; the documented ones are typed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from livertx.knowledge.model import Fit


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Shared(_Open):
    """A part that `livertx.assess` shares between results (an option's entry and what is
    in it): frozen, with read-only lists and dicts (`livertx.engine.typed`)."""

    model_config = ConfigDict(frozen=True)


class Reason(_Shared):
    text: str
    source: str = Field(description="Section id of the source, see GET /api/pack")
    rule: str | None = None
    when: str | None = None


class Candidate(_Open):
    id: str
    name: str | None = None
    requires: dict[str, Any] = Field(default_factory=dict)


class Category(_Open):
    id: str | None = Field(description="null when the inputs leave the category open")
    name: str | None = None
    rule: str | None = None
    reasons: list[Reason] = Field(default_factory=list)
    candidates: list[Candidate] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)


class Note(_Shared):
    text: str
    source: str
    rule: str | None = None


class IfCategory(_Shared):
    category: str
    fit: Fit
    rule: str | None = None


class DependsOn(_Shared):
    rule: str
    when: str


class OptionFit(_Shared):
    id: str
    name: str
    group: str
    fit: Fit
    rule: str | None = None
    techniques: list[str] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    if_category: list[IfCategory] = Field(default_factory=list)
    depends_on: list[DependsOn] = Field(default_factory=list)
    care_team: list[str] = Field(default_factory=list)
    side_effects: list[str] = Field(default_factory=list)
    serious_side_effects: list[str] = Field(default_factory=list)
    currency_notes: list[dict[str, Any]] = Field(default_factory=list)


class ChildPugh(_Open):
    score: int | None = None
    class_: str | None = Field(None, alias="class")
    class_from: str | None = None
    points: dict[str, int | None] = Field(default_factory=dict)


class Tnm(_Open):
    t: str | None = None
    n: str | None = None
    m: str | None = None
    stage: str | None = None


class Derived(_Open):
    child_pugh: ChildPugh
    liver_healthy: bool | None = None
    milan: bool | None = None
    tnm: Tnm
    values: dict[str, Any] = Field(default_factory=dict,
                                   description="every derived value of the score library")


class Guideline(_Open):
    id: str
    version: str
    title: str | None = None
    publisher: str | None = None
    reviewed: str
    review_dates: str
    notice: str
    disclaimer: str


class MissingExplained(_Open):
    field: str
    question: str


class SafetyNote(_Open):
    """A dated note beyond the source, with its citation."""

    id: str
    text: str
    reference: str
    date: str
    citation: str


class Assessment(_Open):
    """The output contract of `livertx assess --format json`."""

    livertx: dict[str, Any]
    guideline: Guideline
    patient: dict[str, Any] | None = None
    derived: Derived
    category: Category
    options: list[OptionFit]
    missing: list[str]
    missing_explained: list[MissingExplained] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    safety_notes: list[SafetyNote] = Field(default_factory=list)
