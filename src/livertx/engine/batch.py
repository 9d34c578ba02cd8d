"""Assessments for concurrent hook calls: micro-batched, and remembered.

One assessment of one patient pays the table engine's fixed cost; `assess_many` pays it
once for a whole table of patients. Calls arriving while a batch is being evaluated wait
for the next batch (at most `max_batch` patients), so a lone call is evaluated at once and
a busy server evaluates many per pass. Results are pure functions of the patient facts
and the pack, so a bounded LRU keeps recent ones: an EHR re-opening a chart gets the same
answer without recomputing it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any, Generic, TypeVar

import anyio

from livertx.engine import assess_many
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


class BatchAssessor:
    """`await assessor.assess(patient)`: the contract JSON, batched with concurrent calls.

    `cache_size=0` keeps nothing once a call is answered (the web pages' promise).
    """

    def __init__(self, pack: Pack, *, max_batch: int = 64, cache_size: int = 4096):
        self.pack = pack
        self.max_batch = max_batch
        self.cache: Lru[dict[str, Any]] = Lru(cache_size)
        self._queue: list[tuple[str, Patient, asyncio.Future[dict[str, Any]]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0

    async def assess(self, patient: Patient) -> dict[str, Any]:
        key = patient.model_dump_json()
        cached = self.cache.get(key) if self.cache.size else None
        if cached is not None:
            return cached
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests, reload): start afresh
            self._loop, self._queue, self._worker = loop, [], None
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._queue.append((key, patient, future))
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
            unique: dict[str, Patient] = {}
            for key, patient, _ in batch:
                unique.setdefault(key, patient)
            try:
                results = await anyio.to_thread.run_sync(assess_many, list(unique.values()),
                                                         self.pack)
            except Exception as exc:  # noqa: BLE001 - handed to each waiting call
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.batches += 1
            by_key = dict(zip(unique, results))
            if self.cache.size:
                for key, result in by_key.items():
                    self.cache.put(key, result)
            for key, _, future in batch:
                if not future.done():
                    future.set_result(by_key[key])
