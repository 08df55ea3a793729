"""gzip for every response (a resident page must stay under 100 KiB on a slow phone).

Starlette's GZipMiddleware drops the ``http.response.debug`` message that carries a
template's name and context to the test client; under the test client (and only
there) this forwards it, so tests can read ``response.context`` through the real
middleware stack.
"""

from __future__ import annotations

import copy

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Message, Receive, Scope, Send

_DEBUG = "http.response.debug"


class Compression(GZipMiddleware):
    def __init__(self, app, minimum_size: int = 500, compresslevel: int = 2) -> None:
        # Level 2: within ~8% of level 6 on our pages at about half its CPU per response.
        super().__init__(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _DEBUG not in scope.get("extensions", {}):
            await super().__call__(scope, receive, send)
            return
        inner = self.app

        async def tapped(scope: Scope, receive: Receive, inner_send: Send) -> None:
            async def forward(message: Message) -> None:
                await (send if message["type"] == _DEBUG else inner_send)(message)

            await inner(scope, receive, forward)

        clone = copy.copy(self)
        clone.app = tapped
        await GZipMiddleware.__call__(clone, scope, receive, send)
