"""One database transaction per request, committed at the edge.

The session is opened lazily on first use. Just before the response starts it is
committed when the response is a success (status < 400) and rolled back
otherwise, so a refused form changes nothing; a route that must keep its writes
on a failure (the login throttle counting a wrong password) says so with
:func:`keep_writes`. GET/HEAD use a read transaction; other methods a write one
(``BEGIN IMMEDIATE`` on SQLite), on one pooled driver connection that the ORM joins
when a route needs it (``consult.db.request``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consult.db.request import RequestSession

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class _Lazy:
    def __init__(self, database, write: bool):
        self.database = database
        self.write = write
        self.session: RequestSession | None = None
        self.keep_on_error = False

    def get(self) -> Session:
        if self.session is None:
            self.session = self.database.request_session(write=self.write)
        return self.session

    def finish(self, ok: bool) -> None:
        if self.session is not None:
            self.session.finish(commit=ok or self.keep_on_error)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


class DatabaseMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lazy = _Lazy(scope["app"].state.database, scope["method"] not in _READ_METHODS)
        scope.setdefault("state", {})["db"] = lazy
        finished = False

        async def send_wrapper(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start" and not finished:
                finished = True
                lazy.finish(message["status"] < 400)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except BaseException:
            if lazy.session is not None and not finished:
                lazy.session.finish(commit=False)
            raise
        finally:
            lazy.close()


def get_db(request: Request) -> Session:
    return request.state.db.get()


def keep_writes(request: Request) -> None:
    """Commit this request's writes even though it answers with an error status."""
    request.state.db.keep_on_error = True
