"""The FHIR record of a hook call, read once per content: validated resources and the
mapped patient, each remembered by digest.

Each gathered resource is written as canonical JSON once; each prefetch value's resources,
with their JSON and digests, are kept by the value's own JSON text (most values are the same
call after call, and writing a value's text takes a fraction of canonicalising and digesting
its resources); a resource's SHA-256 keys the cache of
validated resource models (a resource seen before is not validated again; an unseen one
always is), and the record's key is the digest of the context patient and of those
resource digests in order, which is all the mapping reads. What each Observation and
Condition says on its own is kept by its digest too (`fhir.mapping.Reading`): a chart that
differs from one seen before in a lab or two reads only those again. A usual prefetch (a small body
with few unseen resources: validating one takes about 0.1 ms, mapping the record about
0.3 ms) is read on the event loop, which costs less than handing it to a worker thread
and back; the thread would hold the GIL for the same time anyway. A large body, or one
with many unseen resources, is read in a worker thread, so the loop keeps serving other
calls in the GIL's switch intervals meanwhile.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import anyio
import orjson

from livertx.cds.cache import ByteLru, canonical, digest_of
from livertx.cds.prefetch import once_each, resource_name, resources_of
from livertx.fhir import MappedPatient, map_entries, resource_model
from livertx.fhir.mapping import Reading
from livertx.fhir.read import Entry, index_free, resource_entries

MAPPED_CACHE_BYTES = 16 * 1024 * 1024
READINGS_CACHE_BYTES = 8 * 1024 * 1024
RESOURCE_CACHE_BYTES = 32 * 1024 * 1024
VALUES_CACHE_BYTES = 8 * 1024 * 1024
VALUE_BYTES_PER_JSON_BYTE = 4  # the key, each resource's JSON and the resources themselves
MODEL_BYTES_PER_JSON_BYTE = 8  # a validated resource model weighs several times its JSON
MAPPING_THREADS = 2
INLINE_BYTES = 32 * 1024  # a request body up to this size may be read on the event loop
INLINE_UNSEEN = 24  # ... when at most this many of its resources need validating (~2.5 ms)


@dataclass(frozen=True)
class _Record:
    """The gathered resources with their canonical JSON, and the record's key."""

    patient: str
    resources: list[dict[str, Any]]
    texts: list[bytes]
    digests: list[str]
    key: str


# One prefetch value's resources: each with its name (`prefetch.resource_name`), the resource,
# its canonical JSON and that JSON's digest.
Gathered = tuple[tuple[tuple[str, str] | None, dict[str, Any], bytes, str], ...]


@dataclass(frozen=True)
class _Kept:
    """A validated resource, and its entries when they are named the same at any position
    in a record (`fhir.read.index_free`: made once, not every call)."""

    model: Any
    entries: tuple[Entry, ...] | None


class RecordReader:
    """Maps a call's gathered prefetch to a `MappedPatient`, through both caches."""

    def __init__(self) -> None:
        self.mapped = ByteLru[MappedPatient](MAPPED_CACHE_BYTES)
        self.resources = ByteLru[_Kept](RESOURCE_CACHE_BYTES)
        self.readings = ByteLru[Reading](READINGS_CACHE_BYTES)
        self.values = ByteLru[Gathered](VALUES_CACHE_BYTES)
        self.limiter = anyio.CapacityLimiter(MAPPING_THREADS)

    async def read(self, values: dict[str, Any], patient: str, *, small: bool) -> MappedPatient:
        """The mapped record (FhirError when it cannot be read); `small`: the request body
        is at most INLINE_BYTES."""
        if not small:
            return await anyio.to_thread.run_sync(self._read, values, patient,
                                                  limiter=self.limiter)
        record = self._record(values, patient)
        mapped = self.mapped.get(record.key)
        if mapped is not None:
            return mapped
        kept = [self.resources.get(key) for key in record.digests]
        if sum(known is None for known in kept) <= INLINE_UNSEEN:
            return self._map(record, kept)
        return await anyio.to_thread.run_sync(self._map, record, kept, limiter=self.limiter)

    def _read(self, values: dict[str, Any], patient: str) -> MappedPatient:
        record = self._record(values, patient)
        mapped = self.mapped.get(record.key)
        if mapped is None:
            mapped = self._map(record, [self.resources.get(key) for key in record.digests])
        return mapped

    def _record(self, values: dict[str, Any], patient: str) -> _Record:
        """The gathered resources (`prefetch.gathered_resources`) with their canonical JSON
        and digests, and the record's key; each prefetch value's part kept (`_gathered`):
        most of a chart is the same call after call, so most values are neither
        canonicalised nor digested again."""
        parts = once_each((part[0], part) for value in values.values()
                          for part in self._gathered(value))
        digests = [digest for _, _, _, digest in parts]
        return _Record(patient, [resource for _, resource, _, _ in parts],
                       [text for _, _, text, _ in parts], digests, _record_key(patient, digests))

    def _gathered(self, value: Any) -> Gathered:
        """One prefetch value's resources with their names, canonical JSON and digests,
        kept by the value's JSON text as orjson writes it when that text tells it from
        every other value (not when it holds a `null`, which a NaN or an infinity is
        written as too; never when orjson cannot write it)."""
        try:
            raw = orjson.dumps(value) if isinstance(value, dict) else None
        except TypeError:  # an integer beyond 64 bits, a lone surrogate
            raw = None
        key = raw if raw is not None and b"null" not in raw else None
        found = self.values.get(key) if key is not None else None
        if found is not None:
            return found
        gathered = tuple(_part(resource) for resource in resources_of(value))
        if key is not None:
            self.values.put(key, gathered, len(key) * VALUE_BYTES_PER_JSON_BYTE + 256)
        return gathered

    def _map(self, record: _Record, kept: list[_Kept | None]) -> MappedPatient:
        """Validates the resources not seen before (`None` in `kept`), maps, remembers."""
        items: list[Entry] = []
        for i, known in enumerate(kept):
            key = record.digests[i]
            if known is None:
                model = resource_model(record.resources[i])
                known = _Kept(model, tuple(resource_entries(model, i, key))
                              if index_free(model) else None)
                self.resources.put(key, known,
                                   len(record.texts[i]) * MODEL_BYTES_PER_JSON_BYTE + 1024)
            items += (known.entries if known.entries is not None
                      else resource_entries(known.model, i, key))
        mapped = map_entries(items, strict=False, patient=record.patient,
                             readings=self.readings)
        self.mapped.put(record.key, mapped, _size(mapped))
        return mapped


def _record_key(patient: str, digests: list[str]) -> str:
    return digest_of("\n".join([patient, *digests]).encode())  # patient: an R4 id, ASCII


def _part(resource: dict[str, Any]) -> tuple[tuple[str, str] | None, dict[str, Any], bytes, str]:
    text = canonical(resource)
    return resource_name(resource), resource, text, digest_of(text)


def _size(mapped: MappedPatient) -> int:
    """Estimated bytes an entry holds (its report as JSON, plus the objects around it)."""
    report = mapped.report()
    try:
        text = len(orjson.dumps(report, default=repr))
    except TypeError:  # a key orjson cannot write
        text = len(repr(report))
    return text + sys.getsizeof(mapped) + 2048
