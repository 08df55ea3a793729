"""Item 5 of issue 17: a round's audience hears once that it is open and once that it
closes soon (``services.tell_voters``, run by ``finalize-due``)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import select

from consult.notifications.models import Notification
from consult.voting import services
from consult.voting.rules import RawBallot
from tests.voting.conftest import DAY, ids, set_settings


def _told(db, kind):
    notes = db.exec(select(Notification).where(Notification.kind == kind)).all()
    return Counter(note.user_id for note in notes)


def test_the_residents_of_the_round_hear_once_that_it_is_open(world):
    db, people = world.db, world.people
    told = services.tell_voters(db, world.now)
    residents = {people[k].id for k in ("voter", "voter2", "voter3")}
    assert told == {"vote_opened": 3, "vote_closing_soon": 0}
    assert _told(db, "vote_opened") == Counter(residents)  # not the outsider, owner, staff
    again = services.tell_voters(db, world.now + timedelta(hours=1))
    assert again == {"vote_opened": 0, "vote_closing_soon": 0}
    assert _told(db, "vote_opened") == Counter(residents)
    note = db.exec(select(Notification).where(Notification.user_id == people["voter"].id)).one()
    assert note.link == f"/rounds/{world.round.id}/vote" and note.params["title"] == "2026 微更新"


def test_those_who_have_not_voted_hear_once_that_it_closes_soon(world):
    db, people = world.db, world.people
    services.cast(db, world.actor("voter"), people["voter"], world.load(),
                  RawBallot(choices=ids(world.ideas, 0)), world.now)
    late = world.round.closes_at - DAY
    assert services.tell_voters(db, late) == {"vote_opened": 3, "vote_closing_soon": 2}
    assert _told(db, "vote_closing_soon") == Counter({people["voter2"].id, people["voter3"].id})
    assert services.tell_voters(db, late + timedelta(hours=12))["vote_closing_soon"] == 0


def test_nobody_hears_of_a_round_not_open(world):
    upcoming = world.round.opens_at - timedelta(hours=1)
    assert services.tell_voters(world.db, upcoming) == {"vote_opened": 0, "vote_closing_soon": 0}
    after = world.round.closes_at + timedelta(minutes=1)
    assert services.tell_voters(world.db, after) == {"vote_opened": 0, "vote_closing_soon": 0}


def test_an_owners_round_tells_the_owners_of_record(world):
    set_settings(world.db, world.round.id, eligibility="owners")
    assert services.tell_voters(world.db, world.now)["vote_opened"] == 1
    assert _told(world.db, "vote_opened") == Counter({world.people["owner"].id})
