"""The JSON API's shared pieces: routes that describe themselves, bodies, responses.

Each domain declares its API routes with :func:`api_route`, giving a summary and
JSON schemas; the OpenAPI document (:mod:`consult.api.openapi`) is built from
these declarations, so a route cannot exist without being described. The API
authenticates with bearer tokens only (never cookies), so it needs no CSRF token.
Errors use the shared format in :mod:`consult.web.errors`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consult.errors import UserError
from consult.i18n import N_
from consult.web.security import has_nul

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


async def json_body(request: Request) -> dict:
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise UserError(N_("The request body is not valid JSON."), code="invalid_json") from None
    if not isinstance(data, dict):
        raise UserError(N_("The request body must be a JSON object."), code="invalid_json")
    if has_nul(data):
        raise UserError(N_("Text in the request holds a NUL character, which cannot be stored."),
                        code="invalid_json")
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
