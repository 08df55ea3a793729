"""Browser sessions end on the server: a cookie copied before sign-out is signed out when
replayed, the person's other devices stay signed in unless they sign out everywhere, and
the signed-in check stays one statement a request."""

from types import SimpleNamespace

from sqlalchemy import event
from sqlmodel import select
from starlette.requests import Request
from starlette.testclient import TestClient

from consult.accounts import services
from consult.accounts.models import UserSession
from consult.communities import identity
from consult.web.auth import current_user
from tests import factories
from tests.conftest import post_form

COOKIE = "consult_session"


def _signed_in(client) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def test_a_cookie_replayed_after_logout_is_signed_out(client, db, settings):
    user = factories.user(db, settings)
    factories.sign_in(client, user.login)
    copied = client.cookies.get(COOKIE)
    assert _signed_in(client)
    post_form(client, "/account", "/logout", {})
    client.cookies.clear()
    client.cookies.set(COOKIE, copied)  # the attacker's copy, still validly signed
    assert not _signed_in(client)
    db.expire_all()
    assert db.exec(select(UserSession).where(UserSession.user_id == user.id)).all() == []


def test_logout_keeps_the_other_devices_and_everywhere_ends_them_all(app, db, settings):
    user = factories.user(db, settings)
    with TestClient(app) as phone, TestClient(app) as laptop, TestClient(app) as tablet:
        for device in (phone, laptop, tablet):
            factories.sign_in(device, user.login)
        post_form(phone, "/account", "/logout", {})
        assert not _signed_in(phone)
        assert _signed_in(laptop) and _signed_in(tablet)  # signed out only where asked
        kept = tablet.cookies.get(COOKIE)
        post_form(laptop, "/account", "/logout/everywhere", {})
        assert not _signed_in(laptop) and not _signed_in(tablet)
        tablet.cookies.clear()
        tablet.cookies.set(COOKIE, kept)
        assert not _signed_in(tablet)
    assert "/logout/everywhere" in client_page(app, db, settings)


def client_page(app, db, settings) -> str:
    """The account page offers both buttons."""
    other = factories.user(db, settings)
    with TestClient(app) as c:
        factories.sign_in(c, other.login)
        return c.get("/account").text


def test_a_password_change_ends_the_other_sessions_and_tokens(app, db, settings):
    user = factories.user(db, settings)
    with TestClient(app) as phone, TestClient(app) as laptop:
        factories.sign_in(phone, user.login)
        factories.sign_in(laptop, user.login)
        token = laptop.post("/api/v1/auth/token",
                            json={"login": user.login, "password": factories.PASSWORD}).json()["token"]
        response = post_form(phone, "/account/password", "/account/password",
                             {"current": factories.PASSWORD, "new": "a much better secret",
                              "confirm": "a much better secret"})
        assert response.status_code == 303
        assert _signed_in(phone) and not _signed_in(laptop)
        assert laptop.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).status_code == 401
    db.expire_all()
    assert len(db.exec(select(UserSession).where(UserSession.user_id == user.id)).all()) == 1


def test_signing_in_again_ends_the_browsers_previous_session(client, db, settings):
    user = factories.user(db, settings)
    factories.sign_in(client, user.login)
    first = client.cookies.get(COOKIE)
    factories.sign_in(client, user.login)
    client.cookies.clear()
    client.cookies.set(COOKIE, first)
    assert not _signed_in(client)


def test_the_signed_in_check_is_one_statement(db, settings):
    from datetime import UTC, datetime

    user = factories.user(db, settings)
    key = services.start_session(db, user, datetime.now(UTC))
    db.commit()
    db.expunge_all()
    seen: list[str] = []
    connection = db.connection()

    def orm(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", orm)
    try:
        for session in ({"uid": user.id, "sid": key}, {"uid": user.id, "sid": "forged"}):
            scope = {"type": "http", "path": "/account", "headers": [], "session": dict(session),
                     "state": {"db": SimpleNamespace(get=lambda: db)},
                     "app": SimpleNamespace(state=SimpleNamespace(identity=identity))}
            seen.clear()
            found = current_user(Request(scope))
            assert len(seen) == 1, seen
            assert (found is not None) == (session["sid"] == key)
    finally:
        event.remove(connection, "before_cursor_execute", orm)
