"""A router that looks a request up by the first segment of its path.

Starlette's router tries every route in turn, a regular expression each; with some
eighty routes that is a noticeable part of a cheap page. This router keeps, for each
literal first segment ("consultations", "rounds", "static"…), the routes that can
match a path starting with it, in their original order, plus the routes whose first
segment is a parameter (in every list). The first full match in that shorter list is
the first full match Starlette would find, so behaviour is unchanged; everything that
is not a full match (405, slash redirects, 404, lifespan) goes to Starlette's own
router.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.convertors import CONVERTOR_TYPES, IntegerConvertor, register_url_convertor
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

_ANY = None  # the key of routes whose first segment is not literal


def first_segment(path: str) -> str | None:
    """The literal first segment of a route path or request path ('' for '/')."""
    segment = path.lstrip("/").split("/", 1)[0]
    return _ANY if "{" in segment else segment


def _key(route: BaseRoute) -> str | None:
    if isinstance(route, (Route, Mount)):
        return first_segment(route.path)
    return _ANY  # Host and other kinds: considered for every path


class IndexedRouter(Router):
    def __init__(self, routes: Sequence[BaseRoute], **kwargs) -> None:
        super().__init__(routes, **kwargs)
        keys = [_key(route) for route in self.routes]
        wildcard = [route for route, key in zip(self.routes, keys, strict=True) if key is _ANY]
        self._wildcard = wildcard
        self._index = {key: [route for route, k in zip(self.routes, keys, strict=True) if k in (key, _ANY)]
                       for key in set(keys) if key is not _ANY}

    def candidates(self, scope: Scope) -> list[BaseRoute]:
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        return self._index.get(first_segment(path), self._wildcard)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.candidates(scope):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


class DatabaseIntConvertor(IntegerConvertor):
    """``{name:int}`` in our paths: at most 9 digits, so every id in an address fits an
    INTEGER column on both databases (PostgreSQL's holds up to 2**31 - 1, 10 digits).
    A longer number matches no route (404) instead of reaching a query and failing there
    ("integer out of range", or SQLite's OverflowError: a 500)."""

    regex = "[0-9]{1,9}"


def install_int_convertor() -> None:
    """Make ``int`` mean :class:`DatabaseIntConvertor`; routes built afterwards use it."""
    if not isinstance(CONVERTOR_TYPES["int"], DatabaseIntConvertor):
        register_url_convertor("int", DatabaseIntConvertor())


def path_for(app, name: str, **params) -> str:
    """``url_path_for`` kept per app (``app.state.url_cache``): routes never change after
    start-up, and Starlette's lookup walks every route (a page builds dozens of links).
    The key is the route's name and parameters; the app is the cache's owner."""
    cache = app.state.url_cache
    key = (name, tuple(sorted(params.items())))
    path = cache.get(key)
    if path is None:
        path = str(app.url_path_for(name, **params))
        cache.put(key, path)
    return path
