"""A least-recently-used cache bounded by bytes, keyed by a digest of the input.

The key is a SHA-256 of the canonical JSON (or, for a caller that charges the key's bytes
to its entry, the input's own JSON text: `cds.records`' prefetch values), and each entry is
charged its own estimated size, so the cache holds at most `max_bytes` however large or
many the inputs are. Used from worker threads, hence the lock around a `put` (its byte
count and evictions go together); a `get` takes none: each of its two dict steps is one
C call under the GIL (keys are str or bytes, whose hash and equality run no Python code),
and an entry evicted between them is simply not moved.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar

import orjson

V = TypeVar("V")


def canonical(value: Any) -> bytes:
    """The canonical JSON of `value` as UTF-8 bytes (sorted keys, no spaces).

    orjson writes it (a tenth of the standard library's time). Where orjson would lose a
    difference (NaN and infinities written as `null`) or cannot write a value (integers
    beyond 64 bits, lone surrogates), the standard library writes it instead, keeping them
    apart: two texts are equal only for equal values, whichever library wrote them.
    """
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _standard(value)
    return _standard(value) if b"null" in text else text


def _standard(value: Any) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of `value`."""
    return digest_of(canonical(value))


class ByteLru(Generic[V]):
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.used = 0
        self._data: OrderedDict[str | bytes, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str | bytes) -> V | None:
        hit = self._data.get(key)
        if hit is None:
            return None
        try:
            self._data.move_to_end(key)
        except KeyError:  # evicted by another thread's put meanwhile: a hit all the same
            pass
        return hit[0]

    def put(self, key: str | bytes, value: V, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.used -= old[1]
            self._data[key] = (value, size)
            self.used += size
            while self.used > self.max_bytes:
                _, (_, freed) = self._data.popitem(last=False)
                self.used -= freed
