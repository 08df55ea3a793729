"""Residents' committee election pages and API: call, register, list, vote, result."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from consult import clock
from consult.communities import services as communities
from consult.elections import services
from consult.elections.models import ResidentBallot, ResidentElection
from tests import factories
from tests.conftest import post_form
from tests.elections.test_api import token


def local(t) -> str:
    return (t + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


def test_staff_call_register_and_publish_then_a_resident_votes(client, world, db, settings):
    area = world.tree["area_a"]
    resident = factories.user(db, settings, name="刘秀英")
    communities.grant_role(db, user=resident, role="resident", place=area)
    factories.sign_in(client, world.moderator.login)
    now = clock.utcnow()
    response = post_form(client, f"/areas/{area.id}/resident-elections/new", f"/areas/{area.id}/resident-elections", {
        "title": "居委会换届选举", "description": "", "mode": "voters", "seats": "1",
        "election_day": (now + timedelta(days=9)).date().isoformat(),
        "opens_at": local(now + timedelta(days=8)), "closes_at": local(now + timedelta(days=9)),
        "threshold": "1/3", "nominations_voters": "1", "nominations_households": "1"})
    assert response.status_code == 303, response.text
    election = db.exec(select(ResidentElection)).one()
    register = f"/resident-elections/{election.id}/register"
    young = post_form(client, register, f"/resident-elections/{election.id}/voters",
                      {"name": "小明", "birth_date": (now + timedelta(days=9)).date().replace(year=now.year - 17).isoformat(),
                       "phone": ""})
    assert young.status_code == 422 and "年满十八周岁" in young.text
    added = post_form(client, register, f"/resident-elections/{election.id}/voters",
                      {"name": "刘秀英", "birth_date": "1956-04-12", "phone": resident.phone})
    assert added.status_code == 303
    page = f"/resident-elections/{election.id}"
    voter = services.voters_of(db, election)[0]
    unknown = post_form(client, page, f"/resident-elections/{election.id}/candidates",
                        {"name": "甲", "statement": "", "by": "voters", "nominators": "99999"})
    assert unknown.status_code == 422 and "99999" in unknown.text and not services.resident_candidates_of(db, election)
    post_form(client, page, f"/resident-elections/{election.id}/candidates",
              {"name": "甲", "statement": "", "by": "voters", "nominators": str(voter.id)})
    equal = post_form(client, page, f"/resident-elections/{election.id}/publish", {})
    assert equal.status_code == 409 and "差额" in equal.text
    post_form(client, page, f"/resident-elections/{election.id}/candidates",
              {"name": "乙", "statement": "", "by": "voters", "nominators": str(voter.id)})
    assert post_form(client, page, f"/resident-elections/{election.id}/publish", {}).status_code == 303
    election.opens_at, election.closes_at = now - timedelta(hours=1), now + timedelta(hours=3)
    db.add(election)
    db.flush()
    client.cookies.clear()
    factories.sign_in(client, resident.login)
    shown = client.get(page)
    assert shown.status_code == 200 and 'id="ballot"' in shown.text
    [first, _] = services.resident_candidates_of(db, election)
    voted = post_form(client, page, f"/resident-elections/{election.id}/vote", {"candidates": [str(first.id)]})
    assert voted.status_code == 303
    assert 'id="ballot"' not in client.get(page).text
    assert len(db.exec(select(ResidentBallot)).all()) == 1
    api = client.get(f"/api/v1/resident-elections/{election.id}", headers=token(client, resident)).json()
    assert api["me"] == {"registered": True, "voted": True}
    assert api["turnout"] == {"registered": 1, "voted": 1, "needed": 1, "valid": True}
    election.opens_at, election.closes_at = now - timedelta(hours=3), now - timedelta(minutes=1)
    db.add(election)
    db.flush()
    result = client.get(f"/resident-elections/{election.id}/result")
    assert result.status_code == 200 and "当选：甲。" in result.text
    body = client.get(f"/api/v1/resident-elections/{election.id}/result").json()
    assert body["elected"] == [str(first.id)] and body["candidates"][0]["name"] == "甲"
