"""The FHIR record of a hook call, read once per content: validated resources and the
mapped patient, each remembered by digest.

Each gathered resource is written as canonical JSON once; its SHA-256 keys the cache of
validated resource models (a resource seen before is not validated again; an unseen one
always is), and the record's key is the digest of the context patient and of those
resource digests in order, which is all the mapping reads. A small record (the usual
prefetch, a few KiB) is read on the event loop: that takes about half a millisecond,
less than handing it to a worker thread and back. A large one is read in a worker thread,
so the loop keeps serving other calls meanwhile.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import anyio

from livertx.cds.cache import ByteLru, canonical, digest_of
from livertx.cds.prefetch import gathered_resources
from livertx.fhir import MappedPatient, map_entries, model_entries, resource_model

MAPPED_CACHE_BYTES = 16 * 1024 * 1024
RESOURCE_CACHE_BYTES = 32 * 1024 * 1024
MODEL_BYTES_PER_JSON_BYTE = 8  # a validated resource model weighs several times its JSON
MAPPING_THREADS = 2
INLINE_BYTES = 32 * 1024  # a request body up to this size is read on the event loop


@dataclass(frozen=True)
class _Record:
    """The gathered resources with their canonical JSON, and the record's key."""

    resources: list[dict[str, Any]]
    texts: list[bytes]
    digests: list[str]
    key: str


class RecordReader:
    """Maps a call's gathered prefetch to a `MappedPatient`, through both caches."""

    def __init__(self) -> None:
        self.mapped = ByteLru[MappedPatient](MAPPED_CACHE_BYTES)
        self.resources = ByteLru[Any](RESOURCE_CACHE_BYTES)
        self.limiter = anyio.CapacityLimiter(MAPPING_THREADS)

    async def read(self, values: dict[str, Any], patient: str, *, inline: bool) -> MappedPatient:
        """The mapped record (FhirError when it cannot be read); `inline`: on the loop."""
        if inline:
            return self._read(values, patient)
        return await anyio.to_thread.run_sync(self._read, values, patient, limiter=self.limiter)

    def _read(self, values: dict[str, Any], patient: str) -> MappedPatient:
        record = _record(values, patient)
        mapped = self.mapped.get(record.key)
        if mapped is None:
            models = [self._model(data, text, key) for data, text, key
                      in zip(record.resources, record.texts, record.digests, strict=True)]
            mapped = map_entries(model_entries(models), strict=False, patient=patient)
            self.mapped.put(record.key, mapped, _size(mapped))
        return mapped

    def _model(self, data: dict[str, Any], text: bytes, key: str) -> Any:
        """The resource validated by its FHIR model; the same JSON is validated only once."""
        model = self.resources.get(key)
        if model is None:
            model = resource_model(data)
            self.resources.put(key, model, len(text) * MODEL_BYTES_PER_JSON_BYTE + 1024)
        return model


def _record(values: dict[str, Any], patient: str) -> _Record:
    resources = gathered_resources(values)
    texts = [canonical(r) for r in resources]
    digests = [digest_of(t) for t in texts]
    key = digest_of("\n".join([patient, *digests]).encode())  # patient: an R4 id, ASCII
    return _Record(resources, texts, digests, key)


def _size(mapped: MappedPatient) -> int:
    """Estimated bytes an entry holds (its report as JSON, plus the objects around it)."""
    return len(repr(mapped.report())) + sys.getsizeof(mapped) + 2048
