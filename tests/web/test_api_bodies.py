"""Strict JSON bodies (consult.web.api): one pydantic model per route, unknown fields and
wrong types answered 422 naming the field, in the reader's language; the OpenAPI
document shows the same models' schemas."""

from __future__ import annotations

import pytest

from consult.web.api import Body, body_model, read_body
from tests.asyncrun import run


class _Request:
    def __init__(self, raw: bytes):
        self._raw = raw

        class _State:
            pass

        self.state = _State()

    async def body(self):
        return self._raw


class Sample(Body):
    title: str
    count: int | None = None


def _read(raw: bytes, model=Sample):
    return run(read_body(_Request(raw), model))


def test_unknown_field_and_wrong_type_name_the_field():
    from consult.errors import FieldErrors

    with pytest.raises(FieldErrors) as unknown:
        _read(b'{"title": "a", "estimated_cost_fen": 5}')
    assert set(unknown.value.errors) == {"estimated_cost_fen"}
    with pytest.raises(FieldErrors) as wrong:
        _read(b'{"title": 5, "count": "7"}')
    assert set(wrong.value.errors) == {"title", "count"}
    with pytest.raises(FieldErrors) as missing:
        _read(b'{}')
    assert set(missing.value.errors) == {"title"}
    assert _read(b'{"title": "a"}') == {"title": "a"}  # only what was sent


def test_nul_is_still_refused():
    from consult.errors import UserError

    with pytest.raises(UserError) as nul:
        _read(b'{"title": "a\\u0000b"}')
    assert nul.value.code == "invalid_json"


def test_schema_dicts_become_strict_models():
    model = body_model("api_x", {"type": "object", "properties": {
        "kind": {"type": "string", "enum": ["a", "b"]}, "ids": {"type": "array", "items": {"type": "integer"}},
        "points": {"type": "object", "additionalProperties": {"type": "integer"}},
        "model_config": {"type": "string"}}, "required": ["kind"]})
    assert _read(b'{"kind": "a", "ids": [1], "points": {"3": 2}, "model_config": "x"}', model) == {
        "kind": "a", "ids": [1], "points": {"3": 2}, "model_config": "x"}
    from consult.errors import FieldErrors

    with pytest.raises(FieldErrors) as bad:
        _read(b'{"kind": "c", "ids": ["1"], "points": {"3": true}}', model)
    assert set(bad.value.errors) == {"kind", "ids.0", "points.3"}
    schema = model.model_json_schema()
    assert schema["additionalProperties"] is False and schema["required"] == ["kind"]


def test_over_http_in_both_languages(client, db, settings):
    from tests import factories

    user = factories.user(db, settings)
    response = client.post("/api/v1/auth/token", json={"login": user.login, "password": "x", "otp": 1})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"otp": "请求中没有这一项，请删除。"}
    english = client.post("/api/v1/auth/token", json={"login": 5, "password": "x"},
                          headers={"accept-language": "en"})
    assert english.json()["error"]["fields"] == {"login": "Must be text."}


def test_every_body_in_the_document_is_its_model(client, app):
    from starlette.routing import Mount

    document = client.get("/api/v1/openapi.json").json()
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1")
    for route in mount.routes:
        spec = getattr(route, "api_spec", None)
        if spec is None or spec.body is None:
            continue
        path = "/api/v1" + route.path.replace(":int", "")
        for method in route.methods - {"HEAD"}:
            shown = document["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]
            assert shown["schema"]["additionalProperties"] is False, (path, method)
            assert set(shown["schema"].get("properties", {})) == {
                f.alias or n for n, f in spec.body.model_fields.items()}, (path, method)
