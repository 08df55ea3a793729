"""Issue 17 item 6: WeChat web authorisation and the mini-program's code2session, against a
local fake of WeChat's endpoints (no network). Without configuration nothing appears."""

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from consult.accounts.models import WeChatLink
from consult.communities import services as places
from consult.communities.models import RoleAssignment
from consult.web.app import create_app
from tests import factories

#: what the fake answers for each code
CODES = {"good": {"openid": "o-mother", "access_token": "t", "session_key": "k"},
         "other": {"openid": "o-other", "access_token": "t", "session_key": "k"},
         "expired": {"errcode": 40029, "errmsg": "invalid code"},
         "busy": {"errcode": -1, "errmsg": "system error"}}


class FakeWeChat(BaseHTTPRequestHandler):
    calls: list = []

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        FakeWeChat.calls.append((url.path, query))
        code = query.get("code") or query.get("js_code")
        if url.path not in ("/sns/oauth2/access_token", "/sns/jscode2session") or \
                query.get("secret") not in ("web-secret", "mini-secret"):
            body = {"errcode": 40001, "errmsg": "invalid credential"}
        elif code == "garbage":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>not json")
            return
        else:
            body = CODES.get(code, {"errcode": 40029, "errmsg": "invalid code"})
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def fake_wechat():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def wechat_client(settings, database, fake_wechat):
    from starlette.testclient import TestClient

    configured = replace(settings, wechat_app_id="wx-web", wechat_app_secret="web-secret",
                         wechat_mini_app_id="wx-mini", wechat_mini_app_secret="mini-secret",
                         wechat_endpoint=fake_wechat, wechat_timeout_seconds=2)
    with TestClient(create_app(configured, database), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def resident(db, settings):
    tree = factories.place_tree(db)
    user = factories.user(db, settings, name="王阿婆")
    places.grant_role(db, user=user, role="resident", place=tree["area_a"])
    db.flush()
    return user


def _round_trip(client, code):
    start = client.get("/auth/wechat", follow_redirects=False)
    assert start.status_code == 303
    target = urlsplit(start.headers["location"])
    query = parse_qs(target.query)
    assert target.netloc == "open.weixin.qq.com" and query["appid"] == ["wx-web"]
    assert query["scope"] == ["snsapi_base"] and start.headers["location"].endswith("#wechat_redirect")
    assert query["redirect_uri"] == ["http://testserver/auth/wechat/callback"]
    return client.get(f"/auth/wechat/callback?code={code}&state={query['state'][0]}",
                      follow_redirects=False)


def test_without_configuration_nothing_appears(client):
    assert "/auth/wechat" not in client.get("/login").text
    assert client.get("/auth/wechat").status_code == 404
    assert client.post("/api/v1/auth/wechat/mini", json={"code": "good"}).status_code == 404


def test_link_then_sign_in_with_wechat(wechat_client, db, resident):
    client = wechat_client
    assert 'href="/auth/wechat"' in client.get("/login").text
    unknown = _round_trip(client, "good")
    assert unknown.status_code == 200 and "请先用手机号" in unknown.text  # not linked: no account made
    assert db.exec(select(WeChatLink)).all() == []
    factories.sign_in(client, resident.login)
    assert 'href="/auth/wechat"' in client.get("/account").text
    linked = _round_trip(client, "good")
    assert linked.status_code == 303
    row = db.exec(select(WeChatLink)).one()
    assert (row.app, row.openid, row.user_id) == ("web", "o-mother", resident.id)
    client.cookies.clear()
    signed = _round_trip(client, "good")
    assert signed.status_code == 303 and signed.headers["location"] == "/account"
    account = client.get("/account")
    assert account.context["user"].id == resident.id and 'action="/account/wechat/unlink"' in account.text
    # the holder unlinks it: WeChat signs nobody in any more
    from tests.conftest import csrf_from

    client.post("/account/wechat/unlink", data={"csrf_token": csrf_from(account.text)})
    assert db.exec(select(WeChatLink)).all() == []
    client.cookies.clear()
    assert _round_trip(client, "good").status_code == 200


def test_an_unverified_account_cannot_link(wechat_client, db, settings):
    newcomer = factories.user(db, settings)
    factories.sign_in(wechat_client, newcomer.login)
    refused = _round_trip(wechat_client, "good")
    assert refused.status_code == 409 and "认证" in refused.text
    assert db.exec(select(WeChatLink)).all() == []


def test_a_forged_or_stale_callback_is_refused(wechat_client, db, resident):
    factories.sign_in(wechat_client, resident.login)
    forged = wechat_client.get("/auth/wechat/callback?code=good&state=made-up")
    assert forged.status_code == 400
    assert db.exec(select(WeChatLink)).all() == []


@pytest.mark.parametrize("code,status", [("expired", 400), ("busy", 503), ("garbage", 503)])
def test_wechat_refusing_or_failing(wechat_client, db, resident, code, status):
    factories.sign_in(wechat_client, resident.login)
    response = _round_trip(wechat_client, code)
    assert response.status_code == status and "手机号" in response.text
    assert db.exec(select(WeChatLink)).all() == []


def test_wechat_unreachable(settings, database, db, resident):
    from starlette.testclient import TestClient

    down = replace(settings, wechat_app_id="wx-web", wechat_app_secret="web-secret",
                   wechat_endpoint="http://127.0.0.1:9", wechat_timeout_seconds=1)
    with TestClient(create_app(down, database), base_url="http://testserver") as client:
        factories.sign_in(client, resident.login)
        assert _round_trip(client, "good").status_code == 503


def test_one_wechat_one_account(wechat_client, db, settings, resident):
    from consult.accounts import wechat
    from consult.errors import Conflict

    factories.sign_in(wechat_client, resident.login)
    _round_trip(wechat_client, "good")
    second = factories.user(db, settings, name="另一人")
    area = db.exec(select(RoleAssignment.place_id).where(RoleAssignment.user_id == resident.id)).first()
    places.grant_role(db, user=second, role="resident", place=places.get_place(db, area))
    db.flush()
    # the WeChat signs in the account it is linked to, whoever was signed in before
    wechat_client.cookies.clear()
    factories.sign_in(wechat_client, second.login)
    assert _round_trip(wechat_client, "good").status_code == 303
    assert wechat_client.get("/account").context["user"].id == resident.id
    with pytest.raises(Conflict):
        wechat.link(db, places.actor_for(db, second), app="web", openid="o-mother")
    with pytest.raises(Conflict):  # one WeChat per account and app
        wechat.link(db, places.actor_for(db, resident), app="web", openid="o-other")
    assert len(db.exec(select(WeChatLink)).all()) == 1


def test_mini_program_code2session(wechat_client, db, resident):
    client = wechat_client
    not_linked = client.post("/api/v1/auth/wechat/mini", json={"code": "good"})
    assert not_linked.status_code == 409 and not_linked.json()["error"]["code"] == "wechat_not_linked"
    token = client.post("/api/v1/auth/token", json={"login": resident.login,
                                                    "password": factories.PASSWORD}).json()["token"]
    linked = client.post("/api/v1/auth/wechat/mini/link", json={"code": "good"},
                         headers={"authorization": f"Bearer {token}"})
    assert linked.status_code == 200 and linked.json() == {"linked": True}
    assert FakeWeChat.calls[-1][0] == "/sns/jscode2session"
    assert FakeWeChat.calls[-1][1]["appid"] == "wx-mini"
    signed = client.post("/api/v1/auth/wechat/mini", json={"code": "good"})
    assert signed.status_code == 201
    me = client.get("/api/v1/me", headers={"authorization": f"Bearer {signed.json()['token']}"})
    assert me.json()["id"] == resident.id
    assert client.post("/api/v1/auth/wechat/mini", json={"code": "expired"}).status_code == 400
