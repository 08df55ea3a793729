"""API tokens expire after 30 days unused, are renewed on use at most once a day, can be
listed and revoked by their owner (page and API); personal answers are never cached."""

from datetime import timedelta

from sqlmodel import select

from consult import clock
from consult.accounts import services
from consult.accounts.models import ApiToken
from tests import factories
from tests.conftest import post_form


def _bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


def test_a_token_expires_after_thirty_days_and_use_renews_it_once_a_day(db, settings):
    user = factories.user(db, settings)
    start = clock.utcnow()
    raw = services.issue_token(db, user, now=start)
    db.flush()
    row = db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.expires_at == start + timedelta(days=30)
    assert services.user_for_token(db, raw, start + timedelta(hours=5)) is user
    db.refresh(row)
    assert row.expires_at == start + timedelta(days=30) and row.last_used_at is None  # no write
    later = start + timedelta(days=20)
    assert services.user_for_token(db, raw, later) is user
    db.refresh(row)
    assert row.expires_at == later + timedelta(days=30) and row.last_used_at == later
    assert services.user_for_token(db, raw, later + timedelta(days=30)) is None  # unused 30 days
    assert services.user_for_token(db, raw, later + timedelta(days=29, hours=23)) is user


def test_the_owner_lists_and_revokes_tokens_through_the_api(client, db, settings):
    user = factories.user(db, settings)
    other = factories.user(db, settings)
    made = client.post("/api/v1/auth/token", json={"login": user.login, "password": factories.PASSWORD,
                                                    "label": "我的手机\n"})
    assert made.status_code == 201 and made.json()["expires_in_days"] == 30
    token = made.json()["token"]
    second = services.issue_token(db, user, label="电脑")
    theirs = services.issue_token(db, other)
    db.flush()
    listed = client.get("/api/v1/auth/tokens", headers=_bearer(token))
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "no-store"
    tokens = listed.json()["tokens"]
    assert [t["label"] for t in tokens] == ["电脑", "我的手机"]
    assert token not in listed.text and "digest" not in listed.text
    their_id = db.exec(select(ApiToken.id).where(ApiToken.user_id == other.id)).one()
    assert client.post(f"/api/v1/auth/tokens/{their_id}/revoke", headers=_bearer(token)).status_code == 404
    assert client.get("/api/v1/me", headers=_bearer(theirs)).status_code == 200  # untouched
    assert client.post(f"/api/v1/auth/tokens/{tokens[0]['id']}/revoke",
                       headers=_bearer(token)).json() == {"revoked": True}
    assert client.get("/api/v1/me", headers=_bearer(second)).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200


def test_the_owner_revokes_a_token_on_the_page(client, db, settings):
    user = factories.user(db, settings)
    raw = services.issue_token(db, user, label="旧平板")
    db.flush()
    factories.sign_in(client, user.login)
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "旧平板" in page.text
    assert "/account/tokens" in client.get("/account").text
    token_id = db.exec(select(ApiToken.id).where(ApiToken.user_id == user.id)).one()
    response = post_form(client, "/account/tokens", f"/account/tokens/{token_id}/revoke", {})
    assert response.status_code == 303
    assert client.get("/api/v1/me", headers=_bearer(raw)).status_code == 401
    assert "旧平板" not in client.get("/account/tokens").text


def test_personal_answers_are_not_stored_by_caches(client, db, settings):
    user = factories.user(db, settings)
    raw = services.issue_token(db, user)
    db.flush()
    for path in ("/api/v1/me", "/api/v1/notifications", "/api/v1/places"):
        response = client.get(path, headers=_bearer(raw))
        assert response.headers.get("cache-control") == "no-store", path
    factories.sign_in(client, user.login)
    assert client.get("/account").headers["cache-control"] == "no-store"
