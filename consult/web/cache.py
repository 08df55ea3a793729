"""A tiny per-process cache for public data that may be a few seconds stale.

The home page shows the sub-district, its areas and counts: the same for everyone and
changed only when an admin edits places. Each worker keeps it for
``Settings.public_cache_seconds`` (0 turns caching off). Only plain values go in,
never ORM objects bound to a request's session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TTLCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._data: dict[str, tuple[float, object]] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        if self.seconds <= 0:
            return compute()
        now = self.clock()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[return-value]
        value = compute()
        self._data[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._data.clear()
