"""Every role, inside and outside the round's area, against every voting action, in every
round state (upcoming, open, closed), through the services that pages and the API share.

The round belongs to area a (恒丰); "_in" roles are held there, "_out" roles in area b.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult import clock
from consult.errors import AccessError, UserError
from consult.permissions import ANONYMOUS
from consult.voting import services
from consult.voting.rules import RawBallot

WHO = {
    "anonymous": None, "signed_in": "unverified", "resident_in": "voter", "resident_out": "outsider",
    "owner_in": "owner", "expert_in": "expert", "moderator_in": "moderator",
    "moderator_out": "moderator_b", "admin": "admin",
}
STAFF_IN = {"moderator_in", "admin"}
STATES = ("upcoming", "open", "closed")

#: action → (who may, in which states)
EXPECTED = {
    "vote": ({"resident_in"}, {"open"}),
    "enter_paper_ballot": (STAFF_IN, {"open", "closed"}),
    "publish_results": (STAFF_IN, {"closed"}),
    "view_turnout": (STAFF_IN, set(STATES)),
    "file_objection": ({"resident_in"}, {"closed"}),
    "answer_objection": (STAFF_IN, {"closed"}),
}


def _set_state(db, world, state):
    now = clock.utcnow()
    item = world.round
    if state == "upcoming":
        item.opens_at, item.closes_at = now + timedelta(days=1), now + timedelta(days=2)
    elif state == "closed":
        item.opens_at, item.closes_at = now - timedelta(days=2), now - timedelta(minutes=1)
    db.add(item)
    db.flush()


def _published_with_objection(db, world):
    """For objection actions: a closed, published round with one objection by a resident."""
    services.publish(db, world.actor("moderator"), world.load(), clock.utcnow())
    return services.file_objection(db, world.actor("voter2"), world.people["voter2"], world.load(),
                                   "请核实", clock.utcnow())


def _attempt(db, world, action, who, state):
    key = WHO[who]
    actor = world.actor(key) if key else ANONYMOUS
    user = world.people[key] if key else None
    now = clock.utcnow()
    vr = world.load()
    if action == "vote":
        services.cast(db, actor, user, vr, RawBallot(choices=[str(world.ideas[0].id)]), now)
    elif action == "enter_paper_ballot":
        voter = services.paper_voter_of(db, actor, vr, phone=world.people["voter3"].login) \
            if key in ("moderator", "admin") else services.Voter("user:0", None, None, None)
        services.enter_paper(db, actor, vr, serial="S-1", voter=voter,
                             raw=RawBallot(choices=[str(world.ideas[0].id)]), now=now)
    elif action == "publish_results":
        services.publish(db, actor, vr, now)
    elif action == "view_turnout":
        services.turnout(db, actor, vr)
    elif action == "file_objection":
        if state == "closed":
            services.publish(db, world.actor("moderator"), vr, now)
        services.file_objection(db, actor, user, world.load(), "结果有疑问", now)
    elif action == "answer_objection":
        if state != "closed":
            raise UserError()  # nothing to answer before results exist
        objection = _published_with_objection(db, world)
        services.answer_objection(db, actor, objection.id, "已核实", now)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("who", sorted(WHO))
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_role_state_action(db, world, action, who, state):
    _set_state(db, world, state)
    people, states = EXPECTED[action]
    expected = who in people and state in states
    try:
        _attempt(db, world, action, who, state)
    except (UserError, AccessError) as refusal:  # any refusal, of either family
        assert not expected, f"{who} should be able to {action} when {state}: {refusal}"
    else:
        assert expected, f"{who} must not be able to {action} when {state}"
