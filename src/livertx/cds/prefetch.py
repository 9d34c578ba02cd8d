"""The FHIR data of one hook call: prefetch first, the FHIR server for what it left out.

CDS Hooks 2.0: a prefetch key the EHR left out is unsatisfied; a key sent as `null`
means there is no data. Unsatisfied keys are fetched from `fhirServer` with the bearer
token of `fhirAuthorization`, but only when `fhirServer` is one of the FHIR base URLs
the operator configured for the calling issuer (an allow-list; empty by default): the
service never calls an address a request merely names. A whole call has one deadline
and one byte budget, and every network failure reads the same. When data cannot be had
the service answers 412 saying why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, TypeVar, cast
from urllib.parse import quote, urlsplit

import anyio
import httpx

from livertx.cds.http import Budget, get_json
from livertx.cds.service import PREFETCH

T = TypeVar("T")
DEADLINE_S = 10.0
MAX_BYTES = 4 * 1024 * 1024
MAX_PAGES = 5
NO_ANSWER = "could not be fetched from fhirServer (no usable answer in time)"


class DataUnavailable(Exception):
    """Some prefetch keys could be neither read from the request nor fetched (-> 412)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))


def _normal(url: str) -> tuple[str, str, int | None, str] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    return parts.scheme, parts.hostname.lower(), port or default, parts.path.rstrip("/")


def allowed_base(fhir_server: str, allowed: Iterable[str]) -> str | None:
    """The configured base URL that `fhir_server` names (compared normalised), or None."""
    given = _normal(fhir_server)
    if given is None:
        return None
    for base in allowed:
        if _normal(base) == given:
            return base.strip().rstrip("/")
    return None


def render(template: str, context: dict[str, Any]) -> str:
    """Fill the prefetch tokens ({{context.patientId}} ...) from the hook context."""
    out = template
    for key, value in context.items():
        if isinstance(value, (str, int)):
            out = out.replace("{{context." + key + "}}", str(value))
    user = str(context.get("userId", ""))
    kind, _, ident = user.partition("/")
    for token in ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson"):
        out = out.replace("{{user" + token + "Id}}", ident if kind == token else "")
    return out


def resources_of(value: Any) -> list[dict[str, Any]]:
    """The resources a prefetch value holds (a resource, or a Bundle of them)."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        return [e["resource"] for e in value.get("entry") or []
                if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                and e.get("search", {}).get("mode", "match") != "outcome"]
    return [value]


def _usable(value: Any) -> bool:
    return value is None or (isinstance(value, dict) and value.get("resourceType") not in
                             (None, "OperationOutcome"))


async def gather(prefetch: dict[str, Any] | None, context: dict[str, Any],
                 fhir_server: str | None, token: str | None, *, allowed: Iterable[str] = (),
                 deadline_s: float = DEADLINE_S, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Every prefetch key's value, fetching unsatisfied ones; DataUnavailable if impossible."""
    given = dict(prefetch or {})
    values = {k: given[k] for k in PREFETCH if k in given and _usable(given[k])}
    wanted = [k for k in PREFETCH if k not in values]
    if not wanted:
        return values
    if not fhir_server:
        raise DataUnavailable([(k, "not in prefetch and no fhirServer to ask") for k in wanted])
    base = allowed_base(fhir_server, allowed)
    if base is None:
        message = (f"{', '.join(wanted)} not in prefetch, and this service fetches only from "
                   "the FHIR servers its operator listed for the calling EHR (fhirServer is not "
                   "one); send the data as prefetch")
        raise DataUnavailable([("fhirServer", message)])
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    budget = Budget(max_bytes)
    queries = [render(PREFETCH[k], {**context, "patientId": quote(str(context["patientId"]))})
               for k in wanted]
    try:
        with anyio.fail_after(deadline_s):
            async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
                results = await asyncio.gather(*(_fetch(client, base, q, headers, budget)
                                                 for q in queries), return_exceptions=True)
    except TimeoutError:
        raise DataUnavailable([(k, NO_ANSWER) for k in wanted]) from None
    problems = []
    for key, result in zip(wanted, results, strict=True):
        if isinstance(result, BaseException):
            problems.append((key, str(result) if isinstance(result, _Refused) else NO_ANSWER))
        else:
            values[key] = result
    if problems:
        raise DataUnavailable(problems)
    return values


class _Refused(Exception):
    """The FHIR server answered, but not with what was asked (its status is told)."""


async def _fetch(client: httpx.AsyncClient, base: str, query: str, headers: dict[str, str],
                 budget: Budget) -> dict[str, Any] | None:
    """One query; searchset pages followed (only on the same server), 404 on a read = no data."""
    status, body = await get_json(client, f"{base}/{query}", headers, budget)
    if status == 404 and "?" not in query:
        return None
    if status != 200:
        raise _Refused(f"could not be fetched from fhirServer (HTTP {status})")
    if not isinstance(body, dict) or body.get("resourceType") == "OperationOutcome":
        raise _Refused("could not be fetched from fhirServer (it answered with an "
                       "OperationOutcome or not a resource)")
    pages = 1
    entries = list(body.get("entry") or []) if body.get("resourceType") == "Bundle" else None
    while entries is not None and pages < MAX_PAGES:
        nxt = next((link.get("url") for link in body.get("link") or []
                    if isinstance(link, dict) and link.get("relation") == "next"), None)
        if not isinstance(nxt, str) or not nxt.startswith(base + "/"):
            break
        status, body = await get_json(client, nxt, headers, budget)
        if status != 200 or not isinstance(body, dict):
            raise _Refused(f"could not be fetched from fhirServer (HTTP {status} on a next page)")
        entries += list(body.get("entry") or [])
        pages += 1
    if entries is not None:
        return {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    return cast("dict[str, Any]", body)  # a JSON object (checked above; not a Bundle)


def gathered_resources(values: dict[str, Any]) -> list[dict[str, Any]]:
    """All gathered resources, once each (duplicates by type/id dropped)."""
    return once_each((resource_name(r), r) for value in values.values()
                     for r in resources_of(value))


def once_each(named: Iterable[tuple[tuple[str, str] | None, T]]) -> list[T]:
    """The items in order, the first of each name only (`resource_name`; a nameless item
    is never taken for another): the one rule for a resource met twice in a call."""
    seen: set[tuple[str, str]] = set()
    out = []
    for name, item in named:
        if name is not None:
            if name in seen:
                continue
            seen.add(name)
        out.append(item)
    return out


def resource_name(resource: dict[str, Any]) -> tuple[str, str] | None:
    """What tells a resource met twice in a call: its type and id; None for one without
    an id."""
    if "id" not in resource:
        return None
    return str(resource.get("resourceType")), str(resource["id"])


def as_bundle(values: dict[str, Any]) -> dict[str, Any]:
    """All gathered resources as one collection Bundle."""
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in gathered_resources(values)]}
