"""The OpenAPI document, generated from the routes themselves."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.routing import Route

from consult.web.api import ERROR, PREFIX, ApiSpec, ok

_PARAM = re.compile(r"{([^}:]+)(?::([^}]+))?}")


def body_schema(model, components: dict) -> dict:
    """The JSON schema of a body model, its nested models moved to the components."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    return schema


def document(routes: list[Route]) -> dict:
    paths: dict[str, dict] = {}
    components: dict[str, dict] = {}
    for route in routes:
        spec: ApiSpec | None = getattr(route, "api_spec", None)
        if spec is None:
            continue
        path = PREFIX + _PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
        parameters = [
            {"name": m.group(1), "in": "path", "required": True,
             "schema": {"type": "integer" if m.group(2) == "int" else "string"}}
            for m in _PARAM.finditer(route.path)
        ]
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in spec.params.items()
        ]
        for method in sorted(route.methods - {"HEAD"}):
            operation = {
                "operationId": route.name,
                "summary": spec.summary,
                "tags": [spec.tag],
                "parameters": parameters,
                "responses": {
                    str(spec.status): {
                        "description": "OK",
                        "content": {spec.media_type: {"schema": {"type": "string", "format": "binary"}}}
                        if spec.media_type else
                        {"application/json": {"schema": spec.response or {"type": "object"}}},
                    },
                    "default": {
                        "description": "Error",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                },
            }
            if spec.multipart is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": spec.multipart}},
                }
            elif spec.body is not None:
                operation["requestBody"] = {
                    "required": spec.body.model_fields != {} and any(
                        f.is_required() for f in spec.body.model_fields.values()),
                    "content": {"application/json": {"schema": body_schema(spec.body, components)}},
                }
            if spec.auth:
                operation["security"] = [{"bearer": []}]
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "社区征询 consult API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": components},
        "paths": paths,
    }


async def openapi_json(request: Request):
    return ok(document(request.app.state.api_routes))
