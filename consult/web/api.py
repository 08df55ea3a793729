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
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consult.errors import FieldErrors, NotSignedIn, UserError
from consult.i18n import N_, Msg
from consult.web.auth import current_actor

PREFIX = "/api/v1"


class Body(BaseModel):
    """A JSON request body: strict types, and a field it does not name is refused
    (422 naming it) instead of being silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


class NoBody(Body):
    """An action that takes no body (``{}`` or nothing at all)."""


@dataclass(frozen=True)
class ApiSpec:
    summary: str
    tag: str
    auth: bool = True
    body: type[Body] | None = None
    response: dict | None = None
    params: dict = field(default_factory=dict)
    status: int = 200
    #: the body is multipart (files), described by this schema and read by the route
    multipart: dict | None = None
    #: a download answers this media type (its content a file), not JSON
    media_type: str | None = None


def api_route(path: str, endpoint: Callable[[Request], Awaitable[Response]], *, method: str = "GET",
              name: str, summary: str, tag: str, auth: bool = True,
              body: type[Body] | dict | None = None, response: dict | None = None,
              params: dict | None = None, status: int = 200, multipart: dict | None = None,
              form: type[Body] | None = None, files: dict[str, str] | None = None,
              repeated: dict[str, int] | None = None, media_type: str | None = None) -> Route:
    """An API route with its description. ``body`` is the pydantic model of its JSON body
    (a schema dict is turned into one by :func:`body_model`); the body is validated
    against it before the route runs, and the OpenAPI document shows its JSON schema, so
    the two cannot disagree. A POST, PUT or PATCH without a body takes :class:`NoBody`.

    A multipart body (a file with a few text fields) is ``form``, the model of its text
    fields, and ``files`` (name → description), a file field that may come up to N times
    named in ``repeated`` (name → N): read and validated the same way
    (:func:`read_form_body`), the files in ``request.state.api_files``."""
    if form is not None:
        multipart = form_schema(form, files or {}, repeated or {})
    if isinstance(body, dict):
        body = body_model(name, body)
    if body is None and multipart is None and method in ("POST", "PUT", "PATCH"):
        body = NoBody
    model = body

    async def validated(request: Request) -> Response:
        if form is not None:
            if auth and not current_actor(request).authenticated:
                raise NotSignedIn()
            request.state.api_body, request.state.api_files = await read_form_body(
                request, form, files or {}, repeated or {})
        if model is not None:
            if auth and not current_actor(request).authenticated:
                raise NotSignedIn()  # who asks comes before what they sent
            request.state.api_body = await read_body(request, model)
        return await endpoint(request)

    validated.__name__ = getattr(endpoint, "__name__", name)
    validated.__doc__ = endpoint.__doc__
    route = Route(path, validated, methods=[method], name=name)
    route.api_spec = ApiSpec(summary=summary, tag=tag, auth=auth, body=body, response=response,
                             params=params or {}, status=status, multipart=multipart,
                             media_type=media_type)
    return route


_SCALARS: dict[str, Any] = {"string": str, "integer": int, "boolean": bool, "number": float,
                            "null": type(None)}


def _annotation(name: str, schema: dict):
    """The Python type of a JSON schema (the small subset the API's schemas use)."""
    if "enum" in schema:
        return Literal[tuple(schema["enum"])]
    if "oneOf" in schema or "anyOf" in schema:
        options = [_annotation(name, s) for s in schema.get("oneOf") or schema["anyOf"]]
        union = options[0]
        for option in options[1:]:
            union = union | option
        return union
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        return _annotation(name, {"anyOf": [{**schema, "type": k} for k in kind]})
    if kind == "array":
        return list[_annotation(name, schema.get("items", {}))] if "items" in schema else list
    if kind == "object":
        if "properties" in schema:
            return body_model(name, schema)
        extra = schema.get("additionalProperties")
        return dict[str, _annotation(name, extra)] if isinstance(extra, dict) else dict[str, Any]
    return _SCALARS[kind]


def body_model(name: str, schema: dict) -> type[Body]:
    """A strict pydantic model from an object schema written with :func:`obj`: the
    properties are its fields (in ``required`` or optional), nothing else is allowed."""
    required = set(schema.get("required", []))
    fields = {}
    for i, (prop, sub) in enumerate(schema.get("properties", {}).items()):
        default = ... if prop in required else None
        fields[f"f{i}"] = (_annotation(f"{name}_{prop}", sub), Field(default, alias=prop))
    return create_model("".join(w.title() for w in re.split(r"[^A-Za-z0-9]+", name)) or "Body",
                        __base__=Body, **fields)


#: what each kind of pydantic error says to people, by its type (prefix)
_PYDANTIC_MESSAGES = [
    ("extra_forbidden", N_("This field is not part of the request; remove it.")),
    ("missing", N_("This field is required.")),
    ("string", N_("Must be text.")),
    ("int", N_("Must be a whole number.")),
    ("bool", N_("Must be true or false.")),
    ("float", N_("Must be a number.")),
    ("list", N_("Must be a list.")),
    ("dict", N_("Must be an object.")),
    ("model", N_("Must be an object.")),
    ("literal", N_("Must be one of: %(expected)s.")),
]


def _message(error: dict) -> Msg:
    kind = error["type"]
    for prefix, text in _PYDANTIC_MESSAGES:
        if kind.startswith(prefix):
            return Msg(text, {"expected": (error.get("ctx") or {}).get("expected", "")})
    return Msg(N_("This value is not valid here."))


def body_errors(exc: ValidationError) -> FieldErrors:
    """One message per field (``points.12``, ``questions.0.kind``), in the reader's language."""
    errors: dict[str, Msg] = {}
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        errors.setdefault(where, _message(error))
    return FieldErrors(errors)


def form_schema(model: type[Body], files: dict[str, str], repeated: dict[str, int] | None = None
                ) -> dict:
    schema = model.model_json_schema()
    schema.pop("title", None)
    binary = {"type": "string", "format": "binary"}
    schema["properties"] = {**schema.get("properties", {}), **{
        name: ({"type": "array", "items": binary, "maxItems": (repeated or {})[name],
                "description": text} if name in (repeated or {}) else {**binary, "description": text})
        for name, text in files.items()}}
    return schema


#: file parts beyond those a form takes that are still read, to say which field had too many
_EXTRA_FILES = 8


async def read_form_body(request: Request, model: type[Body], files: dict[str, str],
                         repeated: dict[str, int] | None = None) -> tuple[dict, dict]:
    """A multipart body: its text fields validated by ``model`` (unknown ones refused, a
    field sent twice refused), its files (name → (filename, content)), one of each at most,
    or for a name in ``repeated`` (name → N) a list of up to N; a file field sent as text,
    or one file too many, is refused naming the field."""
    from starlette.datastructures import UploadFile

    repeated = repeated or {}
    limits = {name: repeated.get(name, 1) for name in files}
    form = await request.form(max_files=sum(limits.values()) + _EXTRA_FILES,
                              max_fields=len(model.model_fields) + 2)
    text: dict[str, str] = {}
    found: dict[str, Any] = {name: [] for name in repeated}
    errors: dict[str, Msg] = {}
    for name, value in form.multi_items():
        if name not in files:
            if not isinstance(value, str):  # a file where the form takes none
                errors[name] = Msg(N_("This field is not part of the request; remove it."))
                continue
            if name in text:
                errors[name] = Msg(N_("This field is given more than once."))
            text[name] = value
        elif not isinstance(value, UploadFile):
            errors[name] = Msg(N_("Please send a file here."))
        elif name not in repeated:
            if name in found:
                errors[name] = Msg(N_("This field is given more than once."))
            found[name] = (value.filename or "", await value.read())
        elif len(found[name]) >= limits[name]:
            errors[name] = Msg(N_("At most %(max)s files."), {"max": limits[name]})
        else:
            found[name].append((value.filename or "", await value.read()))
    if "\x00" in "".join(text.values()):
        raise UserError(N_("Text in the request holds a NUL character, which cannot be stored."),
                        code="invalid_json")
    try:
        parsed = model.model_validate(text)
    except ValidationError as exc:
        errors.update(body_errors(exc).errors)
    if errors:
        raise FieldErrors(errors)
    return parsed.model_dump(by_alias=True, exclude_unset=True), found


async def read_body(request: Request, model: type[Body]) -> dict:
    """The one way a JSON body is read: parsed by :func:`parse_json` (depth, finite numbers,
    no NUL), then validated by ``model``; answers the fields that were sent, by name."""
    data = await json_body(request, validate=False)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise body_errors(exc) from None
    return parsed.model_dump(by_alias=True, exclude_unset=True)


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


async def json_body(request: Request, *, validate: bool = True) -> dict:
    """The route's JSON body, already validated against its model (:func:`api_route`)."""
    if validate and hasattr(request.state, "api_body"):
        return request.state.api_body
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
