"""Numbers and JSON no parser should take, sent to every route: never a server error.

Python's ``int()`` and ``str.isdigit()`` accept superscripts (``²``) and other digits, and
``int('²')`` then fails; its JSON parser accepts ``NaN``, ``Infinity``, ``1e400`` (a float
infinity), lone surrogates (``"\\ud800"``, which no database stores) and gives up with a
RecursionError near 1,000 levels of nesting. Every id parser takes ASCII digits only, and
JSON bodies go through one parser that refuses the rest with a 422 and a message.
"""

from __future__ import annotations

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from consult.communities import demo as communities_demo
from consult.db.ids import is_digits, parse_count, parse_id
from consult.demo import load
from consult.web.api import MAX_JSON_DEPTH, parse_json

ADMIN = "13800000001"
ODD_DIGITS = ("²", "١٢", "１２", "፩", "𝟙", "⑴", "1²", "0x1")
QUERY_NAMES = ("page", "to", "from", "exclude", "id", "place", "area", "round", "home", "q")
#: raw JSON values, each put in turn into every field of a body
BAD_VALUES = ("Infinity", "-Infinity", "NaN", "1e400", '"\\ud800"', '"x\\udfff"', '"²"',
              "[" * 5000 + "]" * 5000)


@pytest.mark.parametrize("text", ODD_DIGITS + ("", " ", "+", "1.0", "1e3", "٣"))
def test_parsers_take_only_ascii_digits(text):
    assert parse_id(text) is None and parse_count(text) is None and not is_digits(text)


def test_parsers_take_ascii_digits_and_whole_json_numbers_only():
    assert parse_id("12") == 12 and parse_id(" -3 ") == -3 and parse_id(7) == 7
    assert parse_count("0") == 0 and parse_count("-1") is None and parse_count("9", 8) is None
    for value in (True, 1.0, float("inf"), float("nan"), [1], {"a": 1}):
        assert parse_id(value) is None


@pytest.mark.parametrize("raw, code", [
    (b"[" * 5000 + b"]" * 5000, "deep"), (b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1), "deep"),
    (b'{"id": Infinity}', "finite"), (b'{"id": NaN}', "finite"), (b'{"id": 1e400}', "finite"),
    (b'{"s": "\\ud800"}', "surrogate"), (b'{"\\udc00": 1}', "surrogate"),
])
def test_the_json_parser_refuses_with_a_422_and_a_message(raw, code):
    from consult.errors import UserError

    with pytest.raises(UserError) as caught:
        parse_json(raw)
    assert caught.value.status == 422
    assert {"deep": "nests too deeply", "finite": "must be finite",
            "surrogate": "lone surrogate"}[code] in caught.value.msg.text


def test_the_json_parser_keeps_ordinary_bodies():
    nested = b'{"a":' * (MAX_JSON_DEPTH - 1) + b"[1.5, 2]" + b"}" * (MAX_JSON_DEPTH - 1)
    assert parse_json(b'{"title": "\\u4f60\\ud83d\\ude00", "n": 3, "x": 2.5}') == {
        "title": "你😀", "n": 3, "x": 2.5}
    assert parse_json(nested) is not None


def _routes(routes, prefix=""):
    for route in routes:
        if isinstance(route, Mount) and route.name == "api":
            yield from _routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            yield prefix, route


def _path(prefix: str, route: Route, number: int) -> str:
    return prefix + route.url_path_for(route.name, **{name: number for name in route.param_convertors})


def _bodies(route: Route):
    spec = route.api_spec
    schema = spec.body.model_json_schema() if spec.body is not None else {}
    fields = list((schema.get("properties") or {}).keys()) or ["id"]
    yield "[" * 5000 + "]" * 5000
    for field in fields:
        for value in BAD_VALUES:
            yield "{" + ", ".join(f'"{name}": {value if name == field else 1}' for name in fields) + "}"


@pytest.mark.slow
def test_every_route_answers_odd_numbers_and_bad_json_without_a_server_error(db, settings, app):
    load(db, settings)
    db.flush()
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    token = client.post("/api/v1/auth/token",
                        json={"login": ADMIN, "password": communities_demo.DEMO_PASSWORD})
    assert token.status_code == 201
    bearer = {"authorization": f"Bearer {token.json()['token']}"}
    done = client.post("/login", data={"login": ADMIN, "password": communities_demo.DEMO_PASSWORD,
                                       "csrf_token": _csrf(client)}, follow_redirects=False)
    assert done.status_code == 303
    failures, sent = [], 0
    skip = {"logout", "logout_everywhere", "api_logout"}
    for prefix, route in _routes(app.routes):
        if route.name in skip or route.name == "openapi":
            continue
        api = bool(prefix)
        for number in (1, 2, 3):
            path = _path(prefix, route, number)
            for method in sorted(route.methods - {"HEAD"}):
                if method == "GET":
                    for odd in ODD_DIGITS[:3]:
                        params = {name: odd for name in (*QUERY_NAMES, *getattr(
                            getattr(route, "api_spec", None), "params", {}))}
                        response = client.get(path, params=params, follow_redirects=False,
                                              headers=bearer if api else {})
                        sent += 1
                        if response.status_code >= 500:
                            failures.append((method, path, odd))
                elif api:
                    for body in _bodies(route):
                        response = client.request(method, path, content=body.encode(), headers={
                            **bearer, "content-type": "application/json"})
                        sent += 1
                        if response.status_code >= 500:
                            failures.append((method, path, body[:40]))
            if not route.param_convertors:
                break
    assert failures == [], "\n".join(map(repr, failures[:50]))
    assert sent >= 1000


def test_the_two_addresses_of_the_issue(db, settings, app):
    load(db, settings)
    db.flush()
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    for path in ("/ideas/2/versions?to=%C2%B2", "/ideas/2/versions?from=%C2%B2&to=%E1%8D%A9",
                 "/api/v1/consultations/1/ideas/similar?exclude=%C2%B2&title=x",
                 "/api/v1/ideas/2/versions?to=%C2%B2&from=%C2%B2"):
        assert client.get(path).status_code < 500, path
    for body in (b"[" * 5000 + b"]" * 5000, b'{"login": Infinity, "password": "x"}',
                 b'{"login": "\\ud800", "password": "x"}', b'{"login": 1e400, "password": NaN}'):
        response = client.post("/api/v1/auth/token", content=body,
                               headers={"content-type": "application/json"})
        assert response.status_code == 422, body[:30]
        assert response.json()["error"]["code"] == "invalid_json"


def _csrf(client) -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get("/login").text)
