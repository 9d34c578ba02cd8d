"""Assessments for the web pages and the CDS service: off the event loop, and remembered.

Results are pure functions of the patient facts and the pack, so a bounded LRU keeps
recent ones for the CDS service: an EHR re-opening a chart gets the same answer without
recomputing it. The web pages keep nothing.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any, Generic, TypeVar

import anyio

from livertx.engine.assess import explain
from livertx.engine.rows import evaluate_row
from livertx.engine.search import quick
from livertx.knowledge.pack import Pack
from livertx.patient import Patient

V = TypeVar("V")


class Lru(Generic[V]):
    """A small least-recently-used map (event-loop confined, no locking needed)."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict[str, V] = OrderedDict()

    def get(self, key: str) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: str, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)


class Assessor:
    """`await assessor.assess(patient)`: the contract JSON, computed off the event loop.

    A decided case takes a fraction of a millisecond on the Python backend and runs on the
    event loop (a worker thread would wait for the GIL longer than that); so does an open
    case with few combinations to search (`livertx.engine.search.quick`: about a
    millisecond). A wider open case, whose candidates can take several milliseconds, runs
    in one worker thread so the loop keeps serving. `cache_size=0` keeps nothing once a call is answered (the web pages'
    promise).
    """

    def __init__(self, pack: Pack, *, cache_size: int = 4096, shared: bool = False):
        self.pack = pack
        self.shared = shared  # answers only read (never changed): options share kept lists
        self.cache: Lru[dict[str, Any]] = Lru(cache_size)
        # One thread for open cases: more would only contend for the GIL.
        self._limiter = anyio.CapacityLimiter(1)

    async def assess(self, patient: Patient) -> dict[str, Any]:
        key = patient.model_dump_json() if self.cache.size else ""
        cached = self.cache.get(key) if self.cache.size else None
        if cached is not None:
            return cached
        row = evaluate_row(patient.facts(), self.pack)
        if row["category"] is not None or quick(row, self.pack):
            result = explain(row, self.pack, patient, shared=self.shared)
        else:
            result = await anyio.to_thread.run_sync(
                functools.partial(explain, row, self.pack, patient, shared=self.shared),
                limiter=self._limiter)
        if self.cache.size:
            self.cache.put(key, result)
        return result
