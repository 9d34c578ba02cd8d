"""The JSON API: the output contract over HTTP, and the knowledge pack described.

    POST /api/assess         patient (vocabulary) -> assessment
    POST /api/assess/fhir    FHIR R4 Bundle -> mapped patient, provenance, assessment
    GET  /api/options        the treatment options of the pack
    GET  /api/options/{id}   one option as the pack describes it
    GET  /api/pack           pack id, version, review dates, sections and tables
Bad input answers 422 with `{"detail": [{"field", "message"}]}`; see livertx.api.errors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from livertx.api.errors import JsonErrorRoute, error_response
from livertx.api.models import (
    Assessment,
    ErrorResponse,
    FhirAssessment,
    OptionDetail,
    OptionSummary,
    PackSummary,
)
from livertx.api.schema import bundle_schema, patient_schema
from livertx.errors import FieldError, InvalidInput, PackError
from livertx.knowledge.pack import Pack, guidelines, load_guideline

ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "Body larger than the server's limit"},
    422: {"model": ErrorResponse, "description": "Input rejected: each bad field and what is accepted"},
}

router = APIRouter(prefix="/api", tags=["api"], route_class=JsonErrorRoute)


Guideline = Annotated[str | None, Query(
    description="The guideline (knowledge pack) to answer with: acs-2017 (the server's "
                "default) or bclc-2022 (current guidance).")]


def pack_for(request: Request, guideline: str | None = None) -> Pack:
    """The server's pack, or the embedded guideline `?guideline=` names (422 if unknown).
    Shared with the CDS service's result links."""
    pack: Pack = request.app.state.pack
    if guideline is None or guideline == pack.id:
        return pack
    try:
        return load_guideline(guideline)
    except PackError:
        raise InvalidInput([FieldError("guideline", f"{guideline!r} is not known; accepted: "
                                                    f"{', '.join(guidelines())}")]) from None


@router.post("/assess", response_model=Assessment, response_model_exclude_unset=True,
             responses=ERRORS,
             summary="Assess one patient",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": patient_schema()}}}})
def assess_patient(request: Request, patient: Annotated[Any, Body()],
                   guideline: Guideline = None) -> dict[str, Any]:
    """Category, every option's fit with reasons, Child-Pugh, TNM, and what is missing.

    A fact left out stays unknown; nothing is defaulted except the documented qualifiers.
    """
    from livertx.engine import assess

    return assess(patient, pack_for(request, guideline))


@router.post("/assess/fhir", response_model=FhirAssessment, response_model_exclude_unset=True,
             responses=ERRORS,
             summary="Assess the patient in a FHIR R4 Bundle",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": bundle_schema()},
                 "application/fhir+json": {"schema": bundle_schema()}}}})
def assess_fhir(request: Request, bundle: Annotated[Any, Body()],
                guideline: Guideline = None) -> dict[str, Any]:
    """Map the bundle to the vocabulary (with provenance per field), then assess it."""
    from livertx.engine import assess
    from livertx.fhir import bundle_to_patient

    pack = pack_for(request, guideline)
    mapped = bundle_to_patient(bundle)
    return {"fhir": mapped.report(), "assessment": assess(mapped.valid_patient(), pack)}


UNKNOWN_GUIDELINE: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "An unknown `guideline`"}}


@router.get("/options", response_model=list[OptionSummary], responses=UNKNOWN_GUIDELINE,
            summary="List treatment options")
def list_options(request: Request, guideline: Guideline = None) -> list[dict[str, Any]]:
    """Every treatment option of the knowledge pack, in a line each."""
    return [{"id": o.id, "name": o.name, "group": o.group, "summary": o.summary.text,
             "techniques": [t.id for t in o.techniques], "care_team": list(o.care_team.gives)}
            for o in pack_for(request, guideline).options]


@router.get("/options/{option_id}", response_model=OptionDetail,
            responses={404: {"model": ErrorResponse, "description": "No option with this id"},
                       **UNKNOWN_GUIDELINE},
            summary="Describe one treatment option")
def get_option(request: Request, option_id: str, guideline: Guideline = None) -> Any:
    """What the option is, its techniques, side effects, care team, facts and questions."""
    pack = pack_for(request, guideline)
    try:
        option = pack.option(option_id)
    except KeyError:
        known = ", ".join(o.id for o in pack.options)
        message = f"no option {option_id!r}; known options: {known}"
        return error_response(404, [("option_id", message)])
    return option.model_dump()


@router.get("/pack", response_model=PackSummary, responses=UNKNOWN_GUIDELINE,
            summary="Describe the knowledge pack")
def pack_summary(request: Request, guideline: Guideline = None) -> dict[str, Any]:
    """Which source the answers come from, how current it is, and its decision tables."""
    pack = pack_for(request, guideline)
    return {
        **pack.info.model_dump(),
        "sections": [s.model_dump(include={"id", "title", "parent", "last_medical_review",
                                           "last_revised"}) for s in pack.sections.values()],
        "tables": [{"id": t.id, "title": t.title, "output": t.output, "option": t.option,
                    "version": t.version, "rules": len(t.rules), "notes": len(t.notes)}
                   for t in pack.tables],
    }

