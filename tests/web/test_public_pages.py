"""Pages kept whole for visitors who are not signed in (``consult.web.templating.render_public``)
and the home page answered from memory on the event loop (``consult.web.offloop.from_memory``).

A kept page must be the page a rendering would give this visitor: their own CSRF token
in every form (so the forms work), the frame in their language and text size, nothing
of anyone else's; a signed-in visitor or a waiting message gets a rendered page; and a
change to what the page shows is seen on the next view.
"""

from __future__ import annotations

import re

from markupsafe import Markup
from starlette.requests import Request
from starlette.testclient import TestClient

from consult.communities import services as places
from consult.web import templating
from tests import factories
from tests.conftest import csrf_from


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


def test_each_visitor_gets_the_kept_page_with_their_own_working_token(app, client, db):
    factories.place_tree(db)
    client.cookies.set("elder_offered", "1")  # elder mode is offered on a first visit only
    first = client.get("/")
    assert first.status_code == 200 and _tokens(first.text) == {first.context["csrf_token"]}
    again = client.get("/")
    assert again.text == first.text  # the same visitor: the same page, the same token
    assert again.context["csrf_token"] == first.context["csrf_token"]
    assert again.template.name == "communities/home.html"
    assert len(app.state.public_pages) == 1
    with TestClient(app, base_url="http://testserver") as stranger:
        stranger.cookies.set("elder_offered", "1")
        theirs = stranger.get("/")
        assert theirs.text.replace(csrf_from(theirs.text), "T") == again.text.replace(csrf_from(again.text), "T")
        assert _tokens(theirs.text) and _tokens(theirs.text) != _tokens(again.text)
        token = csrf_from(theirs.text)
        answer = stranger.post("/prefs/language", data={"csrf_token": token, "lang": "en", "next": "/"},
                               follow_redirects=False)
        assert answer.status_code == 303
        assert "Take part" in stranger.get("/").text  # the English frame, kept apart


def test_no_mark_is_left_in_a_kept_page(client, db):
    factories.place_tree(db)
    client.get("/")
    for page in (client.get("/"), client.get("/")):
        assert templating._TOKEN_MARK.encode() not in page.content
        assert _tokens(page.text) == {page.context["csrf_token"]}


def test_a_signed_in_visitor_gets_their_own_rendered_page(app, client, db, settings):
    factories.place_tree(db)
    client.get("/")
    client.get("/")
    kept = len(app.state.public_pages)
    person = factories.user(db, settings)
    db.flush()
    factories.sign_in(client, person.login)
    page = client.get("/")
    assert page.context["user"].id == person.id
    assert 'href="/account"' in page.text and 'href="/login"' not in page.text
    assert len(app.state.public_pages) == kept  # nothing kept for a signed-in visitor


def _request(app, session: dict) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "query_string": b"",
                    "headers": [(b"host", b"testserver")], "scheme": "http", "server": ("testserver", 80),
                    "app": app, "session": session, "state": {}})


def test_a_waiting_message_is_shown_on_a_rendered_page_not_a_kept_one(app):
    context = {"elder_offer": False, "root": None, "areas": (), "counts": {}, "body": Markup(""),
               "staff_tasks": None}
    made_from = object()
    kept = templating.render_public(_request(app, {}), "communities/home.html", context, made_from=made_from)
    assert "已保存" not in kept.body.decode()
    waiting = _request(app, {"flash": [["已保存", {}]]})
    page = templating.render_public(waiting, "communities/home.html", context, made_from=made_from)
    assert "已保存" in page.body.decode() and "flash" not in waiting.session  # shown, and so gone
    again = templating.render_public(_request(app, {}), "communities/home.html", context, made_from=made_from)
    assert "已保存" not in again.body.decode()  # nobody else is shown it from a kept page


def test_the_home_page_shows_a_change_once_its_overview_is_read_again(app, client, db):
    tree = factories.place_tree(db)
    assert "东王" not in client.get("/").text
    places.create_place(db, kind="area", name="东王", parent=tree["root"])
    db.flush()
    assert "东王" not in client.get("/").text  # the kept overview, and its kept page
    app.state.public_cache.clear()
    assert "东王" in client.get("/").text


def test_a_kept_home_page_is_answered_without_a_thread(app, client, db, settings, monkeypatch):
    factories.place_tree(db)
    client.cookies.set("elder_offered", "1")
    client.get("/")  # the overview read (a thread: the database), the page kept
    hops = []
    threads = app.state.endpoint_threads
    real = threads.run

    async def counted(function, *args):
        hops.append(args[0].__name__ if args else "?")  # _run(endpoint, request)
        return await real(function, *args)

    monkeypatch.setattr(threads, "run", counted)
    assert client.get("/").status_code == 200
    assert hops == []
    app.state.public_cache.clear()  # the overview must be read: the endpoint runs in a thread
    assert client.get("/").status_code == 200
    assert hops == ["home"]
    person = factories.user(db, settings)
    db.flush()
    factories.sign_in(client, person.login)
    hops.clear()
    assert client.get("/").status_code == 200
    assert hops == ["home"]  # a signed-in visitor's account is read from the database
