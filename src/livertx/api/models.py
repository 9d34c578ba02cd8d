"""Response models of the JSON API: the output contract as pydantic, for OpenAPI.

They mirror DESIGN.md's contract. Keys may be added to the contract later, so the
objects allow extra keys; the documented ones are typed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from livertx.knowledge.model import Fit, PackInfo
from livertx.knowledge.model import Section as SectionInfo  # a section as the pack states it


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ErrorItem(BaseModel):
    field: str = Field(description="The input field (or 'body', or a FHIR resource) at fault")
    message: str = Field(description="What is wrong and what is accepted")


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]


class Reason(_Open):
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


class Note(_Open):
    text: str
    source: str
    rule: str | None = None


class IfCategory(_Open):
    category: str
    fit: Fit
    rule: str | None = None


class DependsOn(_Open):
    rule: str
    when: str


class OptionFit(_Open):
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
    milan: bool | None = None
    tnm: Tnm


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


class Provenance(_Open):
    resource: str = Field(description="The FHIR resource the value came from")
    code: str = Field(description="system|code of the observation or condition")
    value: str = Field(description="The value as the resource gave it")
    effective: str | None = None


class FhirReport(_Open):
    patient: dict[str, Any] = Field(description="The vocabulary fields the bundle gave")
    provenance: dict[str, Provenance]
    ignored: dict[str, str] = Field(description="Resource -> why it was not used")
    has_hcc: bool = Field(description="A current liver cell carcinoma Condition is in the bundle")
    hcc_condition: str | None = None
    subject: str | None = None


class FhirAssessment(BaseModel):
    fhir: FhirReport
    assessment: Assessment


class OptionSummary(_Open):
    id: str
    name: str
    group: str
    summary: str
    techniques: list[str] = Field(default_factory=list)
    care_team: list[str] = Field(default_factory=list)


class OptionDetail(_Open):
    """One treatment option as the pack describes it (summary, techniques, side effects...)."""

    id: str
    name: str
    group: str
    source: str


class TableInfo(_Open):
    id: str
    title: str
    output: str
    option: str | None = None
    version: str
    rules: int
    notes: int


class PackSummary(PackInfo):
    """The pack's own description, with its sections and a summary of its tables."""

    sections: list[SectionInfo]
    tables: list[TableInfo]
