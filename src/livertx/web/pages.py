"""The pages people use: home, the assessment form and its result, the treatment library,
search and about. Server-rendered HTML that works without JavaScript.

Privacy: a submitted form is turned into an assessment and rendered; nothing about it is
stored or logged. The result page carries the answers in hidden fields so that "change my
answers" and "download JSON" work without any server-side state.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from livertx.engine.serving import Assessor
from livertx.knowledge.pack import Pack, load_guideline
from livertx.patient import Patient
from livertx.render.registry import render
from livertx.web import csrf
from livertx.web.forms import (
    GROUPS,
    GUIDELINE,
    GUIDELINE_CHOICES,
    LAB_FIELDS,
    TRIALS_INTEREST,
    UNIT_WORDS,
    UNITS,
    VALUE_LABELS,
    FormData,
    read_form,
    validate,
)
from livertx.web.search import SearchIndex, build_index
from livertx.web.templating import STATIC_DIR, page_context, templates

NO_STORE = {"Cache-Control": "no-store"}
MAX_FORM_FIELDS = 200  # the form has ~30 fields and up to 50 tumour rows


async def _assess_timed(request: Request, patient: Patient,
                        pack: Pack | None = None) -> tuple[dict[str, Any], float]:
    """(assessment, ms from submission to answer) without blocking the event loop.

    Concurrent submissions share one engine pass (the engine's cost is mostly per pass,
    not per patient); nothing is kept once the answer is given. One assessor per pack.
    """
    pack = pack or _pack(request)
    assessors = getattr(request.app.state, "web_assessors", None)
    if assessors is None:
        assessors = request.app.state.web_assessors = {}
    assessor = assessors.get(pack.id)
    if assessor is None:
        assessor = assessors[pack.id] = Assessor(pack, cache_size=0)
    started = time.perf_counter()
    result = await assessor.assess(patient)
    return result, (time.perf_counter() - started) * 1000


STATIC_FILES = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file()}
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the search index once, when the server starts."""
    search_index(app)
    yield


router = APIRouter(lifespan=lifespan, include_in_schema=False)


def search_index(app: Any) -> SearchIndex:
    """The app's search index (built on first use when no lifespan ran, as in tests)."""
    index = getattr(app.state, "search_index", None)
    if index is None:
        index = build_index(app.state.pack)
        app.state.search_index = index
    return index


def _pack(request: Request) -> Pack:
    pack: Pack = request.app.state.pack
    return pack


def _chosen_pack(request: Request, data: FormData) -> Pack:
    """The guideline the form chose (validated by the form), else the server's pack."""
    chosen = data.values.get(GUIDELINE, "")
    return load_guideline(chosen) if chosen in GUIDELINE_CHOICES else _pack(request)


def _page(request: Request, name: str, status: int = 200,
          headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, page_context(_pack(request), **context),
                                      status_code=status, headers=headers)


def _not_found(request: Request, what: str) -> HTMLResponse:
    return _page(request, "not_found.html", status=404, what=what, nav="")


# --- home, about ---------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    return _page(request, "home.html", nav="home")


@router.get("/about", response_class=HTMLResponse)
async def about(request: Request, guideline: str | None = None) -> HTMLResponse:
    """The pack's about page; `?guideline=bclc-2022` shows another embedded pack's."""
    pack = (load_guideline(guideline) if guideline in GUIDELINE_CHOICES
            else _pack(request))
    return _page(request, "about.html", nav="about", sections=list(pack.sections.values()),
                 tables=pack.tables, categories=pack.categories,
                 references=list(pack.references.values()))


@router.get("/glossary", response_class=HTMLResponse)
async def glossary(request: Request) -> HTMLResponse:
    """The pack's medical words in plain words, A to Z."""
    grouped: dict[str, list[Any]] = {}
    for term in sorted(_pack(request).glossary, key=lambda t: t.term.lower()):
        grouped.setdefault(term.term[0].upper(), []).append(term)
    return _page(request, "glossary.html", nav="glossary", grouped=list(grouped.items()),
                 letters=list(grouped))


# --- the assessment ------------------------------------------------------------------------

def _form_page(request: Request, data: FormData, status: int = 200,
               notice: str | None = None) -> HTMLResponse:
    token, new_cookie = csrf.token_for(request)
    response = _page(request, "assess.html", status=status, headers=NO_STORE, nav="assess",
                     data=data, groups=GROUPS, lab_fields=LAB_FIELDS, units=UNITS,
                     unit_words=UNIT_WORDS, value_labels=VALUE_LABELS,
                     trials_field=TRIALS_INTEREST, csrf_field=csrf.FIELD, csrf_token=token,
                     notice=notice, guideline_field=GUIDELINE, guidelines=GUIDELINE_CHOICES,
                     default_guideline=_pack(request).id)
    csrf.set_cookie(response, new_cookie)
    return response


class FormUnreadable(Exception):
    """A submission no form of ours can produce (too many fields or files, malformed)."""


UNREADABLE = ("This form could not be read (it had more fields than the assessment form has, "
              "or was malformed). Nothing was kept; please fill it in again.")


async def _submitted(request: Request) -> tuple[FormData, bool]:
    """The form as typed, and whether its cross-site token is valid."""
    try:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except HTTPException as exc:
        if exc.status_code == 413:
            raise
        raise FormUnreadable from None
    except (ValueError, KeyError, AssertionError):
        raise FormUnreadable from None
    data = read_form(form.multi_items())
    return data, csrf.is_valid(request, form.get(csrf.FIELD))


EXPIRED = ("For your safety this form had to be checked again (it was open for a long time, "
           "or sent from another page). Your answers are below: please check them and press "
           "the button again.")


async def _submitted_patient(request: Request) -> tuple[FormData, Patient | None, HTMLResponse]:
    """The submitted form, its patient, and the form page to answer with when there is no
    patient (400 for an unreadable form, 403 for a stale token, 422 for bad answers, the
    answers kept where there are any)."""
    try:
        data, trusted = await _submitted(request)
    except FormUnreadable:
        return FormData(), None, _form_page(request, FormData(), status=400, notice=UNREADABLE)
    if not trusted:
        return data, None, _form_page(request, data, status=403, notice=EXPIRED)
    patient = validate(data)
    if patient is None:
        return data, None, _form_page(request, data, status=422)
    return data, patient, HTMLResponse("")


@router.get("/assess", response_class=HTMLResponse)
async def assess_form(request: Request) -> HTMLResponse:
    return _form_page(request, FormData())


@router.post("/assess", response_class=HTMLResponse)
async def assess_result(request: Request) -> HTMLResponse:
    started = time.perf_counter()
    data, patient, refused = await _submitted_patient(request)
    if patient is None:
        return refused
    pack = _chosen_pack(request, data)
    result, engine_ms = await _assess_timed(request, patient, pack)
    token, new_cookie = csrf.token_for(request)
    render_start = time.perf_counter()
    body = render("html", result, pack, request=request, data=data, csrf_field=csrf.FIELD,
                  csrf_token=token, trials_interest=data.values.get(TRIALS_INTEREST, ""))
    render_ms = (time.perf_counter() - render_start) * 1000
    total_ms = (time.perf_counter() - started) * 1000
    timing = (f"engine;dur={engine_ms:.1f}, render;dur={render_ms:.1f}, "
              f"app;dur={total_ms:.1f}, total;dur={total_ms:.1f}")
    response = HTMLResponse(body, headers={**NO_STORE, "Server-Timing": timing})
    csrf.set_cookie(response, new_cookie)
    return response


@router.post("/assess/edit", response_class=HTMLResponse)
async def assess_edit(request: Request) -> HTMLResponse:
    """The form again, filled with the answers carried by the result page."""
    try:
        data, trusted = await _submitted(request)
    except FormUnreadable:
        return _form_page(request, FormData(), status=400, notice=UNREADABLE)
    return _form_page(request, data, status=200 if trusted else 403,
                      notice=None if trusted else EXPIRED)


@router.post("/assess.json")
async def assess_json(request: Request) -> Response:
    """The same assessment as `livertx assess --format json`, as a file to keep."""
    try:
        data, trusted = await _submitted(request)
    except FormUnreadable:
        return JSONResponse({"errors": [{"field": "form", "message": UNREADABLE}]},
                            status_code=400, headers=NO_STORE)
    if not trusted:
        return JSONResponse({"errors": [{"field": csrf.FIELD, "message": EXPIRED}]},
                            status_code=403, headers=NO_STORE)
    patient = validate(data)
    if patient is None:
        errors = [{"field": k, "message": m} for k, ms in data.errors.items() for m in ms]
        errors += [{"field": "form", "message": m} for m in data.general_errors]
        return JSONResponse({"errors": errors}, status_code=422, headers=NO_STORE)
    result, _ = await _assess_timed(request, patient, _chosen_pack(request, data))
    body = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    return Response(body, media_type="application/json", headers={
        **NO_STORE, "Content-Disposition": 'attachment; filename="livertx-assessment.json"'})


@router.post("/compare", response_class=HTMLResponse)
async def compare_page(request: Request) -> HTMLResponse:
    """The 2017 guide and current guidance side by side for the submitted answers."""
    from livertx.compare import AGREEMENT_WORDS, FIT_WORDS, compare

    data, patient, refused = await _submitted_patient(request)
    if patient is None:
        return refused
    token, new_cookie = csrf.token_for(request)
    response = _page(request, "compare.html", headers=NO_STORE, nav="assess",
                     comparison=compare(patient), data=data, fit_words=FIT_WORDS,
                     agreement_words=AGREEMENT_WORDS, csrf_field=csrf.FIELD, csrf_token=token)
    csrf.set_cookie(response, new_cookie)
    return response


@router.get("/result")
async def result_redirect() -> RedirectResponse:
    """A result is only ever the answer to a submitted form (nothing is stored to show)."""
    return RedirectResponse("/assess", status_code=303)


# --- the library ---------------------------------------------------------------------------

GROUP_TITLES = {"surgery": "Surgery", "local": "Treatments aimed at the tumor in the liver",
                "radiation": "Radiation", "drug": "Medicines", "research": "Research",
                "support": "Care and support"}


@router.get("/treatments", response_class=HTMLResponse)
async def treatments(request: Request) -> HTMLResponse:
    pack = _pack(request)
    grouped: dict[str, list[Any]] = {}
    for option in pack.options:
        grouped.setdefault(option.group, []).append(option)
    return _page(request, "treatments.html", nav="treatments", grouped=grouped,
                 group_titles=GROUP_TITLES, topics=pack.topics)


@router.get("/treatments/{option_id}", response_class=HTMLResponse)
async def treatment(request: Request, option_id: str) -> HTMLResponse:
    pack = _pack(request)
    try:
        option = pack.option(option_id)
    except KeyError:
        return _not_found(request, "treatment")
    return _page(request, "treatment.html", nav="treatments", option=option,
                 table=pack.option_tables.get(option.id))


@router.get("/treatments/{option_id}/{technique_id}", response_class=HTMLResponse)
async def technique(request: Request, option_id: str, technique_id: str) -> HTMLResponse:
    pack = _pack(request)
    try:
        option = pack.option(option_id)
        found = next(t for t in option.techniques if t.id == technique_id)
    except (KeyError, StopIteration):
        return _not_found(request, "treatment technique")
    return _page(request, "technique.html", nav="treatments", option=option, technique=found)


@router.get("/topics/{topic_id}", response_class=HTMLResponse)
async def topic(request: Request, topic_id: str) -> HTMLResponse:
    try:
        found = _pack(request).topic(topic_id)
    except KeyError:
        return _not_found(request, "topic")
    return _page(request, "topic.html", nav="treatments", topic=found)


@router.get("/search", response_class=HTMLResponse)
async def search(request: Request, q: str = "") -> HTMLResponse:
    query = q.strip()[:200]
    hits = search_index(request.app).search(query) if query else []
    return _page(request, "search.html", nav="search", query=query, hits=hits)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The stylesheet and the small script (a fixed list of files; no paths)."""
    path = STATIC_FILES.get(name)
    if path is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type=STATIC_TYPES.get(path.suffix, "application/octet-stream"),
                        headers={"Cache-Control": "public, max-age=3600"})
