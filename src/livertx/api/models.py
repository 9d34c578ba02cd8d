"""Response models of the JSON API: the output contract as pydantic, for OpenAPI.

They mirror DESIGN.md's contract. Keys may be added to the contract later, so the
objects allow extra keys; the documented ones are typed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from livertx.contract import Assessment, Reason
from livertx.knowledge.model import PackInfo
from livertx.knowledge.model import Section as SectionInfo  # a section as the pack states it


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ErrorItem(BaseModel):
    field: str = Field(description="The input field (or 'body', or a FHIR resource) at fault")
    message: str = Field(description="What is wrong and what is accepted")


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]


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


__all__ = ["Assessment", "ErrorItem", "ErrorResponse", "FhirAssessment", "FhirReport",
           "OptionDetail", "OptionSummary", "PackSummary", "Provenance", "Reason", "TableInfo"]
