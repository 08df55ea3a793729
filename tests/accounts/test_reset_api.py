"""Forgot password over the JSON API (issue 17 item 2): the SMS code and the desk slip,
with the same outcome as the pages; bad input is a 4xx with a message, never a 500."""

from sqlmodel import select

from consult import clock
from consult.accounts import passwords, resets
from consult.accounts.models import ApiToken, User
from consult.communities import services as places
from tests import factories
from tests.accounts.test_resets import NEW, use_recorder


def test_reset_by_sms_code_over_the_api(client, db, settings):
    recorder = use_recorder()
    user = factories.user(db, settings)
    factories_token = client.post("/api/v1/auth/token", json={"login": user.login,
                                                            "password": factories.PASSWORD})
    assert factories_token.status_code == 201
    sent = client.post("/api/v1/auth/reset/code", json={"login": user.login})
    assert sent.status_code == 202 and sent.json()["sent"] is True
    unknown = client.post("/api/v1/auth/reset/code", json={"login": "13711112222"})
    assert unknown.status_code == 202 and unknown.json() == sent.json()
    code = recorder.sent[-1].params["code"]
    wrong = client.post("/api/v1/auth/reset", json={"login": user.login, "code": "000000" if code != "000000" else "111111",
                                                   "new_password": NEW})
    assert wrong.status_code == 422
    done = client.post("/api/v1/auth/reset", json={"login": user.login, "code": code, "new_password": NEW})
    assert done.status_code == 200 and done.json()["reset"] is True
    db.expire_all()
    assert passwords.verify(db.get(User, user.id).password_hash, NEW, settings.argon2)[0]
    assert db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_reset_with_a_slip_over_the_api(client, db, settings, desk):
    actor = places.actor_for(db, desk["moderator"])
    _, _, code = resets.issue_slip(db, actor, settings, login=desk["resident"].login, reason="忘记",
                                   id_checked=True, now=clock.utcnow())
    db.flush()
    weak = client.post("/api/v1/auth/reset", json={"login": desk["resident"].login, "code": code,
                                                  "method": "slip", "new_password": "12345678"})
    assert weak.status_code == 422
    done = client.post("/api/v1/auth/reset", json={"login": desk["resident"].login, "code": code,
                                                  "method": "slip", "new_password": NEW})
    assert done.status_code == 200
    again = client.post("/api/v1/auth/reset", json={"login": desk["resident"].login, "code": code,
                                                   "method": "slip", "new_password": NEW + "!"})
    assert again.status_code == 422


def test_bad_bodies(client):
    assert client.post("/api/v1/auth/reset/code", json={"login": "12"}).status_code == 422
    assert client.post("/api/v1/auth/reset/code", json={"login": "13711112222"}).status_code == 503  # no SMS here
    bad = client.post("/api/v1/auth/reset", json={"login": "13711112222", "code": "x",
                                                 "new_password": NEW, "method": "fax"})
    assert bad.status_code == 422
    assert client.post("/api/v1/auth/reset", content=b"{", headers={"content-type": "application/json"}).status_code in (400, 422)
