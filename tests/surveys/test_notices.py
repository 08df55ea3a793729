"""Item 5 of issue 17: a survey's audience hears once that it is addressed to them
(``services.tell_audiences``, run by ``finalize-due``)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import select

from consult.notifications.models import Notification
from consult.surveys import services
from tests import factories
from tests.surveys.builders import CLOSES, NOW, OPENS, home, person, survey


def _told(db):
    notes = db.exec(select(Notification).where(Notification.kind == "survey_addressed")).all()
    return Counter(note.user_id for note in notes)


def test_the_audience_hears_once_of_an_open_survey(db, settings):
    tree = factories.place_tree(db)
    _, staff = person(db, settings, "moderator", tree["area_a"])
    here, _ = person(db, settings, "resident", tree["area_a"])
    street, _ = person(db, settings, "resident", tree["root"])  # a place above: in the audience
    person(db, settings, "resident", tree["area_b"])  # another area: not
    person(db, settings, "owners_rep", tree["estate_a"])  # another role: not
    form = survey(db, staff, tree["area_a"])
    assert services.tell_audiences(db, OPENS - timedelta(hours=1)) == 0  # not open yet
    assert services.tell_audiences(db, NOW) == 2
    assert _told(db) == Counter({here.id, street.id})
    assert services.tell_audiences(db, NOW + timedelta(days=1)) == 0  # once
    assert _told(db) == Counter({here.id, street.id})
    note = db.exec(select(Notification).where(Notification.user_id == here.id)).one()
    assert note.link == f"/surveys/{form.survey.id}" and note.params["title"] == "满意度测评"
    assert services.tell_audiences(db, CLOSES) == 0


def test_an_owners_survey_reaches_the_linked_owners(db, settings):
    tree = factories.place_tree(db)
    _, staff = person(db, settings, "moderator", tree["area_a"])
    owner, _ = person(db, settings, "owner", tree["estate_a"])
    person(db, settings, "resident", tree["area_a"])
    home(db, tree["estate_a"], tree["group_a"], "1-101", owner=owner)
    survey(db, staff, tree["area_a"], audience="owners")
    assert services.tell_audiences(db, NOW) == 1
    assert _told(db) == Counter({owner.id})
