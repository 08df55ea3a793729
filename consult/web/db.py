"""One database session per request, committed at the edge.

The session (``Database.session``) is made on first use. When the endpoint has
answered, the session is committed if the response is a success (status < 400) and
otherwise closed without committing, which rolls its transaction back, so a refused
form changes nothing; a route that must keep its writes on a failure (the login
throttle counting a wrong password) says so with :func:`keep_writes`. An exception
escaping the route ends it the same way. Closing (rather than ``rollback()``) leaves
the objects the request loaded as they were loaded, detached: a page cache filled
during a request that then failed holds nothing expired. GET/HEAD/OPTIONS use a read
transaction; other methods a write one (``BEGIN IMMEDIATE`` on SQLite).

All of it happens in the endpoint's worker thread (``consult.web.offloop``), never on
the event loop: the begin, the endpoint's statements, the commit or rollback, and the
connection's return to the pool. Whatever is still open when the response starts (an
error handler's answer) is ended through the thread pool as well.

On SQLite a write request's transaction begins before the endpoint runs (its body has
been received whole by then, see ``BodyLimitMiddleware``): it holds the write lock
before the route reads the clock, so a time it acts on (is the round still open?) is
never older than a write that committed while it waited for the lock. Multipart
requests are the exception: their routes read the form (spooling its files) before
their first statement, so the write lock is not held while an upload is written to
disk. On PostgreSQL nothing is checked out before the first statement; writes that
depend on time lock the row they depend on first (a vote round:
``consult.voting.services.load_ballot_round``, ``lock_round``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class NeedsDatabase(Exception):
    """Raised by ``get_db`` while an endpoint tries to answer from memory on the event
    loop (``consult.web.offloop.from_memory``): it must run in a thread instead."""


class _Lazy:
    def __init__(self, database, write: bool, begins_first: bool = False):
        self.database = database
        self.write = write
        self.begins_first = begins_first
        self.session: Session | None = None
        self.keep_on_error = False
        #: True while the endpoint runs on the event loop, where the database is out of reach
        self.on_loop = False

    def begin_if_first(self) -> None:
        """On SQLite, a write request (not multipart) takes the write lock now: the lock,
        then the route's clock."""
        if self.begins_first and self.session is None:
            self.get().connection()  # BEGIN IMMEDIATE

    def end(self, ok: bool) -> None:
        """Commit (``ok``, or writes kept) or roll back, and give the connection back."""
        try:
            self.finish(ok)
        finally:
            self.close()

    def get(self) -> Session:
        if self.on_loop:
            raise NeedsDatabase()
        if self.session is None:
            self.session = self.database.session(write=self.write)
        return self.session

    def finish(self, ok: bool) -> None:
        if self.session is None:
            return
        if ok or self.keep_on_error:
            self.session.commit()
        else:
            self.close()  # the transaction is rolled back as the connection is released

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def _begins_first(database, scope: Scope) -> bool:
    """Does this request take SQLite's write lock before its route runs?"""
    if not database.is_sqlite or scope["method"] in _READ_METHODS:
        return False
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return not value.startswith(b"multipart/")
    return True


class DatabaseMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        database = scope["app"].state.database
        lazy = _Lazy(database, scope["method"] not in _READ_METHODS, _begins_first(database, scope))
        scope.setdefault("state", {})["db"] = lazy

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and lazy.session is not None:
                await run_in_threadpool(lazy.finish, message["status"] < 400)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:  # after an exception too: closed uncommitted, so rolled back
            if lazy.session is not None:
                await run_in_threadpool(lazy.close)


def get_db(request: Request) -> Session:
    return request.state.db.get()


def keep_writes(request: Request) -> None:
    """Commit this request's writes even though it answers with an error status."""
    request.state.db.keep_on_error = True
