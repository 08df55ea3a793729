"""No endpoint holds the event loop: each runs in Starlette's thread pool, its session too.

Services are synchronous (a SQLAlchemy ``Session`` on a blocking driver), and a page
or API endpoint is mostly service calls and template rendering around one or two
awaits (the form, the body, an upload). Run on the event loop, every statement, every
wait for SQLite's write lock and every rendering would stop all the worker's other
requests for as long as it takes: a results download at a million ballots stopped
voting for seconds. So the app runs every endpoint, whatever its domain, in the
thread pool (``starlette.concurrency.run_in_threadpool``), the same pool Starlette
uses for plain ``def`` endpoints: :func:`off_the_loop` wraps each route of the app
once, in :func:`consult.web.app.create_app`, and nothing in a domain needs to remember it.

In the thread the request's whole database life happens in one go: on SQLite a write
request's ``BEGIN IMMEDIATE`` (see :mod:`consult.web.db`), the endpoint, and the
commit (a success) or the rollback (an error status, or an exception) — before the
response is sent, so a 303 is only ever sent for a committed change.

An endpoint written ``async def`` runs to its end on an event loop of the worker
thread's own: its awaits only read what the edge already holds (the body was received
whole by ``consult.web.bodies.BodyLimitMiddleware`` before the route ran, so reading
the form or the JSON never waits on the network), and a large upload's temporary file
is written through that loop's own threads. The response is sent from the server's
loop as usual.

An endpoint marked :func:`from_memory` (the home page) is first run on the loop, with
the database out of reach: what a worker keeps in memory (a page kept for visitors
who are not signed in) it answers in microseconds, where the hand-over to a thread
and back costs more than the whole answer. The first time it reaches for the database
(``get_db`` raises ``NeedsDatabase``, before any statement) it stops and runs again,
whole, in a thread as above; so only endpoints that change nothing before their first
statement are marked.

At most as many endpoints run at once as the database pool has connections
(``app.state.endpoint_threads``, :class:`EndpointThreads` of pool size + overflow,
made by the app): a request beyond that waits on the event loop for a thread, holding
nothing, instead of taking a thread that would wait for a connection and fail after
the pool's timeout.

Why the worker's own ``ThreadPoolExecutor`` (asyncio's ``run_in_executor``) and not
``anyio.to_thread.run_sync`` (Starlette's ``run_in_threadpool``): the same hand-over,
the request's context variables copied into the thread as Starlette does, but without
anyio's limiter and cancel-scope bookkeeping on every request. On a cached page that
bookkeeping was a large part of the answer: measured with ``python -m bench
bench_consultations bench_surveys`` on this project's 2-core machine, the kept idea
list went from 0.12 to 0.14 of bare Starlette's rate and a survey's results from 0.083
to 0.092 (before that page was kept whole).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from consult.web.db import NeedsDatabase

__all__ = ["EndpointThreads", "from_memory", "off_the_loop"]


class _ThreadLoop(threading.local):
    """An event loop per worker thread, made on first use and closed with the thread."""

    loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> asyncio.AbstractEventLoop:
        if self.loop is None:
            self.loop = asyncio.new_event_loop()
            # closed when the thread's local data goes, i.e. when the thread ends
            self._closer = _Closer(self.loop)
        return self.loop


class _Closer:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop

    def __del__(self):
        if not self.loop.is_closed() and not self.loop.is_running():
            self.loop.close()


_thread_loop = _ThreadLoop()


def _run(endpoint: Callable, request: Request) -> Response:
    """The endpoint and its database work, in the calling (worker) thread."""
    lazy = request.state.db
    try:
        lazy.begin_if_first()
        if inspect.iscoroutinefunction(endpoint):
            response = _thread_loop.get().run_until_complete(endpoint(request))
        else:
            response = endpoint(request)
    except BaseException:
        lazy.end(ok=False)  # rolled back, unless the route kept its writes (keep_writes)
        raise
    lazy.end(ok=response.status_code < 400)
    return response


def threaded(endpoint: Callable) -> Callable:
    """``endpoint`` as an async endpoint that runs it (and its session) in the thread pool."""
    memory_first = getattr(endpoint, "from_memory", False)

    @functools.wraps(endpoint)
    async def run(request: Request) -> Response:
        if memory_first:
            lazy = request.state.db
            lazy.on_loop = True
            try:
                return await endpoint(request)
            except NeedsDatabase:
                pass
            finally:
                lazy.on_loop = False
        return await request.app.state.endpoint_threads.run(_run, endpoint, request)

    run.off_the_loop = True
    return run


def from_memory(endpoint: Callable) -> Callable:
    """Mark an ``async def`` endpoint to be tried on the event loop first (see the module's
    docstring): it must do nothing but read memory until its first ``get_db``."""
    if not inspect.iscoroutinefunction(endpoint):
        raise TypeError("only an async endpoint can be tried on the event loop")
    endpoint.from_memory = True
    return endpoint


class EndpointThreads:
    """The threads one worker runs its endpoints in, at most ``size`` at once (the
    pool's connections); calls beyond that wait in the executor's queue, holding
    nothing. Threads are started as calls need them and end with the executor."""

    def __init__(self, size: int):
        self._executor = ThreadPoolExecutor(max(size, 1), thread_name_prefix="endpoint")

    async def run(self, function: Callable, *args):
        """``function(*args)`` in one of the threads, with the caller's context variables
        (the request's translator), as ``starlette.concurrency.run_in_threadpool`` runs it."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, functools.partial(context.run, function, *args))


def off_the_loop(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """``routes`` with every endpoint run by :func:`threaded` (new route objects, the
    same paths, methods, names and API descriptions); other kinds of route (mounted
    static files) are kept as they are."""
    wrapped: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Route) and inspect.isfunction(route.endpoint) \
                and not getattr(route.endpoint, "off_the_loop", False):
            new = Route(route.path, threaded(route.endpoint), methods=route.methods, name=route.name,
                        include_in_schema=route.include_in_schema)
            if hasattr(route, "api_spec"):
                new.api_spec = route.api_spec
            wrapped.append(new)
        else:
            wrapped.append(route)
    return wrapped
