"""Security middleware: headers on every response, body size limits, the client's address."""

from __future__ import annotations

import asyncio
import ipaddress
from tempfile import SpooledTemporaryFile

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)

HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, hsts: bool = False):
        self.app = app
        self.headers = list(HEADERS)
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in present]
                if b"cache-control" not in present and _personal(scope):
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _personal(scope: Scope) -> bool:
    """Is this answer for one person: a bearer token was sent, or someone is signed in?
    No cache (a shared proxy's, the browser's on a shared computer) may keep it."""
    if any(name == b"authorization" for name, _ in scope.get("headers", ())):
        return True
    return scope.get("state", {}).get("user") is not None


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
            body = await asyncio.wait_for(self._read(receive, limit), self.total_seconds)
        except BodyTooLarge:
            await _send_error(scope, receive, send, 413)
            return
        except (TimeoutError, BodyTooSlow):
            await _send_error(scope, receive, send, 408)
            return
        except ClientDisconnect:
            return
        try:
            await self.app(scope, _replay(body, receive), send)
        finally:
            body.close()

    async def _read(self, receive: Receive, limit: int) -> SpooledTemporaryFile:
        body = SpooledTemporaryFile(max_size=_SPOOL_BYTES)
        received = 0
        try:
            while True:
                try:
                    message = await asyncio.wait_for(receive(), self.idle_seconds)
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
    from consult.web.errors import error_response

    request = Request(scope, receive)
    response = error_response(request, status)
    response.headers["connection"] = "close"
    await response(scope, receive, send)


def has_nul(value) -> bool:
    """Does submitted data hold a NUL character anywhere? PostgreSQL stores no NUL in
    text, so such a value is refused as a whole, with a message, before any service
    sees it; nobody types one on purpose."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def client_address(peer: str | None, forwarded_for: str | None, trusted) -> str:
    """The client's address: X-Forwarded-For is believed only from a trusted proxy.

    Walk the chain from the right, skipping trusted proxies; the first address
    that is not one is the client.
    """
    peer = peer or "unknown"
    if not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _is_trusted(address: str, trusted) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def request_client(request: Request) -> str:
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"),
                          request.app.state.settings.trusted_proxies)
