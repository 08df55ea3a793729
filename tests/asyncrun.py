"""Run a coroutine to its end from a test, whatever the main thread holds."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run(coro):
    """Run ``coro`` in a thread of its own: a session-wide browser (Playwright's sync API)
    may hold a running event loop in the main thread, where ``asyncio.run`` is refused."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
