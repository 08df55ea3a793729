"""Every role against every delivery action, through the services (the project is at
恒丰小区 in a state that allows the action, so only who acts decides). "in" roles are held
in 恒丰, "out" roles in 郑家巷. Staff of another area get a message naming the place."""

from __future__ import annotations

import pytest

from consult.delivery.models import Pledge
from consult.delivery.services import money, register, works
from consult.errors import Forbidden, NotSignedIn
from tests.delivery.builders import NOW, ROLES, all_pass, jpeg, project

ACTORS = ["anonymous", "unverified", *ROLES]
STAFF_IN = {"moderator_in", "moderator_in2", "admin"}
RESIDENTS_IN = {"resident_in", "resident_in2"}
EXPECTED = {
    "manage": STAFF_IN,
    "pledge_own": RESIDENTS_IN,
    "pledge_on_behalf": STAFF_IN,
    "receive": STAFF_IN,
    "sign": STAFF_IN | RESIDENTS_IN | {"owners_rep_in"},
    "rate": RESIDENTS_IN,
    "paper_rating": STAFF_IN,
    "check": STAFF_IN,
}
STATE = {"manage": "planned", "pledge_own": "planned", "pledge_on_behalf": "planned", "receive": "in_progress",
         "sign": "in_progress", "rate": "in_use", "paper_rating": "in_use", "check": "in_use"}


def _act(db, w, settings, who, action, p):
    actor, user = w.actor(who), w.user(who)
    if action == "manage":
        return money.add_line(db, actor, p.id, name="施工", required=True, now=NOW)
    if action in ("pledge_own", "pledge_on_behalf"):
        return money.pledge(db, actor, user, p.id, pledger_kind="unit", pledger_name="某单位", kind="goods",
                            unit="件", quantity="3", show_name=False, now=NOW, on_behalf=action == "pledge_on_behalf")
    if action == "receive":
        item = Pledge(project_id=p.id, pledger_kind="unit", pledger_name="某单位", kind="goods", unit="件",
                      quantity=3, created_at=NOW)
        db.add(item)
        db.flush()
        return money.receive_pledge(db, actor, item.id, quantity="1", receipt="paper", receipt_key="k" * 64,
                                    note="", now=NOW)
    if action == "sign":
        return works.sign_acceptance(db, actor, p.id, note="", record=jpeg(), media_dir=settings.media_dir, now=NOW)
    if action == "rate":
        return works.rate(db, actor, p.id, stars="5", comment="", channel="app", now=NOW)
    if action == "paper_rating":
        return works.enter_paper_rating(db, actor, p.id, card="A-1", stars="5", comment="", now=NOW)
    if action == "check":
        return register.record_check(db, actor, p.id, checked_on=NOW.date(), items=all_pass(p),
                                     media_dir=settings.media_dir, now=NOW)
    raise KeyError(action)


def test_every_service_action_has_expectations():
    assert set(EXPECTED) == set(STATE)


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_role_against_action(db, w, settings, who, action):
    p = project(db, w, state=STATE[action])
    if who in EXPECTED[action]:
        assert _act(db, w, settings, who, action, p) is not None
    else:
        with pytest.raises((Forbidden, NotSignedIn)) as refused, db.begin_nested():
            _act(db, w, settings, who, action, p)
        if who == "moderator_out":
            assert refused.value.msg.params == {"place": "恒丰小区"}


def test_a_staff_member_who_pledged_for_their_household_does_not_record_its_receipt(db, w):
    from consult.communities import services as places

    both = w.user("moderator_in")
    places.grant_role(db, user=both, role="resident", place=w.tree["area_a"])
    actor = places.actor_for(db, both)
    p = project(db, w, state="in_progress")
    own = money.pledge(db, actor, both, p.id, pledger_kind="household", pledger_name="", kind="money", unit="",
                       quantity="100", show_name=False, now=NOW)
    with pytest.raises(Forbidden) as refused, db.begin_nested():
        money.receive_pledge(db, actor, own.id, quantity="100", receipt="account", receipt_key=None, note="", now=NOW)
    assert refused.value.code == "own_request"
    done = money.receive_pledge(db, w.actor("moderator_in2"), own.id, quantity="100", receipt="account",
                                receipt_key=None, note="", now=NOW)
    assert done.received == 10000


def test_the_proposer_of_the_idea_does_not_sign_its_acceptance(db, w, settings):
    p = project(db, w, state="in_progress")
    p.proposer_id = w.user("resident_in").id
    db.add(p)
    with pytest.raises(Forbidden) as refused, db.begin_nested():
        works.sign_acceptance(db, w.actor("resident_in"), p.id, note="", record=None,
                              media_dir=settings.media_dir, now=NOW)
    assert refused.value.code == "own_request"
