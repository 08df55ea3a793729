"""The security baseline: CSRF on every form, headers, body limits, hosts, client address."""

import ipaddress

import pytest
from starlette.routing import Mount, Route

from consult.web.security import client_address
from tests import factories
from tests.conftest import csrf_from, post_form


def _html_post_routes(app):
    for route in app.routes:
        if isinstance(route, Route) and "POST" in route.methods:
            yield route


def _example_path(route: Route) -> str:
    params = {name: 1 for name in route.param_convertors}
    return route.url_path_for(route.name, **params)


def test_every_html_post_refuses_a_missing_or_wrong_token(client, db, settings, app):
    """Walks every POST route of the pages; signed in, so a route can't hide behind a login check."""
    user = factories.user(db, settings)
    factories.sign_in(client, user.login)
    version = user.session_version
    routes = list(_html_post_routes(app))
    assert len(routes) >= 8
    for route in routes:
        path = _example_path(route)
        missing = client.post(path, data={"x": "1"}, follow_redirects=False)
        assert missing.status_code == 403, (path, missing.status_code)
        wrong = client.post(path, data={"csrf_token": "forged"}, follow_redirects=False)
        assert wrong.status_code == 403, (path, wrong.status_code)
    db.refresh(user)
    assert user.session_version == version
    assert client.get("/account").status_code == 200  # still signed in: logout was refused too


def test_csrf_refusal_changes_nothing_and_is_translated(client, db):
    from sqlmodel import func, select

    from consult.accounts.models import User

    before = db.exec(select(func.count()).select_from(User)).one()
    response = client.post("/register", data={"phone": "13812345678", "display_name": "x",
                                              "password": "a much better secret",
                                              "password_confirm": "a much better secret"})
    assert response.status_code == 403
    assert "表单已过期" in response.text
    assert db.exec(select(func.count()).select_from(User)).one() == before


def test_cross_origin_post_refused_even_with_token(client, db, settings):
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "login": "x", "password": "y"},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    same = client.post("/login", data={"csrf_token": token, "login": "x", "password": "y"},
                       headers={"Origin": "http://testserver"})
    assert same.status_code == 400  # reached the login check


def test_csrf_header_for_scripts(client, db, settings):
    token = csrf_from(client.get("/login").text)
    response = client.post("/prefs/elder", data={"elder": "1"}, headers={"X-CSRF-Token": token},
                           follow_redirects=False)
    assert response.status_code == 303


def test_get_never_changes_state(app):
    for route in app.routes:
        if isinstance(route, Route) and "GET" in route.methods:
            assert "POST" not in route.methods, route.path


@pytest.mark.parametrize("path", ["/", "/login", "/does-not-exist", "/api/v1/me"])
def test_security_headers_everywhere(client, path):
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_no_inline_script_in_pages(client):
    import re

    for path in ("/", "/login", "/register"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " on" + "click=" not in html


def test_oversized_body_is_413(client):
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "login": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "过大" in response.text


def test_oversized_body_without_length_is_413(client):
    def chunks():
        for _ in range(40):
            yield b"a" * 65536

    response = client.post("/login", content=chunks(),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_upload_body_limit_is_larger_but_bounded(client, app):
    big = b"x" * (app.state.settings.max_upload_body_bytes + 10)
    response = client.post("/login", files={"photo": ("a.jpg", big, "image/jpeg")})
    assert response.status_code == 413


def test_api_413_is_json(client):
    response = client.post("/api/v1/auth/token", content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_untrusted_host_refused(client):
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_malformed_multipart_is_a_clear_400(client):
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", content=b"--xx\r\nnot really multipart",
                           headers={"content-type": "multipart/form-data; boundary=xx",
                                    "x-csrf-token": token})
    assert response.status_code in (400, 403)
    assert response.status_code != 500


PROXIES = (ipaddress.ip_network("10.0.0.1/32"), ipaddress.ip_network("192.168.0.0/16"))


@pytest.mark.parametrize("peer, header, expected", [
    ("203.0.113.9", "1.2.3.4", "203.0.113.9"),          # not from a proxy: header ignored
    ("10.0.0.1", "1.2.3.4", "1.2.3.4"),                 # from the proxy: believed
    ("10.0.0.1", "6.6.6.6, 1.2.3.4", "1.2.3.4"),        # rightmost untrusted hop wins
    ("10.0.0.1", "1.2.3.4, 192.168.1.5", "1.2.3.4"),    # skips further trusted proxies
    ("10.0.0.1", None, "10.0.0.1"),
    ("10.0.0.1", "garbage", "garbage"),
])
def test_client_address(peer, header, expected):
    assert client_address(peer, header, PROXIES) == expected


def test_api_mount_and_static_are_not_html_post_routes(app):
    mounts = [r for r in app.routes if isinstance(r, Mount)]
    assert {m.path for m in mounts} >= {"/api/v1", "/static"}


def test_error_pages_in_both_languages(client):
    assert "找不到" in client.get("/nope").text
    client.cookies.set("lang", "en")
    assert "Not found" in client.get("/nope").text


def test_405_is_a_page_not_a_crash(client):
    response = client.put("/login")
    assert response.status_code == 405


def test_500_page(app, settings, database):
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def boom(request):
        raise RuntimeError("boom")

    app.router.routes.insert(0, Route("/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    assert "系统出错了" in response.text
    assert "content-security-policy" in response.headers


def test_login_after_csrf_failure_still_works(client, db, settings):
    user = factories.user(db, settings)
    client.post("/login", data={"login": user.login, "password": factories.PASSWORD})
    assert post_form(client, "/login", "/login", {"login": user.login,
                                                  "password": factories.PASSWORD}).status_code == 303


def test_has_nul_looks_through_nested_values():
    from consult.web.security import has_nul

    assert not has_nul({"a": ["b", {"c": 1}], "d": None})
    assert has_nul({"a": ["b", {"c": "x\x00"}]}) and has_nul({"k\x00": 1}) and has_nul(("\x00",))
