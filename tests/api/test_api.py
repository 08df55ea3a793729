"""The JSON API: tokens, me, places, verification, error format, OpenAPI."""

from starlette.routing import Mount

from consult.communities import services
from tests import factories


def _token(client, login, password=factories.PASSWORD):
    response = client.post("/api/v1/auth/token", json={"login": login, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_token_and_me(client, db, settings):
    user = factories.user(db, settings, name="刘阿姨")
    headers = _token(client, user.login)
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["display_name"] == "刘阿姨" and me["roles"] == []


def test_no_token_is_401_json(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_signed_in"


def test_cookie_does_not_authenticate_the_api(client, db, settings):
    user = factories.user(db, settings)
    factories.sign_in(client, user.login)
    assert client.get("/api/v1/me").status_code == 401


def test_bad_credentials_and_messages_in_language(client, db, settings):
    user = factories.user(db, settings)
    response = client.post("/api/v1/auth/token", json={"login": user.login, "password": "wrong-one"})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "bad_credentials", "message": "手机号码或密码错误。"}
    english = client.post("/api/v1/auth/token", json={"login": user.login, "password": "wrong-one"},
                          headers={"accept-language": "en"})
    assert english.json()["error"]["message"] == "Wrong mobile number or password."


def test_api_throttle_is_shared_with_pages(client, db, settings):
    user = factories.user(db, settings)
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"login": user.login, "password": "wrong-one"})
    response = client.post("/api/v1/auth/token", json={"login": user.login, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_requests"


def test_invalid_json(client):
    response = client.post("/api/v1/auth/token", content=b"{not json",
                           headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    array = client.post("/api/v1/auth/token", json=[1, 2])
    assert array.status_code == 400


def test_logout_revokes_token(client, db, settings):
    user = factories.user(db, settings)
    headers = _token(client, user.login)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_password_change_and_logout_everywhere_revoke_tokens(client, db, settings):
    from consult.accounts import services as accounts

    user = factories.user(db, settings)
    headers = _token(client, user.login)
    accounts.change_password(db, settings, user, current=factories.PASSWORD,
                             new="a much better secret", confirm="a much better secret")
    db.flush()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    headers = _token(client, user.login, "a much better secret")
    accounts.logout_everywhere(db, user)
    db.flush()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_places(client, db):
    tree = factories.place_tree(db)
    listing = client.get("/api/v1/places").json()["places"]
    assert [p["name"] for p in listing] == ["测试街道", "恒丰", "郑家巷"]
    estates = client.get("/api/v1/places", params={"kind": "estate"}).json()["places"]
    assert {p["name"] for p in estates} == {"恒丰小区", "郑家巷小区"}
    services.add_home(db, estate=tree["estate_a"], building_group=tree["group_a"], code="1",
                      building="1", room="101", area_hundredths=8663, owners=["王"])
    db.flush()
    detail = client.get(f"/api/v1/places/{tree['estate_a'].id}").json()
    assert detail["area_total_m2"] == "86.63"
    assert client.get("/api/v1/places/999999").status_code == 404


def test_verification_over_the_api(client, db, settings):
    tree = factories.place_tree(db)
    person = factories.user(db, settings)
    moderator = factories.user(db, settings)
    services.grant_role(db, user=moderator, role="moderator", place=tree["area_a"])
    mine = _token(client, person.login)
    bad = client.post("/api/v1/verifications", json={"area_id": 999999}, headers=mine)
    assert bad.status_code == 422 and "area_id" in bad.json()["error"]["fields"]
    created = client.post("/api/v1/verifications", json={"area_id": tree["area_a"].id}, headers=mine)
    assert created.status_code == 201
    staff = _token(client, moderator.login)
    pending = client.get("/api/v1/verifications/pending", headers=staff).json()["requests"]
    assert len(pending) == 1
    refused = client.post(f"/api/v1/verifications/{pending[0]['id']}/decision",
                          json={"approve": False}, headers=staff)
    assert refused.status_code == 422
    approved = client.post(f"/api/v1/verifications/{pending[0]['id']}/decision",
                           json={"approve": True}, headers=staff)
    assert approved.json()["status"] == "approved"
    notes = client.get("/api/v1/notifications", headers=mine).json()
    assert notes["unread"] == 1 and "恒丰" in notes["notifications"][0]["message"]
    forbidden = client.post(f"/api/v1/verifications/{pending[0]['id']}/decision",
                            json={"approve": True}, headers=mine)
    assert forbidden.status_code == 403


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_openapi_describes_every_route(client, app):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1")
    for route in mount.routes:
        if route.name == "openapi":
            continue
        path = "/api/v1" + route.path.replace(":int", "")
        for method in route.methods - {"HEAD"}:
            operation = document["paths"][path][method.lower()]
            assert operation["summary"] and operation["responses"], (path, method)
            if method in ("POST", "PUT", "PATCH"):
                content = operation["requestBody"]["content"]
                schema = next(iter(content.values()))["schema"]
                assert schema["type"] == "object" and "properties" in schema, (path, method)
