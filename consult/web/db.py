"""One database session per request, committed at the edge.

The session (``Database.session``) is made on first use. Just before the response
starts it is committed when the response is a success (status < 400) and otherwise
closed without committing, which rolls its transaction back, so a refused form changes
nothing; a route that must keep its writes on a failure (the login throttle counting a
wrong password) says so with :func:`keep_writes`. An exception escaping the route ends
it the same way. Closing (rather than ``rollback()``) leaves the objects the request
loaded as they were loaded, detached: a page cache filled during a request that then
failed holds nothing expired. GET/HEAD/OPTIONS use a read transaction; other methods a
write one (``BEGIN IMMEDIATE`` on SQLite).

On SQLite a write request's transaction begins before the route runs (its body has
been received whole by then, see ``BodyLimitMiddleware``): it holds the write lock
before the route reads the clock, so a time it acts on (is the round still open?) is
never older than a write that committed while it waited for the lock. Multipart
requests are the exception: their files are spooled through a thread pool while the
form is parsed, and the event loop must not hold the lock across that wait (another
request of the same worker would block the loop waiting for it); their routes read
the form before their first statement. On PostgreSQL nothing is checked out before the
first statement; writes that depend on time lock the row they depend on first (a
vote round: ``consult.voting.services.load_ballot_round``, ``lock_round``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class _Lazy:
    def __init__(self, database, write: bool):
        self.database = database
        self.write = write
        self.session: Session | None = None
        self.keep_on_error = False

    def get(self) -> Session:
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
        lazy = _Lazy(database, scope["method"] not in _READ_METHODS)
        scope.setdefault("state", {})["db"] = lazy
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                lazy.finish(message["status"] < 400)
            await send(message)

        try:
            if _begins_first(database, scope):
                lazy.get().connection()  # BEGIN IMMEDIATE: the lock, then the route's clock
            await self.app(scope, receive, send_wrapper)
        finally:  # after an exception too: closed uncommitted, so rolled back
            lazy.close()


def get_db(request: Request) -> Session:
    return request.state.db.get()


def keep_writes(request: Request) -> None:
    """Commit this request's writes even though it answers with an error status."""
    request.state.db.keep_on_error = True
