"""The page frame's cached navigation follows the language, the sign-in and the unread count."""

from __future__ import annotations

import re

from consult.notifications import services as notifications
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
