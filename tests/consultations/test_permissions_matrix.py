"""Every role against every consultations action, in and out of their place, and round state.

The first half asks ``permissions.allowed`` directly (pure); the second half drives the
services with real people and rounds, so a service that checked the wrong place or
forgot a check fails here too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult import permissions
from consult.consultations import services
from consult.errors import Conflict, Forbidden, NotSignedIn
from consult.permissions import Actor
from tests.consultations.conftest import new_idea

ACTIONS = ("manage_consultation", "submit_idea", "support_idea", "comment", "report_comment",
           "review_idea", "advise_idea", "hide_comment", "export_ideas")

# A pure place tree: sub-district 1 → area A 2 → estate 3 → building group 4;
# area B 5 → estate 6 → building group 7.
IN_A = (1, 2, 3, 4)
IN_B = (1, 5, 6, 7)
ROLES = {
    "anonymous": Actor(),
    "unverified": Actor(user_id=10),
    "resident_a": Actor(user_id=11, roles=frozenset({("resident", 2)})),
    "resident_b": Actor(user_id=12, roles=frozenset({("resident", 5)})),
    "moderator_a": Actor(user_id=13, roles=frozenset({("moderator", 2)})),
    "moderator_b": Actor(user_id=14, roles=frozenset({("moderator", 5)})),
    "expert_a": Actor(user_id=15, roles=frozenset({("expert", 2)})),
    "admin": Actor(user_id=16, roles=frozenset({("admin", 1)})),
}
STAFF = {"manage_consultation", "comment", "report_comment", "review_idea", "advise_idea",
         "hide_comment", "export_ideas"}
RESIDENT = {"submit_idea", "support_idea", "comment", "report_comment"}
#: what each role may do on a thing in area A
EXPECTED_IN_A = {
    "anonymous": set(),
    "unverified": {"report_comment"},
    "resident_a": RESIDENT,
    "resident_b": {"report_comment"},
    "moderator_a": STAFF,
    "moderator_b": {"report_comment"},
    "expert_a": {"comment", "report_comment", "advise_idea"},
    "admin": STAFF,
}
MIRROR = {"resident_a": "resident_b", "resident_b": "resident_a", "moderator_a": "moderator_b",
          "moderator_b": "moderator_a"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_matrix_in_area_a(role, action):
    assert permissions.allowed(action, ROLES[role], IN_A) == (action in EXPECTED_IN_A[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_matrix_in_area_b(role, action):
    """Out of their place, area staff and residents are nobody special; the admin still is."""
    if role == "expert_a":
        expected = {"report_comment"}
    else:
        expected = EXPECTED_IN_A[MIRROR.get(role, role)]
    assert permissions.allowed(action, ROLES[role], IN_B) == (action in expected)


def test_sub_district_scope_is_for_the_admin_only():
    root = (1,)
    assert [r for r in ROLES if permissions.allowed("manage_consultation", ROLES[r], root)] == ["admin"]
    assert [r for r in ROLES if permissions.allowed("export_ideas", ROLES[r], root)] == ["admin"]


# -- the same, through the services -------------------------------------------------------

PEOPLE = ("unverified", "resident_a", "resident_b", "moderator_a", "moderator_b", "expert_a",
          "admin")


def _outcome(call):
    try:
        call()
    except (Forbidden, NotSignedIn):
        return "forbidden"
    except Conflict:
        return "conflict"
    return "ok"


@pytest.mark.parametrize("key", PEOPLE)
def test_services_enforce_the_matrix(db, world, key):
    idea = new_idea(db, world, author="resident_a2")
    actor = world.actor(key)
    now = world.now
    expected = EXPECTED_IN_A[key]

    def submit():
        new_idea(db, world, author=key, title=f"{key} 的想法")

    def support():
        services.support_idea(db, actor, idea, now)

    def comment():
        services.add_comment(db, actor, idea, body="意见", now=now)

    def review():
        services.review_idea(db, actor, idea, "shortlist", now=now)

    def manage():
        services.update_round(db, actor, world.vote, opens_at=world.vote.opens_at,
                              closes_at=world.vote.closes_at, title="第二次表决", now=now)

    def hide():
        target = services.add_comment(db, world.actor("resident_a2"), idea, body="x", now=now)
        services.hide_comment(db, actor, target.id, reason="离题", now=now)

    def report():
        target = services.add_comment(db, world.actor("resident_a2"), idea, body="y", now=now)
        services.report_comment(db, actor, target.id, reason="", now=now)

    for action, call in (("submit_idea", submit), ("support_idea", support), ("comment", comment),
                         ("review_idea", review), ("manage_consultation", manage),
                         ("hide_comment", hide), ("report_comment", report)):
        with db.begin_nested() as savepoint:
            got = _outcome(call)
            savepoint.rollback()
        assert got == ("ok" if action in expected else "forbidden"), (key, action, got)


def test_anonymous_is_refused_by_every_service(db, world):
    idea = new_idea(db, world)
    anonymous = permissions.ANONYMOUS
    for call in (
        lambda: services.support_idea(db, anonymous, idea, world.now),
        lambda: services.add_comment(db, anonymous, idea, body="x", now=world.now),
        lambda: services.review_idea(db, anonymous, idea, "shortlist", now=world.now),
        lambda: services.close_round(db, anonymous, world.collect, reason="r", now=world.now),
        lambda: services.unsupport_idea(db, anonymous, idea, world.now),
    ):
        assert _outcome(call) == "forbidden"


def test_round_state_decides_what_is_possible(db, world):
    idea = new_idea(db, world)
    before = world.collect.opens_at - timedelta(hours=1)
    after = world.collect.closes_at + timedelta(hours=1)
    resident, moderator = world.actor("resident_a2"), world.actor("moderator_a")
    # submit only while a collect round is open
    assert _outcome(lambda: new_idea(db, world, title="早", now=before)) == "conflict"
    assert _outcome(lambda: new_idea(db, world, title="晚", now=after)) == "conflict"
    # support and review only while the idea's round is open
    assert _outcome(lambda: services.support_idea(db, resident, idea, after)) == "conflict"
    assert _outcome(lambda: services.review_idea(db, moderator, idea, "shortlist", now=after)) == "conflict"
    # a closed round cannot be closed again; a round that has not opened cannot be carried
    assert _outcome(lambda: services.close_round(db, moderator, world.collect, reason="r", now=after)) == "conflict"
    assert _outcome(lambda: services.carry_forward(db, moderator, world.review, world.now)) == "conflict"
    # an open round cannot be edited, an upcoming one can
    assert _outcome(lambda: services.update_round(
        db, moderator, world.collect, opens_at=world.collect.opens_at,
        closes_at=world.collect.closes_at, title="x", now=world.now)) == "conflict"


def test_no_review_during_a_vote(db, world):
    idea = new_idea(db, world)
    moderator = world.actor("moderator_a")
    services.review_idea(db, moderator, idea, "shortlist", now=world.now)
    services.close_round(db, moderator, world.collect, reason="征集结束", now=world.now)
    services.close_round(db, moderator, world.review, reason="评审结束",
                         now=world.now + timedelta(minutes=1))
    in_vote = world.now + timedelta(minutes=2)
    assert idea.current_round_id == world.vote.id
    assert _outcome(lambda: services.review_idea(db, moderator, idea, "reject", note="x",
                                                 now=in_vote)) == "conflict"
    assert _outcome(lambda: services.withdraw_idea(db, world.actor("resident_a"), idea,
                                                   in_vote)) == "conflict"
