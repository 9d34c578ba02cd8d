"""A least-recently-used cache bounded by bytes, keyed by a digest of the input.

The key is a SHA-256 of the canonical JSON, never the input itself, and each entry is
charged its own estimated size, so the cache holds at most `max_bytes` however large or
many the inputs are. Used from worker threads, hence the lock (held only for dict work).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar

V = TypeVar("V")


def canonical(value: Any) -> str:
    """The canonical JSON text of `value` (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of `value`."""
    return digest_of(canonical(value))


class ByteLru(Generic[V]):
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.used = 0
        self._data: OrderedDict[str, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> V | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
            return hit[0]

    def put(self, key: str, value: V, size: int) -> None:
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
