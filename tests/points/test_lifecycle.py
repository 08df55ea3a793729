"""The lifecycles of an activity and of a redemption day: every action in every state,
as a pure predicate and through the services (a refusal changes nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult.errors import Conflict
from consult.points import rules
from consult.points.models import Attendance, Order, Signup
from consult.points.services import activities, attendance, redemption
from tests.points.builders import NOW, activity, award, day, world

#: action → the states that allow it (written out here, independently of ``rules``)
ACTIVITY_EXPECTED = {
    "sign_up": {"upcoming"},
    "cancel_signup": {"upcoming"},
    "check_in": {"under_way"},
    "record_attendance": {"under_way", "ended"},
    "approve_attendance": {"under_way", "ended"},
    "edit_activity": {"upcoming"},
    "cancel_activity": {"upcoming", "under_way"},
}
DAY_EXPECTED = {
    "preorder": {"preorder", "open"},
    "cancel_order": {"preorder"},
    "collect": {"open"},
    "release": {"over"},
}


@pytest.mark.parametrize("state", rules.ACTIVITY_STATES)
@pytest.mark.parametrize("action", sorted(ACTIVITY_EXPECTED))
def test_activity_action_allowed(action, state):
    allowed = state in ACTIVITY_EXPECTED[action]
    assert rules.activity_action_allowed(action, state) is allowed
    assert (rules.activity_action_problem(action, state) is None) is allowed


@pytest.mark.parametrize("state", rules.DAY_STATES)
@pytest.mark.parametrize("action", sorted(DAY_EXPECTED))
def test_day_action_allowed(action, state):
    allowed = state in DAY_EXPECTED[action]
    assert rules.day_action_allowed(action, state) is allowed
    assert (rules.day_action_problem(action, state) is None) is allowed


def test_states_from_times():
    starts, ends = NOW, NOW + timedelta(hours=2)
    assert rules.activity_state(starts, ends, None, NOW - timedelta(seconds=1)) == "upcoming"
    assert rules.activity_state(starts, ends, None, NOW) == "under_way"
    assert rules.activity_state(starts, ends, None, ends) == "ended"
    assert rules.activity_state(starts, ends, NOW, NOW - timedelta(days=1)) == "cancelled"
    assert rules.day_state(starts, ends, None, ends) == "over"
    assert rules.day_state(starts, ends, ends, ends) == "released"


#: when, relative to an activity starting at NOW + 1 day for 2 hours, each state holds
ACTIVITY_TIMES = {"upcoming": timedelta(0), "under_way": timedelta(days=1, hours=1),
                  "ended": timedelta(days=2), "cancelled": timedelta(0)}


@pytest.mark.parametrize("state", rules.ACTIVITY_STATES)
def test_sign_up_and_check_in_through_the_services(db, settings, state):
    w = world(db, settings)
    a = activity(db, w)
    (_, actor, member), (_, other, _), _ = w.residents
    activities.sign_up(db, other, w.at, a, now=NOW)
    when = NOW + ACTIVITY_TIMES[state]
    if state == "cancelled":
        activities.cancel_activity(db, w.staff[1], w.at, a, now=NOW)
    signups = db.exec(select(func.count()).select_from(Signup)).one()
    if state in ACTIVITY_EXPECTED["sign_up"]:
        assert activities.sign_up(db, actor, w.at, a, now=when).status == "confirmed"
    else:
        with pytest.raises(Conflict):
            activities.sign_up(db, actor, w.at, a, now=when)
        assert db.exec(select(func.count()).select_from(Signup)).one() == signups
    if state in ACTIVITY_EXPECTED["check_in"]:
        assert attendance.check_in(db, other, w.at, a, code=a.checkin_code, now=when).status == "pending"
    else:
        with pytest.raises(Conflict):
            attendance.check_in(db, other, w.at, a, code=a.checkin_code, now=when)
    if state in ACTIVITY_EXPECTED["record_attendance"]:
        attendance.record(db, w.staff[1], w.at, a, now=when, card_code=member.card_code)
    else:
        with pytest.raises(Conflict):
            attendance.record(db, w.staff[1], w.at, a, now=when, card_code=member.card_code)
    expected = (state in ACTIVITY_EXPECTED["check_in"]) + (state in ACTIVITY_EXPECTED["record_attendance"])
    assert db.exec(select(func.count()).select_from(Attendance)).one() == expected


DAY_TIMES = {"preorder": timedelta(0), "open": timedelta(days=2, hours=1), "over": timedelta(days=3),
             "released": timedelta(days=3)}


@pytest.mark.parametrize("state", rules.DAY_STATES)
def test_orders_through_the_services(db, settings, state):
    w = world(db, settings)
    (_, actor, member), (_, other, other_member), _ = w.residents
    award(db, settings, w, member, title="一")
    award(db, settings, w, other_member, title="二")
    prize = redemption.add_prize(db, w.staff[1], w.at, name="肥皂", price="2", stock="5", now=NOW)
    d = day(db, w)
    early = redemption.preorder(db, other, w.at, d, prize_id=prize.id, now=NOW)
    when = NOW + DAY_TIMES[state]
    if state == "released":
        redemption.release(db, w.staff[1], w.at, d, now=when)
    orders = db.exec(select(func.count()).select_from(Order)).one()
    for action, call in (("preorder", lambda: redemption.preorder(db, actor, w.at, d, prize_id=prize.id, now=when)),
                         ("collect", lambda: redemption.collect(db, w.staff[1], w.at, d, early.id, via="self", now=when)),
                         ("cancel_order", lambda: redemption.cancel_order(db, other, w.at, d, early.id, now=when)),
                         ("release", lambda: redemption.release(db, w.staff[1], w.at, d, now=when))):
        if state in DAY_EXPECTED[action] and db.get(Order, early.id).status == "reserved":
            call()
        elif state not in DAY_EXPECTED[action]:
            with pytest.raises(Conflict):
                call()
    if state not in DAY_EXPECTED["preorder"]:
        assert db.exec(select(func.count()).select_from(Order)).one() == orders
