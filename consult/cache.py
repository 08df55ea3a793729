"""The one in-process cache: bounded, least recently used first out, optionally short-lived.

Every cache in the app is one of these (``cachetools`` underneath), so each states the
same three things: how many values it keeps, how long (``seconds``; None for as long
as there is room, 0 for not at all), and its key. The key carries everything the
value depends on; correctness never rests on expiry where a version number can say
"changed" (the idea list, the survey results: the version is read from the database
in the request, so every worker process sees a change on its next request).

Values are shared by requests and threads: plain data (strings, tuples, rows, frozen
dataclasses, rendered HTML), or ORM objects as their request loaded them, read-only:
detached when that request's session closes, never expired (``consult.web.db``), never
attached to another session.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import LRUCache, TTLCache

T = TypeVar("T")

_MISSING = object()


class Cache:
    def __init__(self, max_entries: int, seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.max_entries = max_entries
        self.seconds = seconds
        self.enabled = max_entries > 0 and (seconds is None or seconds > 0)
        size = max(max_entries, 1)
        self._data = LRUCache(size) if seconds is None else TTLCache(size, max(seconds, 0), timer=clock)
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        """The value kept under ``key``, or None when absent or expired."""
        return self._lookup(key, None)

    def _lookup(self, key: Hashable, default):
        with self._lock:
            return self._data.get(key, default)

    def put(self, key: Hashable, value: object) -> None:
        if self.enabled:
            with self._lock:
                self._data[key] = value

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The kept value, or ``compute()`` kept and returned. ``compute`` runs outside the
        lock (it may query the database); when two requests compute the same key at once,
        both get the value stored first."""
        value = self._lookup(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        value = compute()
        if not self.enabled:
            return value
        with self._lock:
            kept = self._data.get(key, _MISSING)
            if kept is not _MISSING:
                return kept  # type: ignore[return-value]
            self._data[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)
