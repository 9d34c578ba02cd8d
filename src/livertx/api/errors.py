"""JSON errors for the machine-facing routes (/api, /cds-services): one shape, never a 500.

Bad input answers 422 `{"detail": [{"field": ..., "message": ...}]}`. The handling lives in
a route class, so it applies only to routers that opt in and leaves the HTML form routes
of the web module to their own error pages.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from livertx.api.fastjson import loads_body
from livertx.errors import FhirError, InvalidInput, LivertxError

log = logging.getLogger("livertx.api")
DEFAULT_MAX_BODY = 256 * 1024


def error_response(status: int, errors: list[tuple[str, str]],
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": [{"field": f, "message": m} for f, m in errors]},
                        status_code=status, headers=headers)


def validation_errors(exc: RequestValidationError) -> list[tuple[str, str]]:
    """FastAPI's request errors as (field, message), the body's own location dropped."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            where, loc = loc[0], loc[1:]
        else:
            where = "body"
        field = ".".join(loc) or where
        message = str(err.get("msg", "invalid value"))
        if err.get("type") == "json_invalid":
            field, message = "body", f"not valid JSON ({err.get('ctx', {}).get('error', message)})"
        elif err.get("type") == "missing":
            message = "required"
        out.append((field, message))
    return out or [("body", "invalid request")]


def _read_json(request: Request, body: bytes) -> None:
    """Reads a JSON body with orjson ahead of FastAPI (`fastjson.loads_body`), which then
    takes it from Starlette's cache (`Request._json`); a body that is not JSON is left to
    FastAPI, so its 422 is unchanged."""
    if body and "json" in request.headers.get("content-type", ""):
        with contextlib.suppress(Exception):  # not JSON, or nested too deep: FastAPI answers
            request._json = loads_body(body)


class JsonErrorRoute(APIRoute):
    """An APIRoute whose errors are JSON `{field, message}` lists, with a body size cap."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            settings = getattr(request.app.state, "settings", None)
            limit = getattr(settings, "max_body_bytes", DEFAULT_MAX_BODY)
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                return error_response(413, [("body", f"larger than {limit} bytes")])
            if request.method in ("POST", "PUT", "PATCH"):
                body = await request.body()
                if len(body) > limit:
                    return error_response(413, [("body", f"larger than {limit} bytes")])
                _read_json(request, body)
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return error_response(422, validation_errors(exc))
            except HTTPException as exc:
                if exc.status_code != 400:  # FastAPI's "error parsing the body" (not UTF-8...)
                    raise
                return error_response(422, [("body", f"not valid JSON ({exc.detail})")])
            except InvalidInput as exc:
                return error_response(422, [(e.field, e.message) for e in exc.errors])
            except FhirError as exc:
                where = getattr(exc, "where", "bundle")
                return error_response(422, [(where, getattr(exc, "message", str(exc)))])
            except LivertxError as exc:
                return error_response(422, [("body", str(exc))])

        return guarded

