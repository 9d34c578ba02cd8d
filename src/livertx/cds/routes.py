"""CDS Hooks 2.0 services: livertx as cards inside the EHR.

    GET  /cds-services                        discovery (both services)
    POST /cds-services/{id}                   patient-view -> cards
    POST /cds-services/{id}/feedback          card outcomes (accepted, 200)
    GET  /cds-services/{id}/result/{token}    the full assessment of the facts a card was
                                              built on (the link card; an expiring opaque
                                              token, see links); `?guideline=` picks the pack
for {id} = livertx-hcc-options (the server's pack) and livertx-hcc-bclc (bclc-2022); both
share the same auth, prefetch, fetching rules and record cache (livertx.cds.service).
`install(app, settings)` adds path-scoped CORS and the JWT verifier; create_app calls it.
A FHIR record is read once per content (livertx.cds.records: a usual prefetch on the event
loop, a large record in a worker thread), its result kept in a cache bounded by bytes and
keyed by a digest of the record (the mapping reads no pack, so both services share it).
Assessments are remembered per pack id: one service's answer is never served for the other.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator
from starlette.datastructures import URL

from livertx.api.errors import JsonErrorRoute, error_response
from livertx.api.fastjson import FastJSONResponse
from livertx.api.models import Assessment, ErrorResponse
from livertx.api.routes import Guideline, pack_for
from livertx.cds import links
from livertx.cds.auth import TokenVerifier, Unauthorized
from livertx.cds.cards import cards_for, problem_card
from livertx.cds.cors import CdsCorsMiddleware
from livertx.cds.prefetch import DataUnavailable, gather
from livertx.cds.records import INLINE_BYTES, RecordReader
from livertx.cds.service import HOOK, SERVICES, Service, discovery
from livertx.engine.serving import Assessor
from livertx.errors import FhirError, FieldError, InvalidInput
from livertx.knowledge.pack import Pack, load_guideline
from livertx.patient import parse_patient

log = logging.getLogger("livertx.cds")
ASSESSED_CACHE_SIZE = 1024
NO_STORE = {"Cache-Control": "no-store"}
# The FHIR id rule (R4 `id`: 1-64 of A-Z a-z 0-9 - .), and not only dots ('.', '..').
FHIR_ID = r"^[A-Za-z0-9\-.]*[A-Za-z0-9\-][A-Za-z0-9\-.]*$"
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
    patientId: str = Field(min_length=1, max_length=64, pattern=FHIR_ID)
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
    _state(app)


class _CdsState:
    """What the service keeps per app: verifier, assessors, the record reader and its caches."""

    def __init__(self, app: Any):
        settings = app.state.settings
        self.verifier = TokenVerifier(getattr(settings, "cds_trusted_issuers", {}) or {})
        self.server_pack: Pack = app.state.pack
        # Per pack id; ~30 KiB per remembered result: 1,024 bound each cache near 30 MiB.
        self.assessors: dict[str, Assessor] = {}
        self.records = RecordReader()
        self.mapped = self.records.mapped

    def pack(self, service: Service) -> Pack:
        """The pack a service answers with: the server's, or its own guideline."""
        if service.guideline is None or service.guideline == self.server_pack.id:
            return self.server_pack
        return load_guideline(service.guideline)

    def assessor(self, pack: Pack) -> Assessor:
        """The assessor (and its cache of results) of this pack id."""
        found = self.assessors.get(pack.id)
        if found is None or found.pack is not pack:
            found = Assessor(pack, cache_size=ASSESSED_CACHE_SIZE, shared=True)
            self.assessors[pack.id] = found
        return found


def _state(app: Any) -> _CdsState:
    state = getattr(app.state, "cds", None)
    if state is None:
        state = app.state.cds = _CdsState(app)
    return state


def _base_url(request: Request) -> str:
    configured = getattr(request.app.state.settings, "public_base_url", None)
    if configured:
        return str(configured).rstrip("/")
    scope = request.scope
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    root = scope.get("app_root_path", scope.get("root_path", ""))
    server = scope.get("server")
    return _request_base(scope.get("scheme", "http"), tuple(server) if server else None, host,
                         root)


@functools.lru_cache(maxsize=64)
def _request_base(scheme: str, server: tuple[str, int] | None, host: bytes | None,
                  root: str) -> str:
    """`request.base_url` without the slash, made once per scheme, server, Host and root
    path (Starlette parses a new URL for every request; a call needs only this string)."""
    scope = {"type": "http", "scheme": scheme, "server": server, "root_path": root,
             "path": root if root.endswith("/") else root + "/", "query_string": b"",
             "headers": [(b"host", host)] if host is not None else []}
    return str(URL(scope=scope)).rstrip("/")


async def _authorize(request: Request) -> tuple[JSONResponse | None, str | None]:
    """(the 401 answer or None when the call may proceed, the verified issuer)."""
    verifier = _state(request.app).verifier
    if not verifier.enabled:
        return None, None
    audience = _base_url(request) + request.url.path
    try:
        claims = await verifier.verify(request.headers.get("authorization"), audience)
    except Unauthorized as exc:
        return error_response(401, [("Authorization", str(exc))],
                              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}), None
    return None, str(claims["iss"])


def _fhir_servers(request: Request, issuer: str | None) -> list[str]:
    settings = request.app.state.settings
    if issuer is None:
        return list(getattr(settings, "cds_open_fhir_servers", []) or [])
    return list((getattr(settings, "cds_fhir_servers", {}) or {}).get(issuer, []))


# --- routes --------------------------------------------------------------------------------

@router.get("", response_model=Discovery, responses={401: ERRORS[401]},
            summary="CDS Hooks discovery")
async def list_services(request: Request) -> Any:
    """Both services on the patient-view hook, with their (shared) prefetch templates."""
    denied, _ = await _authorize(request)
    return denied or discovery()


async def _cards(request: Request, body: HookRequest, service: Service) -> Any:
    """Cards: a summary, safety notes, what is missing, a link (livertx.cds.cards).

    No liver cell carcinoma Condition in the record gives no cards. A record that is not
    only the context patient's gives one warning card saying so, and no treatment summary.
    """
    denied, issuer = await _authorize(request)
    if denied is not None:
        return denied
    token = body.fhirAuthorization.access_token if body.fhirAuthorization else None
    try:
        values = await gather(body.prefetch, body.context.model_dump(exclude_none=True),
                              str(body.fhirServer) if body.fhirServer else None, token,
                              allowed=_fhir_servers(request, issuer),
                              deadline_s=request.app.state.settings.cds_fetch_deadline_s,
                              max_bytes=request.app.state.settings.cds_fetch_max_bytes)
    except DataUnavailable as exc:
        return error_response(412, exc.problems)
    state, base = _state(request.app), _base_url(request)
    pack = state.pack(service)
    patient = f"Patient/{body.context.patientId}"
    small = int(request.headers.get("content-length") or "0") <= INLINE_BYTES
    try:
        mapped = await state.records.read(values, patient, small=small)
    except FhirError as exc:
        return {"cards": [problem_card(str(exc), pack, base)]}
    if not mapped.has_hcc:
        return {"cards": []}
    result = await state.assessor(pack).assess(mapped.valid_patient())
    return FastJSONResponse({"cards": cards_for(result, mapped.report(), pack, base)})


async def _feedback(request: Request, body: FeedbackRequest) -> Any:
    """Outcomes of cards (accepted or overridden), as the EHR reports them."""
    denied, _ = await _authorize(request)
    if denied is not None:
        return denied
    log.info("cds feedback: %s", [(f.card, f.outcome) for f in body.feedback])
    return {}


async def _result(request: Request, token: str, guideline: str | None,
                  service: Service) -> Any:
    """The contract JSON for the facts the card was built on (the link card's target).

    The token is opaque (no patient value in the URL), made only by an accepted call, and
    expires; the answer is sent with `Cache-Control: no-store`. The service's own pack
    answers unless `?guideline=` names another.
    """
    state = _state(request.app)
    pack = state.pack(service) if guideline is None else pack_for(request, guideline)
    try:
        facts = links.unseal(token)
    except links.LinkExpired:
        message = (f"this link is unknown or has expired (links work for {links.TTL_S // 60} "
                   "minutes); open the patient's chart again for a new one")
        return error_response(404, [("token", message)], headers=NO_STORE)
    try:
        patient = parse_patient(facts)
    except InvalidInput as exc:  # only if the vocabulary changed since the link was made
        problems: list[FieldError] = exc.errors
        return error_response(422, [(e.field, e.message) for e in problems], headers=NO_STORE)
    body = await state.assessor(pack).assess(patient)
    return JSONResponse(body, headers=NO_STORE)


def _add_routes(service: Service) -> None:
    """The hook call, feedback and result link of one service (same rules for each)."""

    async def call_service(request: Request, body: HookRequest) -> Any:
        return await _cards(request, body, service)

    async def feedback(request: Request, body: FeedbackRequest) -> Any:
        return await _feedback(request, body)

    async def result(request: Request, token: str, guideline: Guideline = None) -> Any:
        return await _result(request, token, guideline, service)

    call_service.__doc__ = _cards.__doc__
    result.__doc__ = _result.__doc__
    path = f"/{service.id}"
    router.add_api_route(path, call_service, methods=["POST"], response_model=CardsResponse,
                         response_model_exclude_none=True, summary=service.title,
                         responses={**ERRORS, 412: {"model": ErrorResponse, "description":
                                                    "Needed FHIR data could not be had"}},
                         name=f"{service.id}:call")
    router.add_api_route(f"{path}/feedback", feedback, methods=["POST"], responses=ERRORS,
                         summary="Card feedback", name=f"{service.id}:feedback")
    router.add_api_route(f"{path}/result/{{token}}", result, methods=["GET"],
                         response_model=Assessment, response_model_exclude_unset=True,
                         responses={404: {"model": ErrorResponse,
                                          "description": "Unknown or expired link"},
                                    422: ERRORS[422]},
                         summary="The full assessment behind a card's link",
                         name=f"{service.id}:result")


for _service in SERVICES.values():
    _add_routes(_service)
