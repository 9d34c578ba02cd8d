"""Token ids seen recently: each `jti` is accepted once while its token is alive.

A heap ordered by expiry drops dead ids as new ones arrive, so every check costs O(log n)
however many tokens are alive, and tokens live at most `MAX_LIFETIME_S` (see auth), which
bounds how many can be. Event-loop confined (no lock): the verifier runs on the loop.
"""

from __future__ import annotations

import heapq

MAX_LIVE = 500_000  # ~1,600 calls/s for 5 minutes; beyond that a call is refused, not stored


class ReplayStore:
    def __init__(self, capacity: int = MAX_LIVE, grace_s: float = 5.0):
        self.capacity = capacity
        self.grace_s = grace_s
        self._expiry: list[tuple[float, tuple[str, str]]] = []
        self._live: set[tuple[str, str]] = set()

    def __len__(self) -> int:
        return len(self._live)

    def check(self, issuer: str, jti: str, expires: float, now: float) -> str | None:
        """None when (issuer, jti) is new (it is then remembered), else why it is refused."""
        while self._expiry and self._expiry[0][0] + self.grace_s < now:
            self._live.discard(heapq.heappop(self._expiry)[1])
        key = (issuer, jti)
        if key in self._live:
            return "token replayed (jti already used)"
        if len(self._live) >= self.capacity:
            return "too many live tokens right now; retry with a new token shortly"
        self._live.add(key)
        heapq.heappush(self._expiry, (expires, key))
        return None
