"""Outbound GETs of the CDS service (FHIR servers, JWK Sets), each with a size cap.

The caller sets the deadline for a whole call (`anyio.fail_after`); here a body is read
in chunks and abandoned past `max_bytes`, so a huge or endless answer costs at most that
much memory. Every network failure is the same `FetchFailed`: what went wrong on the
wire (refused, reset, name not found) is not told back to the caller.
"""

from __future__ import annotations

import json
from typing import Any

import httpx


class FetchFailed(Exception):
    """The resource could not be had (network error, too large, not JSON, bad status)."""


class Budget:
    """Bytes one call may still read, shared by its concurrent GETs."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.left = max_bytes

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise FetchFailed(f"the answers exceed {self.max_bytes} bytes in all")


async def get_json(client: httpx.AsyncClient, url: str, headers: dict[str, str],
                   budget: Budget) -> tuple[int, Any]:
    """(HTTP status, parsed JSON body or None) of a GET, the body read within `budget`."""
    try:
        async with client.stream("GET", url, headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > budget.left:
                raise FetchFailed(f"the answers exceed {budget.max_bytes} bytes in all")
            chunks = []
            async for chunk in response.aiter_bytes():
                budget.take(len(chunk))
                chunks.append(chunk)
            status = response.status_code
    except httpx.HTTPError:
        raise FetchFailed("no answer") from None
    if status != 200:
        return status, None
    try:
        return status, json.loads(b"".join(chunks))
    except ValueError:
        raise FetchFailed("the answer is not JSON") from None
