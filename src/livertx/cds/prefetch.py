"""The FHIR data of one hook call: prefetch first, the FHIR server for what it left out.

CDS Hooks 2.0: a prefetch key the EHR left out is unsatisfied; a key sent as `null`
means there is no data. Unsatisfied keys are fetched from `fhirServer` with the bearer
token of `fhirAuthorization`. When data cannot be had the service answers 412.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import httpx

from livertx.cds.service import PREFETCH

TIMEOUT_S = 5.0
MAX_PAGES = 5


class DataUnavailable(Exception):
    """Some prefetch keys could be neither read from the request nor fetched (-> 412)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))


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
                 fhir_server: str | None, token: str | None,
                 client: httpx.AsyncClient | None = None) -> dict[str, Any]:
    """Every prefetch key's value, fetching unsatisfied ones; DataUnavailable if impossible."""
    given = dict(prefetch or {})
    values = {k: given[k] for k in PREFETCH if k in given and _usable(given[k])}
    wanted = [k for k in PREFETCH if k not in values]
    if not wanted:
        return values
    if not fhir_server:
        raise DataUnavailable([(k, "not in prefetch and no fhirServer to ask") for k in wanted])
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    own = client is None
    client = client or httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False)
    try:
        base = fhir_server.rstrip("/")
        results = await asyncio.gather(*(_fetch(client, base, render(PREFETCH[k], context), headers)
                                         for k in wanted), return_exceptions=True)
    finally:
        if own:
            await client.aclose()
    problems = []
    for key, result in zip(wanted, results):
        if isinstance(result, BaseException):
            problems.append((key, f"could not be fetched from fhirServer ({result})"))
        else:
            values[key] = result
    if problems:
        raise DataUnavailable(problems)
    return values


async def _fetch(client: httpx.AsyncClient, base: str, query: str,
                 headers: dict[str, str]) -> dict[str, Any] | None:
    """One query; searchset pages followed (only on the same server), 404 on a read = no data."""
    response = await client.get(f"{base}/{query}", headers=headers)
    if response.status_code == 404 and "?" not in query:
        return None
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    body = response.json()
    if not isinstance(body, dict) or body.get("resourceType") == "OperationOutcome":
        raise RuntimeError("the server answered with an OperationOutcome")
    pages = 1
    entries = list(body.get("entry") or []) if body.get("resourceType") == "Bundle" else None
    while entries is not None and pages < MAX_PAGES:
        nxt = next((link.get("url") for link in body.get("link") or []
                    if link.get("relation") == "next"), None)
        if not nxt or not str(nxt).startswith(base + "/"):
            break
        response = await client.get(nxt, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code} on a next page")
        body = response.json()
        entries += list(body.get("entry") or [])
        pages += 1
    if entries is not None:
        return {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    return cast("dict[str, Any]", body)  # a JSON object (checked above; not a Bundle)


def as_bundle(values: dict[str, Any]) -> dict[str, Any]:
    """All gathered resources as one collection Bundle (duplicates by type/id dropped)."""
    seen: set[tuple[str, str]] = set()
    entries = []
    for value in values.values():
        for resource in resources_of(value):
            key = (str(resource.get("resourceType")), str(resource.get("id", id(resource))))
            if key in seen:
                continue
            seen.add(key)
            entries.append({"resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
