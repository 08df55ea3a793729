"""The indexed router picks exactly the route Starlette's linear scan would pick."""

from __future__ import annotations

import pytest
from starlette.convertors import IntegerConvertor
from starlette.routing import Match, Mount, Route, Router

from consult.web.routing import IndexedRouter, first_segment


def _sample_path(route: Route) -> str:
    params = {name: (7 if isinstance(convertor, IntegerConvertor) else "x")
              for name, convertor in route.param_convertors.items()}
    return route.url_path_for(route.name, **params).__str__()


def _scope(path: str, method: str = "GET") -> dict:
    return {"type": "http", "path": path, "root_path": "", "method": method}


def _first_full(routes, scope):
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
    return None


def test_first_segment():
    assert first_segment("/") == ""
    assert first_segment("/consultations/{cid:int}/ideas") == "consultations"
    assert first_segment("/{slug}") is None
    assert first_segment("api/v1") == "api"


def test_every_route_of_the_app_is_found_as_starlette_finds_it(app):
    router = app.router
    assert isinstance(router, IndexedRouter)
    routes = [r for r in router.routes if isinstance(r, Route)]
    assert len(routes) > 50
    for route in routes:
        for method in sorted(route.methods or {"GET"}):
            scope = _scope(_sample_path(route), method)
            expected = _first_full(router.routes, scope)
            assert expected is not None, route.path
            assert _first_full(router.candidates(scope), scope) is expected, (route.path, method)


async def _endpoint(request):  # pragma: no cover - never called
    raise AssertionError


@pytest.mark.parametrize("path", ["/a/1", "/a/b", "/x/y", "/", "/b", "/static/s.css", "/nowhere"])
def test_order_and_wildcards_are_kept(path):
    routes = [Route("/a/{n:int}", _endpoint, name="a_int"), Route("/{slug}/y", _endpoint, name="any_y"),
              Route("/a/{s}", _endpoint, name="a_str"), Route("/", _endpoint, name="home"),
              Route("/b", _endpoint, name="b"), Mount("/static", routes=[], name="static")]
    indexed, plain = IndexedRouter(routes), Router(routes)
    scope = _scope(path)
    assert _first_full(indexed.candidates(scope), scope) is _first_full(plain.routes, scope)


def test_wrong_method_and_unknown_paths_still_get_starlettes_answers(client):
    assert client.get("/no-such-page").status_code == 404
    assert client.delete("/").status_code == 405
