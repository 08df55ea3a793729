"""The demo election holds what the issue promises: 国际丽都城, 7 seats, 10 candidates, area
just under two thirds before the door-to-door round."""

from __future__ import annotations

from sqlmodel import select

from consult import clock
from consult.communities import demo as communities_demo
from consult.communities import services as communities
from consult.elections import demo, rules, services
from consult.elections.models import OwnerElection
from consult.owners import demo as owners_demo


def test_demo_election(db, settings):
    places = communities_demo.load_places(db)
    communities_demo.load_people(db, settings, places)
    owners_demo.load(db, settings, places)
    demo.load(db, settings, places)
    now = clock.utcnow()
    election = db.exec(select(OwnerElection)).one()
    assert election.estate_id == places["国际丽都城"].id
    assert services.state_of(election, now) is rules.ElectionState.OPEN
    assert (election.seats, len(services.candidates_of(db, election))) == (7, 10)
    staff = communities.actor_for(db, None)
    gauge = services.gauge(db, staff, election.id, now)[2]
    assert 0 < gauge.area_missing_cents and gauge.owners_missing == 0  # the boycott
    assert gauge.area_voted_cents * 3 > gauge.area_total_cents * 3 * 6 // 10  # but close
    assert gauge.uncounted == 0


def test_demo_residents_election(db, settings):
    from consult.accounts.models import User
    from consult.elections.models import ResidentElection

    places = communities_demo.load_places(db)
    communities_demo.load_people(db, settings, places)
    demo.load_residents(db, settings, places)
    now = clock.utcnow()
    election = db.exec(select(ResidentElection)).one()
    assert election.area_id == places["恒丰"].id
    assert services.resident_state(election, now) is rules.ElectionState.OPEN
    assert len(services.resident_candidates_of(db, election)) > election.seats  # 差额
    turnout = services.resident_turnout(db, election.id)[2]
    assert (turnout.registered, turnout.voted) == (48, 22) and not turnout.valid
    resident = db.exec(select(User).where(User.login == demo.RESIDENT)).one()
    voter, voted = services.my_registration(db, resident, election)
    assert voter is not None and not voted
