"""The JSON API's shared pieces: routes that describe themselves, bodies, responses.

Each domain declares its API routes with :func:`api_route`, giving a summary and
JSON schemas; the OpenAPI document (:mod:`consult.api.openapi`) is built from
these declarations, so a route cannot exist without being described. The API
authenticates with bearer tokens only (never cookies), so it needs no CSRF token.
Errors use the shared format in :mod:`consult.web.errors`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consult.errors import UserError
from consult.i18n import N_

PREFIX = "/api/v1"


@dataclass(frozen=True)
class ApiSpec:
    summary: str
    tag: str
    auth: bool = True
    body: dict | None = None
    response: dict | None = None
    params: dict = field(default_factory=dict)
    status: int = 200


def api_route(path: str, endpoint: Callable[[Request], Awaitable[Response]], *, method: str = "GET",
              name: str, summary: str, tag: str, auth: bool = True, body: dict | None = None,
              response: dict | None = None, params: dict | None = None, status: int = 200) -> Route:
    route = Route(path, endpoint, methods=[method], name=name)
    route.api_spec = ApiSpec(summary=summary, tag=tag, auth=auth, body=body, response=response,
                             params=params or {}, status=status)
    return route


#: how deeply a request body may nest arrays and objects; no form of the API needs more
#: than three or four
MAX_JSON_DEPTH = 32
class BadJson(UserError):
    status = 422
    code = "invalid_json"


def _refuse_constant(name: str):
    raise BadJson(N_("Numbers in the request must be finite (not %(value)s)."), value=name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _refuse_constant(text)
    return value


def _problem(data) -> str | None:
    """'deep', 'nul' or 'surrogate' when the parsed body nests too deeply or holds text
    that cannot be stored; walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return "nul"
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "surrogate"
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                return "deep"
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return None


_TOO_DEEP = N_("The request body nests too deeply (at most %(max)s levels).")


def parse_json(raw: bytes):
    """The one parser of JSON request bodies: at most ``MAX_JSON_DEPTH`` deep, numbers
    finite (no ``NaN``, ``Infinity`` or ``1e400``), text storable (no NUL, no lone
    surrogate); anything else is refused with a message instead of failing later.
    (Python's parser itself stops near 1,000 levels with a RecursionError.)"""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadJson(_TOO_DEEP, max=MAX_JSON_DEPTH) from None
    except (ValueError, UnicodeDecodeError):
        raise UserError(N_("The request body is not valid JSON."), code="invalid_json") from None
    problem = _problem(data)
    if problem == "deep":
        raise BadJson(_TOO_DEEP, max=MAX_JSON_DEPTH)
    if problem == "nul":
        raise UserError(N_("Text in the request holds a NUL character, which cannot be stored."),
                        code="invalid_json")
    if problem == "surrogate":
        raise BadJson(N_("Text in the request holds a broken character (a lone surrogate), "
                         "which cannot be stored. Please send the text as valid UTF-8."))
    return data


async def json_body(request: Request) -> dict:
    data = parse_json(await request.body() or b"{}")
    if not isinstance(data, dict):
        raise UserError(N_("The request body must be a JSON object."), code="invalid_json")
    return data


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class ApiResponse(JSONResponse):
    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=_default,
                          separators=(",", ":")).encode("utf-8")


def ok(data, status: int = 200) -> ApiResponse:
    return ApiResponse(data, status_code=status)


def obj(properties: dict, required: list[str] | None = None) -> dict:
    """A small helper to write JSON schemas compactly."""
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
ERROR = obj({"error": obj({"code": STRING, "message": STRING,
                           "fields": {"type": "object", "additionalProperties": STRING}},
                          ["code", "message"])}, ["error"])
