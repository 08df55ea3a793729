"""Assisted voting (issue 17 item 4): a family member casts a resident's vote-round
ballot only when the round allows it; the ballot is flagged, counted as 代办 in turnout,
and nothing in the database ties the flag to the person."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from consult.accounts import acting
from consult.accounts.models import ActingLog
from consult.errors import Conflict, FieldErrors, Forbidden
from consult.voting import secrecy, services
from consult.voting.models import Ballot, VoteSettings
from consult.voting.rules import RawBallot
from tests.voting.conftest import close_round, ids, set_settings


def _family(world, who="voter"):
    return replace(world.actor(who), helper="family", helper_id=world.people["voter2"].id)


def _cast(db, world, actor, who="voter", n=0):
    return services.cast(db, actor, world.people[who], world.load(), RawBallot(choices=ids(world.ideas, n)),
                         world.now)


def test_off_by_default_a_family_member_cannot_vote(db, world):
    assert db.get(VoteSettings, world.round.id).assisted_voting is False
    with pytest.raises(Forbidden) as refused:
        _cast(db, world, _family(world))
    assert refused.value.code == "no_assisted_voting"
    assert db.exec(select(Ballot)).all() == []


def test_when_allowed_the_ballot_is_flagged_and_counted_as_assisted(db, world):
    set_settings(db, world.round.id, assisted_voting=True)
    done = _cast(db, world, _family(world))
    ballot = db.get(Ballot, done.ballot_id)
    assert ballot.assisted and ballot.voter_key == secrecy.user_key(world.round.id, world.people["voter"].id)
    _cast(db, world, world.actor("voter2"), who="voter2")  # a resident on their own: not flagged
    seen = services.turnout(db, world.actor("moderator"), world.load())
    assert (seen.total, seen.assisted) == (2, 1)
    # the person changes it themselves: it is theirs again
    _cast(db, world, world.actor("voter"), n=1)
    db.refresh(ballot)
    assert not ballot.assisted
    assert services.turnout(db, world.actor("moderator"), world.load()).assisted == 0


def test_an_assisted_ballot_is_not_logged_on_the_persons_record(db, world):
    """The help log names the person; a row "family voted in round R" beside a flagged
    ballot would tell whose ballot it is. Other forms a family member sends are logged."""
    person, proxy = world.people["voter"], world.people["voter2"]
    row = acting.ActingSession(digest="x" * 64, helper_id=proxy.id, person_id=person.id, kind="family",
                               started_at=world.now, expires_at=world.now)
    db.add(row)
    db.flush()
    for name in ("ballot_review", "ballot_cast", "support_idea"):
        acting.log_action(db, row, action=name, path=f"/rounds/{world.round.id}/vote", now=world.now)
    db.flush()
    assert db.exec(select(ActingLog.action)).all() == ["support_idea"]
    desk = acting.ActingSession(digest="y" * 64, helper_id=proxy.id, person_id=person.id, kind="desk",
                                started_at=world.now, expires_at=world.now)
    db.add(desk)
    db.flush()
    acting.log_action(db, desk, action="ballot_cast", path="/rounds/1/vote/confirm", now=world.now)
    db.flush()
    assert sorted(db.exec(select(ActingLog.action)).all()) == ["ballot_cast", "support_idea"]


def test_never_in_an_owners_vote(db, world):
    with pytest.raises(FieldErrors) as refused:
        services.save_settings(db, world.actor("admin"), world.load(), {
            "ballot_kind": "approval_budget", "rule": "greedy", "eligibility": "owners",
            "assisted_voting": "1", "notice_days": "7"}, world.now)
    assert "assisted_voting" in refused.value.errors
    set_settings(db, world.round.id, eligibility="owners", assisted_voting=True)  # forced, still no
    with pytest.raises(Forbidden) as caught:
        _cast(db, world, _family(world, "owner"), who="owner")
    assert caught.value.code == "no_assisted_voting"


def test_frozen_once_voting_opens(db, world):
    """Like the other counting terms: switched only before voting opens."""
    vr = world.load()
    assert vr.state == "open"
    with pytest.raises(FieldErrors) as refused:
        services.save_settings(db, world.actor("admin"), vr, {
            "ballot_kind": "approval_budget", "rule": "greedy", "assisted_voting": "1",
            "notice_days": "7"}, world.now)
    assert "assisted_voting" in refused.value.errors
    close_round(db, world.round)
    set_settings(db, world.round.id, assisted_voting=True)
    with pytest.raises(Conflict):  # closed: nobody casts, helped or not
        _cast(db, world, _family(world))


# -- over HTTP: a family member acting for the resident (亲情账号) ---------------------------


def _acting_family(client, db, world):
    from consult.accounts.models import FamilyLink
    from tests import factories
    from tests.conftest import post_form

    link = FamilyLink(person_id=world.people["voter"].id, proxy_id=world.people["voter2"].id,
                      status="active", asked_by="proxy", confirmed_at=world.now, confirmed_via="self")
    db.add(link)
    db.flush()
    factories.sign_in(client, world.people["voter2"].login)
    assert post_form(client, "/account/family", f"/account/family/{link.id}/act", {}).status_code == 303


@pytest.mark.parametrize("assisted_voting", [False, True])
def test_a_family_member_votes_over_http_only_when_the_round_allows(client, db, world, assisted_voting):
    from tests.voting.test_routes import _ballot_url, _vote

    set_settings(db, world.round.id, assisted_voting=assisted_voting)
    _acting_family(client, db, world)
    page = client.get(_ballot_url(world))
    assert page.status_code == 200
    response = _vote(client, world, 0)
    ballots = db.exec(select(Ballot)).all()
    if not assisted_voting:
        assert response.status_code in (403, 409, 422) and ballots == []
        assert "不允许家属代为投票" in page.text
        return
    assert response.status_code == 303, response.text
    assert [b.assisted for b in ballots] == [True]
    assert db.exec(select(ActingLog).where(ActingLog.action.in_(acting.UNLOGGED_FOR_FAMILY))).all() == []
    mine = client.get(_ballot_url(world))
    assert "这张选票由家属代办" in mine.text
