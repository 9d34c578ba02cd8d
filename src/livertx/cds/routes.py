"""CDS Hooks 2.0 service: livertx as cards inside the EHR.

    GET  /cds-services                                  discovery
    POST /cds-services/livertx-hcc-options              patient-view -> cards
    POST /cds-services/livertx-hcc-options/feedback     card outcomes (accepted, 200)
    GET  /cds-services/livertx-hcc-options/result?...   the full assessment of the facts a
                                                        card was built on (the link card)
`install(app, settings)` adds path-scoped CORS and the JWT verifier; create_app calls it.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from livertx.api.errors import JsonErrorRoute, error_response
from livertx.api.models import Assessment, ErrorResponse
from livertx.cds.auth import TokenVerifier, Unauthorized
from livertx.cds.cards import cards_for, problem_card
from livertx.cds.cors import CdsCorsMiddleware
from livertx.cds.prefetch import DataUnavailable, as_bundle, gather
from livertx.cds.service import HOOK, SERVICE_ID, discovery
from livertx.engine.serving import Assessor, Lru
from livertx.errors import FhirError, FieldError, InvalidInput
from livertx.fhir import MappedPatient, bundle_to_patient
from livertx.patient import parse_patient
from livertx.vocabulary import FIELD_BY_NAME

log = logging.getLogger("livertx.cds")
router = APIRouter(prefix="/cds-services", tags=["cds-hooks"], route_class=JsonErrorRoute)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Bearer JWT missing or rejected"},
    413: {"model": ErrorResponse, "description": "Body larger than the server's limit"},
    422: {"model": ErrorResponse, "description": "Not a valid CDS Hooks request"},
}


# --- request and response shapes ---------------------------------------------------------

class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FhirAuthorization(_Open):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class PatientViewContext(_Open):
    userId: str = Field(min_length=1)
    patientId: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-.]+$")
    encounterId: str | None = None


class HookRequest(_Open):
    hook: str
    hookInstance: str = Field(min_length=1)
    fhirServer: AnyHttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: PatientViewContext
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> HookRequest:
        if self.hook != HOOK:
            raise ValueError(f"this service answers the {HOOK!r} hook, not {self.hook!r}")
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirServer is required when fhirAuthorization is given")
        return self


class Link(_Open):
    label: str
    url: str
    type: Literal["absolute", "smart"]


class Source(_Open):
    label: str
    url: str | None = None


class Card(_Open):
    uuid: str
    summary: str = Field(max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    links: list[Link] | None = None


class CardsResponse(BaseModel):
    cards: list[Card]


class ServiceDescription(_Open):
    hook: str
    id: str
    title: str | None = None
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(BaseModel):
    services: list[ServiceDescription]


class Feedback(_Open):
    card: str
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str


class FeedbackRequest(_Open):
    feedback: list[Feedback] = Field(min_length=1)


# --- wiring --------------------------------------------------------------------------------

def install(app: FastAPI, settings: Any) -> None:
    """CORS on /cds-services, the token verifier, the assessor and caches."""
    app.add_middleware(CdsCorsMiddleware)
    app.state.cds_verifier = TokenVerifier(getattr(settings, "cds_trusted_issuers", {}) or {})
    app.state.cds_assessor = None  # made on first use, with the app's pack
    app.state.cds_mapped = Lru[MappedPatient](4096)


def _verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "cds_verifier", None)
    if verifier is None:
        settings = request.app.state.settings
        verifier = request.app.state.cds_verifier = TokenVerifier(settings.cds_trusted_issuers)
    return verifier


def _assessor(request: Request) -> Assessor:
    assessor = getattr(request.app.state, "cds_assessor", None)
    if assessor is None:
        assessor = request.app.state.cds_assessor = Assessor(request.app.state.pack)
    return assessor


def _mapped_cache(request: Request) -> Lru[MappedPatient]:
    cache = getattr(request.app.state, "cds_mapped", None)
    if cache is None:
        cache = request.app.state.cds_mapped = Lru[MappedPatient](4096)
    return cache


def _base_url(request: Request) -> str:
    configured = getattr(request.app.state.settings, "public_base_url", None)
    return (configured or str(request.base_url)).rstrip("/")


async def _authorize(request: Request) -> JSONResponse | None:
    """None when the call may proceed, else the 401 answer."""
    verifier = _verifier(request)
    if not verifier.enabled:
        return None
    audience = _base_url(request) + request.url.path
    try:
        await anyio.to_thread.run_sync(verifier.verify, request.headers.get("authorization"),
                                       audience)
    except Unauthorized as exc:
        return error_response(401, [("Authorization", str(exc))],
                              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return None


# --- routes --------------------------------------------------------------------------------

@router.get("", response_model=Discovery, responses={401: ERRORS[401]},
            summary="CDS Hooks discovery")
async def list_services(request: Request) -> Any:
    """The livertx-hcc-options service on the patient-view hook, with its prefetch templates."""
    return await _authorize(request) or discovery()


@router.post(f"/{SERVICE_ID}", response_model=CardsResponse, response_model_exclude_none=True,
             responses={**ERRORS, 412: {"model": ErrorResponse,
                                        "description": "Needed FHIR data could not be had"}},
             summary="Treatment options for the patient in view")
async def call_service(request: Request, body: HookRequest) -> Any:
    """Cards: a summary (category, Child-Pugh, main options), what is missing, a link.

    No liver cell carcinoma Condition in the record gives no cards.
    """
    denied = await _authorize(request)
    if denied is not None:
        return denied
    token = body.fhirAuthorization.access_token if body.fhirAuthorization else None
    try:
        values = await gather(body.prefetch, body.context.model_dump(exclude_none=True),
                              str(body.fhirServer) if body.fhirServer else None, token)
    except DataUnavailable as exc:
        return error_response(412, exc.problems)
    pack, base = request.app.state.pack, _base_url(request)
    try:
        mapped = _map(request, as_bundle(values))
    except FhirError as exc:
        return {"cards": [problem_card(str(exc), pack, base)]}
    if not mapped.has_hcc:
        return {"cards": []}
    result = await _assessor(request).assess(parse_patient(mapped.patient))
    return {"cards": cards_for(result, mapped.report(), pack, base)}


def _map(request: Request, bundle: dict[str, Any]) -> MappedPatient:
    import json

    key = json.dumps(bundle, sort_keys=True, separators=(",", ":"))
    cache = _mapped_cache(request)
    mapped = cache.get(key)
    if mapped is None:
        mapped = bundle_to_patient(bundle, strict=False)
        cache.put(key, mapped)
    return mapped


@router.post(f"/{SERVICE_ID}/feedback", responses=ERRORS, summary="Card feedback")
async def feedback(request: Request, body: FeedbackRequest) -> Any:
    """Outcomes of cards (accepted or overridden), as the EHR reports them."""
    denied = await _authorize(request)
    if denied is not None:
        return denied
    log.info("cds feedback: %s", [(f.card, f.outcome) for f in body.feedback])
    return {}


@router.get(f"/{SERVICE_ID}/result", response_model=Assessment, response_model_exclude_unset=True,
            responses={422: ERRORS[422]}, summary="The full assessment behind a card's link")
async def result(request: Request) -> Any:
    """The contract JSON for the vocabulary facts in the query string (the link card's target)."""
    facts: dict[str, Any] = {}
    problems: list[FieldError] = []
    for name, raw in request.query_params.items():
        spec = FIELD_BY_NAME.get(name)
        if spec is None:
            problems.append(FieldError(name, "unknown field"))
            continue
        try:
            facts[name] = _from_query(spec.type, raw)
        except ValueError:
            problems.append(FieldError(name, f"{raw!r} is not accepted; expected {spec.accepted}"))
    if problems:
        raise InvalidInput(problems)
    return await _assessor(request).assess(parse_patient(facts))


def _from_query(kind: str, raw: str) -> Any:
    if kind == "bool":
        if raw.lower() not in ("true", "false"):
            raise ValueError(raw)
        return raw.lower() == "true"
    if kind == "int":
        return int(raw)
    if kind == "float":
        try:
            return float(raw)
        except ValueError:
            return raw  # a value with its unit ("40 umol/L"), checked by the patient model
    return raw
