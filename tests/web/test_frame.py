"""The page frame's cached navigation follows the language, the sign-in and the unread count;
it is kept per app, language and parameters, and rendered without a request."""

from __future__ import annotations

import re

from consult.i18n import translator
from consult.notifications import services as notifications
from consult.web.jinja import render_fragment
from tests import factories


def _nav(html: str) -> str:
    return re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', html, re.S).group(1)


def _badge(html: str) -> str | None:
    found = re.search(r'href="/notifications">[^<]*<span class="badge">(\d+)</span>', _nav(html))
    return found.group(1) if found else None


def test_anonymous_navigation_in_each_language(client):
    nav = _nav(client.get("/").text)
    assert "登录" in nav and 'href="/login"' in nav and 'href="/votes"' in nav
    client.cookies.set("lang", "en")
    nav = _nav(client.get("/").text)
    assert "Sign in" in nav and "登录" not in nav and "Consultations" in nav


def test_signed_in_navigation_shows_the_current_unread_count(client, db, settings):
    person = factories.user(db, settings)
    db.flush()
    factories.sign_in(client, person.login)
    page = client.get("/")
    assert 'href="/account"' in _nav(page.text) and 'href="/login"' not in _nav(page.text)
    assert _badge(page.text) is None
    for expected in ("1", "2"):
        notifications.notify(db, user_id=person.id, kind="verification_approved", params={"place": "恒丰"})
        db.flush()
        assert _badge(client.get("/consultations").text) == expected
    client.cookies.delete("consult_session")
    assert 'href="/login"' in _nav(client.get("/").text)


def test_the_frame_is_kept_per_language_and_parameters_and_never_sees_the_request(client, app):
    english, chinese = translator("en"), translator("zh_Hans")
    # a frame renders for the app alone: a template that used the request would fail here
    alone = render_fragment("_nav_account.html", english, app=app, signed_in=True, unread=2)
    assert 'href="/notifications"' in alone and ">2<" in alone
    frames = app.state.frame_cache
    frames.clear()
    assert client.get("/register").status_code == 200
    client.cookies.set("lang", "en")
    assert client.get("/no-such-page").status_code == 404  # error pages have the same frame
    for key in [("_nav_main.html", chinese.locale), ("_nav_main.html", english.locale),
                ("_nav_account.html", english.locale, ("signed_in", False), ("unread", 0))]:
        assert frames.get(key) is not None, key
    assert len(frames) == 4
