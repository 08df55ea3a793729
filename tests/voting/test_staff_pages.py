"""Issue 16 items 12-15 (the staff part) on the vote's pages: the desktop's width with tables
that scroll in their own box, publishing asks for confirmation, the paper-entry page."""

from __future__ import annotations

import re

from sqlmodel import select

from consult.voting.models import VoteResult
from tests import factories
from tests.conftest import post_form
from tests.voting.conftest import close_round

_BODY = re.compile(r'<body class="([^"]*)"')


def test_staff_pages_use_the_wide_layout_with_tables_in_boxes(client, world):
    factories.sign_in(client, world.people["moderator"].login)
    rid, cid = world.round.id, world.vote.consultation.id
    world.ideas[0].state = "submitted"
    world.db.add(world.ideas[0])
    world.db.flush()
    for path in (f"/rounds/{rid}/turnout", f"/consultations/{cid}/review", f"/rounds/{rid}/paper"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "wide-page" in _BODY.search(page.text).group(1).split(), path
        for table in re.finditer(r"<table", page.text):
            before = page.text[:table.start()].rstrip()
            assert before.endswith('<div class="scroll">'), (path, before[-80:])
    # a resident's page keeps the reading width
    factories.sign_in(client, world.people["voter"].login)
    assert "wide-page" not in _BODY.search(client.get("/").text).group(1).split()


def test_publishing_asks_for_confirmation_and_says_what_becomes_public(client, db, world):
    close_round(db, world.round)
    factories.sign_in(client, world.people["moderator"].login)
    manage = f"/rounds/{world.round.id}/vote/manage"
    page = client.get(manage).text
    assert 'name="confirm"' in page and "公布后" in page
    unconfirmed = post_form(client, manage, f"/rounds/{world.round.id}/publish", {})
    assert unconfirmed.status_code == 422 and db.exec(select(VoteResult)).first() is None
    assert "请勾选" in unconfirmed.text
    done = post_form(client, manage, f"/rounds/{world.round.id}/publish", {"confirm": "1"})
    assert done.status_code == 303 and db.exec(select(VoteResult)).first() is not None
