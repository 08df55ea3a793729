"""Elder mode (长辈模式) at the top of the home page, offered once on a first visit
(issue 16 item 4); in elder mode ballots show no thumbnails. The look (one-line
navigation and total, titles on two lines) is checked in tests/browser/test_elder_mode.py."""

import re

from tests import factories
from tests.conftest import post_form


def _top(page):
    main = page.text[page.text.index('<main id="main">'):]
    return main[:main.index("</form>") + 7]


def test_the_switch_is_at_the_top_of_the_home_page(client, db):
    factories.place_tree(db)
    page = client.get("/")
    top = _top(page)
    assert 'action="/prefs/elder"' in top and 'name="elder" value="1"' in top
    assert "长辈模式（大字）" in top


def test_offered_once_on_the_first_visit(client, db):
    factories.place_tree(db)
    first = client.get("/")
    assert 'id="elder-offer"' in first.text and "字太小" in first.text
    assert "elder_offered=1" in first.headers.get("set-cookie", "")
    second = client.get("/")
    assert 'id="elder-offer"' not in second.text
    assert 'name="elder" value="1"' in _top(second)  # the switch itself stays


def test_once_chosen_the_top_switch_turns_it_off(client, db):
    factories.place_tree(db)
    chosen = post_form(client, "/", "/prefs/elder", {"elder": "1", "next": "/"})
    assert chosen.status_code == 303
    page = client.get("/")
    assert 'class="elder' in page.text and 'id="elder-offer"' not in page.text
    assert 'name="elder" value="0"' in _top(page) and "标准字号" in _top(page)


def test_no_thumbnails_on_ballots_in_elder_mode(client, db, settings):
    from tests.voting.conftest import build_world

    world = build_world(db, settings)
    from consult.consultations.models import IdeaPhoto
    db.add(IdeaPhoto(idea_id=world.ideas[0].id, key="abc123", position=0, width=64, height=48))
    db.flush()
    factories.sign_in(client, world.people["voter"].login)
    url = f"/rounds/{world.round.id}/vote"
    assert 'class="vote-thumb"' in client.get(url).text
    post_form(client, url, "/prefs/elder", {"elder": "1", "next": url})
    elder = client.get(url)
    assert re.search(r'<body class="elder', elder.text) and 'class="vote-thumb"' not in elder.text
