"""A small per-process cache of rendered list pages (the idea list is the busiest page).

Correctness comes from the key, not from expiry: callers put the consultation's
``ideas_version`` in it, and every service that changes what a list shows raises
that number in its own transaction (``services.ideas_changed``), so a change is
visible on the next request, in every worker. Entries still expire after
``seconds`` because a list also shows what other domains own (place names, the
building groups in the filter menu): those may be ``seconds`` stale, like the home
page (``Settings.public_cache_seconds``; 0 turns caching off).

Memory is bounded: at most ``max_entries`` values, the least recently used dropped
first. Values are shared between requests: plain data, or ORM objects as their request
loaded them (read-only; detached when that request's session closes, never expired,
see ``consult.web.db``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class PageCache:
    def __init__(self, max_entries: int, seconds: float,
                 clock: Callable[[], float] = time.monotonic):
        self.max_entries = max_entries
        self.seconds = seconds
        self.clock = clock
        self._data: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()

    def get(self, key: Hashable):
        """The value stored under ``key``, or None when absent or expired."""
        hit = self._data.get(key)
        if hit is None:
            return None
        if hit[0] <= self.clock():
            self._data.pop(key, None)
            return None
        try:
            self._data.move_to_end(key)
        except KeyError:  # dropped meanwhile by another thread: still a valid value
            pass
        return hit[1]

    def put(self, key: Hashable, value: object) -> None:
        if self.seconds <= 0 or self.max_entries <= 0:
            return
        self._data[key] = (self.clock() + self.seconds, value)
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
