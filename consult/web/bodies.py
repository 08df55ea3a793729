"""Request bodies: received whole before the app runs, refused when too large or too slow."""

from __future__ import annotations

import asyncio
from tempfile import SpooledTemporaryFile

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consult.web.errors import error_response


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


#: Bodies are replayed to the app in pieces of this size.
_CHUNK = 64 * 1024
#: A body up to this size stays in memory while it is held; larger ones go to a temporary file.
_SPOOL_BYTES = 1024 * 1024
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class BodyLimitMiddleware:
    """Receive the whole request body before the app runs; refuse it when too large or too slow.

    Why: a route's database transaction must never be open while the client is still
    sending. On SQLite a write request holds the database's one write lock from its
    first statement, and on PostgreSQL a pooled connection: a phone that sends its
    headers and then stalls (a photo upload on a weak signal) would stop every other
    voter. So the body is read here first, before any route (and so any statement)
    runs: into memory, or a temporary file past ``_SPOOL_BYTES``, then replayed to the
    app. Over the limit (by ``Content-Length``, or counted as it arrives when the
    client sends none, e.g. chunked) answers 413; a body that stops arriving for
    ``idle_seconds``, or takes longer than ``total_seconds`` in all, answers 408.
    Multipart requests (photo uploads) get the larger limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int,
                 idle_seconds: float = 20, total_seconds: float = 600):
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes
        self.idle_seconds = idle_seconds
        self.total_seconds = total_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"")
        limit = self.max_upload_bytes if content_type.startswith(b"multipart/") else self.max_bytes
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_large = int(length) > limit
            except ValueError:
                too_large = True
            if too_large:
                await _send_error(scope, receive, send, 413)
                return
        if scope["method"] in _READ_METHODS and length is None \
                and b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(receive, limit)
        except BodyTooLarge:
            await _send_error(scope, receive, send, 413)
            return
        except BodyTooSlow:
            await _send_error(scope, receive, send, 408)
            return
        except ClientDisconnect:
            return
        try:
            await self.app(scope, _replay(body, receive), send)
        finally:
            body.close()

    async def _read(self, receive: Receive, limit: int) -> SpooledTemporaryFile:
        """The whole body, each piece awaited for at most the idle time or what is left of
        the total time. Why one deadline and not a ``wait_for`` around the whole read: an
        inner ``wait_for`` whose piece arrives just as the outer one cancels it swallows
        the cancellation (Python 3.11), and the trickle would then be read to its end."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.total_seconds
        body = SpooledTemporaryFile(max_size=_SPOOL_BYTES)
        received = 0
        try:
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    raise BodyTooSlow()
                try:
                    message = await asyncio.wait_for(receive(), min(self.idle_seconds, left))
                except TimeoutError:
                    raise BodyTooSlow() from None
                if message["type"] == "http.disconnect":
                    raise ClientDisconnect()
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge()
                if chunk:
                    body.write(chunk)
                if not message.get("more_body", False):
                    body.seek(0)
                    return body
        except BaseException:
            body.close()
            raise


def _replay(body: SpooledTemporaryFile, receive: Receive) -> Receive:
    """A ``receive`` that hands out the held body, then waits on the client (a disconnect)."""
    done = False

    async def replayed() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = body.read(_CHUNK)
        more = body.tell() < _size(body)
        done = not more
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replayed


def _size(body: SpooledTemporaryFile) -> int:
    position = body.tell()
    end = body.seek(0, 2)
    body.seek(position)
    return end


async def _send_error(scope: Scope, receive: Receive, send: Send, status: int) -> None:
    """An error page (or API error) for a body refused before the app ran; the rest of the
    body is not read, so the connection is closed after the answer."""
    request = Request(scope, receive)
    response = error_response(request, status)
    response.headers["connection"] = "close"
    await response(scope, receive, send)
