"""Every role against every action of surveys, star ratings, forums and contests, through the
services (so the state of the thing counts too: a closed survey or contest refuses everyone).

The world: sub-district → 恒丰 (area_a) → 恒丰小区 (estate_a); 郑家巷 (area_b) likewise. The
surveys, the forum and the objection are about 恒丰小区; the campaign and the contest are
sub-district wide. "in" roles are held in 恒丰 (or at 恒丰小区), "out" roles in 郑家巷.
"""

from datetime import timedelta

import pytest

from consult.errors import Conflict, Forbidden, NotSignedIn
from consult.permissions import ANONYMOUS
from consult.ratings import services as ratings
from consult.ratings.rules import CriterionDraft
from consult.surveys import services as surveys
from consult.surveys.rules import QuestionDraft
from tests import factories
from tests.surveys.builders import CLOSES, NOW, OPENS, good_answers, home, person, survey

ROLES = ["anonymous", "unverified", "resident_in", "resident_out", "owner", "owners_rep",
         "moderator_in", "moderator_out", "expert", "admin"]
STAFF_IN = {"moderator_in", "admin"}


@pytest.fixture
def world(db, settings):
    tree = factories.place_tree(db)
    actors = {"anonymous": ANONYMOUS, "unverified": person(db, settings)[1]}
    for role, name, place in (("resident", "resident_in", "area_a"), ("resident", "resident_out", "area_b"),
                              ("owner", "owner", "estate_a"), ("owners_rep", "owners_rep", "estate_a"),
                              ("moderator", "moderator_in", "area_a"), ("moderator", "moderator_out", "area_b"),
                              ("expert", "expert", "area_a"), ("admin", "admin", "root")):
        user, actor = person(db, settings, role, tree[place], name=name)
        actors[name] = actor
        if name == "owner":
            home(db, tree["estate_a"], tree["group_a"], "1-101", user)
    admin = actors["admin"]
    w = {"tree": tree, "actors": actors}
    w["residents"] = survey(db, admin, tree["estate_a"])
    w["owners"] = survey(db, admin, tree["estate_a"], audience="owners")
    w["reps"] = survey(db, admin, tree["estate_a"], audience="owners_reps")
    w["closed"] = survey(db, admin, tree["estate_a"], opens=OPENS - timedelta(days=30),
                         closes=OPENS - timedelta(days=1))
    campaign = ratings.create_campaign(db, admin, place_id=tree["root"].id, title="星级业委会", year="2026")
    ratings.set_criteria(db, admin, campaign, [ratings.CriterionRow(None, CriterionDraft("评议", 100, "forum"))])
    subject = ratings.add_subject(db, admin, campaign, kind="owners_committee", place_id=tree["estate_a"].id)
    w["forum"] = ratings.create_forum(db, admin, campaign, subject_id=subject.id, held_at=NOW, location="会议室")
    published = ratings.create_campaign(db, admin, place_id=tree["root"].id, title="已公布", year="2025")
    ratings.set_criteria(db, admin, published, [ratings.CriterionRow(None, CriterionDraft("台账", 100, "staff"))])
    w["published_subject"] = ratings.add_subject(db, admin, published, kind="owners_committee",
                                                 place_id=tree["estate_a"].id)
    ratings.publish(db, admin, published, NOW, confirm_missing=True)  # no staff score was given
    w["objection"] = ratings.file_objection(db, actors["resident_in"], published,
                                            subject_id=w["published_subject"].id, text="请复核", now=NOW)
    w["campaign"], w["published"] = campaign, published
    w["contest"] = ratings.create_contest(db, admin, place_id=tree["root"].id, title="星级楼组",
                                          description="", opens_at=OPENS, closes_at=CLOSES)
    w["entry"] = ratings.add_entry(db, admin, w["contest"], title="恒丰1号楼组", place_id=tree["group_a"].id)
    return w


def _answer(key):
    def attempt(db, w, actor):
        form = w[key]
        surveys.submit(db, actor, form, good_answers(form), now=NOW)
    return attempt


def _results(now):
    def attempt(db, w, actor):
        surveys.check_results_visible(actor, w["residents"], now)
    return attempt


def _rate(now):
    def attempt(db, w, actor):
        ratings.rate_entry(db, actor, w["contest"], w["entry"].id, "4", now)
    return attempt


ACTIONS = {
    "answer residents' survey": (_answer("residents"), {"resident_in"}),
    "answer owners' survey": (_answer("owners"), {"owner"}),
    "answer representatives' survey": (_answer("reps"), {"owners_rep"}),
    "answer a closed survey": (_answer("closed"), set()),
    "enter a paper form": (lambda db, w, actor: surveys.enter_paper(
        db, actor, w["residents"], good_answers(w["residents"]), serial="P1", now=NOW), STAFF_IN),
    "edit a survey": (lambda db, w, actor: surveys.add_question(
        db, actor, w["residents"].survey, QuestionDraft(kind="stars", text="?")), STAFF_IN),
    "see results while open": (_results(NOW), STAFF_IN),
    "see results after closing": (_results(CLOSES), set(ROLES)),
    "manage a sub-district campaign": (lambda db, w, actor: ratings.set_thresholds(
        db, actor, w["campaign"], ["50", "60", "70", "80", "90"]), {"admin"}),
    "enter forum ratings": (lambda db, w, actor: ratings.save_grid(db, actor, w["forum"], {}), STAFF_IN),
    "read a forum": (lambda db, w, actor: ratings.readable_forum(db, actor, w["forum"].id),
                     {"owners_rep"} | STAFF_IN),
    "rate a contest entry": (_rate(NOW), {"resident_in", "resident_out"}),
    "rate after the contest closed": (_rate(CLOSES), set()),
    # resident_in has objected already (one objection per person and subject), so nobody
    # here may; a second resident of 恒丰 may (see the test below).
    "file an objection": (lambda db, w, actor: ratings.file_objection(
        db, actor, w["published"], subject_id=w["published_subject"].id, text="有异议",
        now=NOW + timedelta(hours=1)), set()),
    "answer an objection": (lambda db, w, actor: ratings.answer_objection(
        db, actor, w["objection"].id, text="已复核", now=NOW), {"admin"}),
}


def _outcome(db, w, attempt, actor) -> bool:
    """True when the action went through; every attempt is rolled back afterwards."""
    savepoint = db.begin_nested()
    try:
        attempt(db, w, actor)
        return True
    except (Forbidden, NotSignedIn, Conflict):
        return False
    finally:
        savepoint.rollback()


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_role_against_the_action(db, world, action):
    attempt, expected = ACTIONS[action]
    got = {role for role in ROLES if _outcome(db, world, attempt, world["actors"][role])}
    assert got == expected, f"{action}: allowed {sorted(got)}, expected {sorted(expected)}"


def test_a_second_resident_of_the_place_may_object(db, settings, world):
    """The objection row above is resident_in's own; another resident of 恒丰 may still object."""
    _, neighbour = person(db, settings, "resident", world["tree"]["area_a"])
    assert _outcome(db, world, ACTIONS["file an objection"][0], neighbour)
    _, outsider = person(db, settings, "resident", world["tree"]["area_b"])
    assert not _outcome(db, world, ACTIONS["file an objection"][0], outsider)
