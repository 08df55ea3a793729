"""Points for taking part in the platform (issue 19 item 7): only when the club turns it
on; an idea shortlisted, a named survey answered (after it closed), a forum attended (once
held); each once, through the ledger, within the day and year caps; never for a vote."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from consult import consultations as consultations_surface
from consult.communities import services as places
from consult.consultations import services as idea_services
from consult.errors import FieldErrors
from consult.participation import credit_due
from consult.points.models import Entry, Participation, Transfer
from consult.points.services import clubs, ledger, participation
from consult.ratings import services as rating_services
from consult.ratings.rules import CriterionDraft
from consult.surveys import services as survey_services
from tests.consultations.conftest import build_world, new_idea
from tests.surveys.builders import good_answers, survey


@pytest.fixture
def scene(db, settings):
    w = build_world(db, settings)
    at = clubs.create_club(db, w.actor("moderator_a"), place_id=w.tree["area_a"].id, name="恒丰积分俱乐部",
                           now=w.now)
    members = {key: clubs.join(db, w.actor(key), w.people[key], at, now=w.now)
               for key in ("resident_a", "neighbour")}
    return w, at, members


def _turn_on(db, w, at, **kw):
    values = {"on": True, "per_idea": "5", "per_survey": "2", "per_forum": "3", "day_cap": "", "year_cap": ""}
    values.update(kw)
    return participation.set_participation(db, w.actor("moderator_a"), at, **values)


def _shortlisted_idea(db, w, title="楼道灯更换"):
    idea = new_idea(db, w, title=title)
    idea_services.review_idea(db, w.actor("moderator_a"), idea, "shortlist", now=w.now)
    return idea


def test_nothing_is_credited_while_the_club_has_not_turned_it_on(db, scene):
    w, at, members = scene
    _shortlisted_idea(db, w)
    assert credit_due(db, w.now) == 0
    assert ledger.member_balance(db, members["resident_a"].id) == 0
    assert not db.exec(select(Participation)).all()


def test_a_shortlisted_idea_is_credited_once_through_the_ledger(db, scene):
    w, at, members = scene
    _turn_on(db, w, at)
    new_idea(db, w, title="只提交未入围")  # submitted, not shortlisted: nothing
    _shortlisted_idea(db, w)
    assert credit_due(db, w.now) == 1
    assert credit_due(db, w.now + timedelta(hours=1)) == 0  # once
    assert ledger.member_balance(db, members["resident_a"].id) == 5
    assert ledger.member_balance(db, members["neighbour"].id) == 0
    [transfer] = db.exec(select(Transfer).where(Transfer.kind == "platform")).all()
    assert sum(db.exec(select(Entry.amount).where(Entry.transfer_id == transfer.id)).all()) == 0
    assert transfer.created_at == w.now  # when the job ran, not when anyone acted
    assert ledger.check(db, at.club.id) == []


def test_a_named_survey_counts_after_it_closes_an_anonymous_one_never(db, scene):
    w, at, members = scene
    _turn_on(db, w, at)
    staff = w.actor("moderator_a")
    opens, closes = w.now - timedelta(days=1), w.now + timedelta(days=2)
    named = survey(db, staff, w.tree["area_a"], opens=opens, closes=closes, title="具名问卷")
    secret = survey(db, staff, w.tree["area_a"], anonymous=True, opens=opens, closes=closes, title="匿名问卷")
    for form in (named, secret):
        survey_services.submit(db, w.actor("neighbour"), form, good_answers(form), now=w.now)
    assert credit_due(db, w.now) == 0  # still open: nothing yet
    assert credit_due(db, closes + timedelta(minutes=1)) == 1
    assert ledger.member_balance(db, members["neighbour"].id) == 2
    [row] = db.exec(select(Participation)).all()
    assert row.ref == f"survey:{named.survey.id}"


def test_a_forum_attended_counts_once_held(db, scene):
    w, at, members = scene
    _turn_on(db, w, at)
    admin = w.actor("admin")
    campaign = rating_services.create_campaign(db, admin, place_id=w.tree["root"].id, title="星级业委会", year="2026")
    rating_services.set_criteria(db, admin, campaign,
                                 [rating_services.CriterionRow(None, CriterionDraft("评议", 100, "forum"))])
    subject = rating_services.add_subject(db, admin, campaign, kind="owners_committee",
                                          place_id=w.tree["estate_a"].id)
    places.grant_role(db, user=w.people["resident_a"], role="owners_rep", place=w.tree["estate_a"])
    held = w.now + timedelta(days=1)
    forum = rating_services.create_forum(db, admin, campaign, subject_id=subject.id, held_at=held, location="会议室")
    rating_services.update_forum(db, admin, forum, held_at=held, location="会议室", agenda="", minutes="",
                                 attendee_ids=[str(w.people["resident_a"].id)])
    assert credit_due(db, w.now) == 0
    assert credit_due(db, held) == 1
    assert ledger.member_balance(db, members["resident_a"].id) == 3


def test_the_caps_bound_what_a_member_earns(db, scene):
    w, at, members = scene
    _turn_on(db, w, at, day_cap="7", year_cap="12")
    for title in ("一", "二"):
        _shortlisted_idea(db, w, title=title)
    assert credit_due(db, w.now) == 2  # 5, then 2 (the day's cap of 7)
    assert ledger.member_balance(db, members["resident_a"].id) == 7
    _shortlisted_idea(db, w, title="三")
    assert credit_due(db, w.now) == 0  # the day is full: recorded with 0, never again
    assert credit_due(db, w.now + timedelta(days=1)) == 0
    assert ledger.member_balance(db, members["resident_a"].id) == 7
    points = sorted(p.points for p in db.exec(select(Participation)).all())
    assert points == [0, 2, 5]


def test_bad_settings_are_refused_and_nothing_changes(db, scene):
    w, at, _ = scene
    with pytest.raises(FieldErrors) as refused:
        _turn_on(db, w, at, per_idea="-1", per_survey="1.5", year_cap="１０")
    assert set(refused.value.errors) == {"per_idea", "per_survey", "year_cap"}
    db.refresh(at.club)
    assert at.club.participation_on is False and at.club.per_idea == 0


def test_no_vote_is_ever_a_fact(db, scene):
    """The facts come from ideas, surveys and forums only; the points club never reads votes
    (the import contract forbids it), and a selected idea counts like a not-selected one."""
    w, at, members = scene
    _turn_on(db, w, at)
    idea = _shortlisted_idea(db, w)
    facts = consultations_surface.shortlisted_by(db, {w.people["resident_a"].id})
    assert facts == [(w.people["resident_a"].id, "idea", f"idea:{idea.id}", idea_place_path(db, idea))]
    assert {kind for _, kind, _, _ in facts} <= set(participation.PARTICIPATION_KINDS)
    assert "vote" not in participation.PARTICIPATION_KINDS
    assert participation.credit(db, [(w.people["neighbour"].id, "vote", "round:1", w.tree["area_a"].path)],
                                w.now) == 0


def idea_place_path(db, idea):
    from consult.communities.models import Place

    return db.get(Place, idea.place_id).path
