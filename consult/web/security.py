"""Security middleware and checks: headers on every response, NUL in input, the client's address.

Body size and time limits are :mod:`consult.web.bodies`."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request
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
