"""The lifecycles of star-rating campaigns and photo contests: every privileged action in
every state, through the services; a refusal changes nothing.

A campaign is being prepared (draft), published (the notice period, for objections) or
final; once published nothing its result was computed from changes. A contest is
upcoming, open or closed; its entries are its ballot. Then: nobody answers their own
objection, in the service and on the page.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult.communities import services as places
from consult.errors import Conflict, Forbidden
from consult.ratings import rules, services
from consult.ratings.models import (
    Campaign,
    Contest,
    ContestEntry,
    ContestRating,
    Criterion,
    Forum,
    ForumAttendee,
    ForumRating,
    Objection,
    StaffScore,
    Subject,
)
from consult.ratings.rules import CriterionDraft
from tests import factories
from tests.conftest import post_form
from tests.surveys.builders import NOW, person

Row = services.CriterionRow

#: action → the states it is allowed in (written out here, independently of ``rules``)
CAMPAIGN_EXPECTED = {
    "change_setup": {"draft"},
    "enter_staff_scores": {"draft"},
    "manage_forum": {"draft"},
    "enter_forum_ratings": {"draft"},
    "attach_contest": {"draft"},
    "publish": {"draft"},
    "file_objection": {"notice"},
    "answer_objection": {"notice", "final"},
}
CONTEST_EXPECTED = {
    "add_entry": {"upcoming", "open"},
    "rate_entry": {"open"},
}
#: when the campaign was published, for each state at NOW
PUBLISHED = {"draft": None, "notice": NOW - timedelta(hours=1), "final": NOW - timedelta(days=30)}
#: the contest's period, for each state at NOW
PERIODS = {
    "upcoming": (NOW + timedelta(days=1), NOW + timedelta(days=8)),
    "open": (NOW - timedelta(days=1), NOW + timedelta(days=6)),
    "closed": (NOW - timedelta(days=8), NOW - timedelta(hours=1)),
}


def test_every_action_has_expectations():
    assert set(rules.CAMPAIGN_ACTIONS) == set(CAMPAIGN_EXPECTED)
    assert set(rules.CONTEST_ACTIONS) == set(CONTEST_EXPECTED)


@pytest.mark.parametrize("state", rules.CAMPAIGN_STATES)
@pytest.mark.parametrize("action", sorted(CAMPAIGN_EXPECTED))
def test_campaign_action_allowed(action, state):
    allowed = state in CAMPAIGN_EXPECTED[action]
    assert rules.campaign_action_allowed(action, state) is allowed
    assert (rules.campaign_action_problem(action, state) is None) is allowed


@pytest.mark.parametrize("state", rules.CONTEST_STATES)
@pytest.mark.parametrize("action", sorted(CONTEST_EXPECTED))
def test_contest_action_allowed(action, state):
    allowed = state in CONTEST_EXPECTED[action]
    assert rules.contest_action_allowed(action, state) is allowed
    assert (rules.contest_action_problem(action, state) is None) is allowed


@pytest.fixture
def scene(db, settings):
    tree = factories.place_tree(db)
    people = {name: person(db, settings, role, tree[place], name=name)
              for name, role, place in (("admin", "admin", "root"), ("moderator", "moderator", "area_a"),
                                        ("moderator2", "moderator", "area_a"), ("resident", "resident", "area_a"),
                                        ("resident2", "resident", "area_a"), ("rep", "owners_rep", "estate_a"))}
    return {"tree": tree, "people": people, "actor": lambda name: people[name][1], "settings": settings}


# -- campaigns ----------------------------------------------------------------------------


def _campaign_in_state(db, scene, state):
    """A campaign of 恒丰 (staff ledger 50 + forum 50, one owners' committee, a forum with
    one representative's rating) in ``state`` at NOW."""
    admin = scene["actor"]("moderator")
    campaign = services.create_campaign(db, admin, place_id=scene["tree"]["area_a"].id, title="星级业委会",
                                        year="2026", notice_days="7")
    services.set_criteria(db, admin, campaign, [Row(None, CriterionDraft("台账检查", 50, "staff")),
                                                Row(None, CriterionDraft("代表评议", 50, "forum"))])
    ledger, forum_c = services.criteria_of(db, campaign)
    subject = services.add_subject(db, admin, campaign, kind="owners_committee",
                                   place_id=scene["tree"]["estate_a"].id)
    services.save_staff_scores(db, admin, campaign, ledger, {subject.id: ("90", "台账齐全")}, now=NOW)
    forum = services.create_forum(db, admin, campaign, subject_id=subject.id, held_at=NOW - timedelta(days=40),
                                  location="会议室")
    rep = scene["people"]["rep"][0]
    services.update_forum(db, admin, forum, held_at=forum.held_at, location="会议室", agenda="", minutes="纪要",
                          attendee_ids=[str(rep.id)])
    services.save_grid(db, admin, forum, {f"r{rep.id}_c{forum_c.id}": "4"})
    if PUBLISHED[state] is not None:
        services.publish(db, admin, campaign, PUBLISHED[state])
    return {"campaign": campaign, "ledger": ledger, "subject": subject, "forum": forum}


def _campaign_snapshot(db, c):
    db.flush()
    campaign = db.get(Campaign, c["campaign"].id)
    db.refresh(campaign)

    def rows(*columns, where):
        return tuple(map(tuple, db.exec(select(*columns).where(where).order_by(*columns)).all()))

    subjects = select(Subject.id).where(Subject.campaign_id == campaign.id)
    forums = select(Forum.id).where(Forum.campaign_id == campaign.id)
    return ((campaign.published_at, campaign.notice_ends_at, *campaign.thresholds),
            rows(Criterion.id, Criterion.weight, Criterion.source, where=Criterion.campaign_id == campaign.id),
            rows(Subject.id, Subject.name, Subject.result_total, Subject.result_stars,
                 where=Subject.campaign_id == campaign.id),
            rows(StaffScore.subject_id, StaffScore.score, StaffScore.evidence,
                 where=StaffScore.subject_id.in_(subjects)),
            rows(Forum.id, Forum.location, Forum.minutes, where=Forum.campaign_id == campaign.id),
            rows(ForumAttendee.forum_id, ForumAttendee.user_id, where=ForumAttendee.forum_id.in_(forums)),
            rows(ForumRating.user_id, ForumRating.criterion_id, ForumRating.score,
                 where=ForumRating.forum_id.in_(forums)),
            db.exec(select(func.count()).select_from(Contest).where(Contest.campaign_id == campaign.id)).one(),
            rows(Objection.id, Objection.text, Objection.answer, where=Objection.campaign_id == campaign.id))


def _campaign_attempt(db, scene, c, action):
    staff, campaign, forum = scene["actor"]("moderator"), c["campaign"], c["forum"]
    admin = scene["actor"]("moderator2")
    if action == "change_setup":
        return lambda: services.set_thresholds(db, admin, campaign, ["50", "60", "70", "80", "90"], now=NOW)
    if action == "enter_staff_scores":
        return lambda: services.save_staff_scores(db, admin, campaign, c["ledger"],
                                                  {c["subject"].id: ("40", "复查")}, now=NOW)
    if action == "manage_forum":  # dropping the attendee would drop their ratings
        return lambda: services.update_forum(db, staff, forum, held_at=forum.held_at, location="另一会议室",
                                             agenda="", minutes="改写的纪要", attendee_ids=[], now=NOW)
    if action == "enter_forum_ratings":
        return lambda: services.save_grid(db, staff, forum, {}, now=NOW)
    if action == "attach_contest":
        return lambda: services.create_contest(
            db, admin, place_id=scene["tree"]["area_a"].id, title="星级评选", description="",
            opens_at=NOW + timedelta(days=1), closes_at=NOW + timedelta(days=9), campaign_id=campaign.id, now=NOW)
    if action == "publish":
        return lambda: services.publish(db, admin, campaign, NOW)
    if action == "file_objection":
        return lambda: services.file_objection(db, scene["actor"]("resident"), campaign,
                                               subject_id=c["subject"].id, text="分数偏高", now=NOW)
    if action == "answer_objection":  # filed during the notice period (none exists in a draft)
        objection = Objection(campaign_id=campaign.id, subject_id=c["subject"].id,
                              user_id=scene["people"]["resident2"][0].id, text="请复核")
        db.add(objection)
        db.flush()
        return lambda: services.answer_objection(db, staff, objection.id, text="已复核", now=NOW)
    raise AssertionError(action)  # pragma: no cover


@pytest.mark.parametrize("state", rules.CAMPAIGN_STATES)
@pytest.mark.parametrize("action", sorted(CAMPAIGN_EXPECTED))
def test_campaign_action_in_state(db, scene, action, state):
    c = _campaign_in_state(db, scene, state)
    assert services.state_of(c["campaign"], NOW) == state
    expected = state in CAMPAIGN_EXPECTED[action]
    attempt = _campaign_attempt(db, scene, c, action)
    before = _campaign_snapshot(db, c)
    try:
        attempt()
    except Conflict as refusal:
        assert not expected, f"{action} must be allowed when {state}: {refusal}"
        assert refusal.code == rules.CAMPAIGN_CODES[state]
        assert _campaign_snapshot(db, c) == before, "a refusal changed something"
    else:
        assert expected, f"{action} must be refused when {state}"
        assert _campaign_snapshot(db, c) != before


def test_a_published_campaign_keeps_its_result(db, scene):
    c = _campaign_in_state(db, scene, "notice")
    published = [(r.subject.id, r.total, r.stars) for r in services.board(db, c["campaign"]).rows]
    for action in ("change_setup", "enter_staff_scores", "manage_forum", "enter_forum_ratings", "publish"):
        with pytest.raises(Conflict):
            _campaign_attempt(db, scene, c, action)()
    assert [(r.subject.id, r.total, r.stars) for r in services.board(db, c["campaign"]).rows] == published
    assert len(services.forum_ratings(db, c["forum"])) == 1


# -- contests -----------------------------------------------------------------------------


def _contest_in_state(db, scene, state, rated=True):
    opens, closes = PERIODS[state]
    admin = scene["actor"]("admin")
    contest = services.create_contest(db, admin, place_id=scene["tree"]["root"].id, title="星级楼组",
                                      description="", opens_at=opens, closes_at=closes, now=opens)
    entry = services.add_entry(db, admin, contest, title="恒丰1号楼组", now=opens - timedelta(hours=1))
    if state != "upcoming" and rated:
        services.rate_entry(db, scene["actor"]("resident"), contest, entry.id, "5", opens + timedelta(hours=1))
    return contest, entry


def _contest_snapshot(db, contest):
    db.flush()
    entries = select(ContestEntry.id).where(ContestEntry.contest_id == contest.id)
    return (tuple(map(tuple, db.exec(select(ContestEntry.id, ContestEntry.title).where(
                ContestEntry.contest_id == contest.id).order_by(ContestEntry.id)).all())),
            tuple(map(tuple, db.exec(select(ContestRating.entry_id, ContestRating.user_id, ContestRating.stars)
                                     .where(ContestRating.entry_id.in_(entries))
                                     .order_by(ContestRating.user_id)).all())))


@pytest.mark.parametrize("state", rules.CONTEST_STATES)
@pytest.mark.parametrize("action", sorted(CONTEST_EXPECTED))
def test_contest_action_in_state(db, scene, action, state):
    # Entries join only before the first star (see the test after this one).
    contest, entry = _contest_in_state(db, scene, state, rated=action != "add_entry")
    expected = state in CONTEST_EXPECTED[action]
    attempt = {
        "add_entry": lambda: services.add_entry(db, scene["actor"]("admin"), contest, title="郑家巷1号楼组",
                                                now=NOW),
        "rate_entry": lambda: services.rate_entry(db, scene["actor"]("resident2"), contest, entry.id, "3", NOW),
    }[action]
    before = _contest_snapshot(db, contest)
    try:
        attempt()
    except Conflict as refusal:
        assert not expected, f"{action} must be allowed when {state}: {refusal}"
        assert refusal.code == rules.CONTEST_CODES[state]
        assert _contest_snapshot(db, contest) == before, "a refusal changed something"
    else:
        assert expected, f"{action} must be refused when {state}"
        assert _contest_snapshot(db, contest) != before


def test_no_entry_joins_once_stars_are_given(db, scene):
    contest, _ = _contest_in_state(db, scene, "open")
    before = _contest_snapshot(db, contest)
    with pytest.raises(Conflict) as refused:
        services.add_entry(db, scene["actor"]("admin"), contest, title="迟到的楼组", now=NOW)
    assert refused.value.code == "contest_has_ratings" and _contest_snapshot(db, contest) == before


def test_a_contest_counts_only_for_a_campaign_its_maker_manages(db, scene):
    """A moderator of 郑家巷 cannot attach a contest to 恒丰's campaign."""
    c = _campaign_in_state(db, scene, "draft")
    from consult.errors import FieldErrors

    outsider = person(db, scene["settings"], "moderator", scene["tree"]["area_b"])[1]
    with pytest.raises(FieldErrors) as refused:
        services.create_contest(db, outsider, place_id=scene["tree"]["area_b"].id,
                                title="恒丰评选", description="", opens_at=NOW, closes_at=NOW + timedelta(days=3),
                                campaign_id=c["campaign"].id, now=NOW)
    assert "campaign_id" in refused.value.errors


# -- nobody answers their own objection -----------------------------------------------------


def _own_objection(db, scene):
    """The 恒丰 moderator, also a resident there, objects to a published result."""
    c = _campaign_in_state(db, scene, "notice")
    moderator = scene["people"]["moderator"][0]
    places.grant_role(db, user=moderator, role="resident", place=scene["tree"]["area_a"])
    own = places.actor_for(db, moderator)
    objection = services.file_objection(db, own, c["campaign"], subject_id=c["subject"].id, text="请复核",
                                        now=NOW)
    return c, own, objection


def test_nobody_answers_their_own_objection(db, scene):
    c, own, objection = _own_objection(db, scene)
    with pytest.raises(Forbidden) as refused:
        services.answer_objection(db, own, objection.id, text="已复核", now=NOW)
    assert refused.value.code == "own_request"
    db.refresh(objection)
    assert objection.answer is None and objection.answered_by is None
    services.answer_objection(db, scene["actor"]("moderator2"), objection.id, text="已复核", now=NOW)
    assert objection.answered_by == scene["people"]["moderator2"][0].id


def test_the_page_asks_a_colleague_to_answer(client, db, scene):
    c, own, objection = _own_objection(db, scene)
    factories.sign_in(client, scene["people"]["moderator"][0].login)
    page = f"/ratings/campaigns/{c['campaign'].id}"
    shown = client.get(page)
    answer_url = f"/staff/objections/{objection.id}/answer"
    assert shown.status_code == 200 and answer_url not in shown.text and "同事" in shown.text
    refused = post_form(client, page, answer_url, {"answer": "已复核"})
    assert refused.status_code == 403 and "同事" in refused.text
    db.refresh(objection)
    assert objection.answer is None
    factories.sign_in(client, scene["people"]["moderator2"][0].login)
    assert answer_url in client.get(page).text
    assert post_form(client, page, answer_url, {"answer": "已复核"}).status_code == 303


def test_staff_pages_of_a_published_campaign_offer_no_forms(client, db, scene):
    c = _campaign_in_state(db, scene, "notice")
    contest, _ = _contest_in_state(db, scene, "open")  # a star is given
    factories.sign_in(client, scene["people"]["admin"][0].login)
    forum = c["forum"].id
    for page, action in ((f"/staff/forums/{forum}", f'action="/staff/forums/{forum}"'),
                         (f"/staff/forums/{forum}/grid", f'action="/staff/forums/{forum}/grid"'),
                         (f"/staff/ratings/{c['campaign'].id}/scores/{c['ledger'].id}", 'method="post" action="/staff/ratings'),
                         (f"/staff/contests/{contest.id}", f"/staff/contests/{contest.id}/entries")):
        shown = client.get(page)
        assert shown.status_code == 200 and action not in shown.text, page
        assert "不能再" in shown.text, page
    refused = post_form(client, f"/staff/forums/{forum}", f"/staff/forums/{forum}",
                        {"held_at": "2026-10-01T10:00", "location": "别处", "agenda": "", "minutes": ""})
    assert refused.status_code == 409 and "不能再" in refused.text
    assert len(services.forum_ratings(db, c["forum"])) == 1
